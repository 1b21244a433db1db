//! `cargo run -p workbook -- --help` lists the commands; the runner is in `runner.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match workbook::runner::run(&workbook::runner::Config::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
