//! `cargo run -p file-send -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(file_send::run(&file_send::Config::parse()))
}
