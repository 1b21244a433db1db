//! `cargo run` at the repository root plays the tour; `cargo run -- --help` lists the
//! options. The tour itself is in `lib.rs`, one lesson per file in `lessons/`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match tour::run(&tour::Config::parse()) {
        Ok(tour::Outcome::Passed) => ExitCode::SUCCESS,
        Ok(tour::Outcome::Failed) => ExitCode::FAILURE,
        // 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C.
        Ok(tour::Outcome::Interrupted) => ExitCode::from(130),
        Err(error) => common::report(Err(error)),
    }
}
