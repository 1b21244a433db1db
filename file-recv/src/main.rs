//! `cargo run -p file-recv -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(file_recv::run(&file_recv::Config::parse()))
}
