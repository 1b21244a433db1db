//! `cargo run -p file-recv -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

fn main() -> ExitCode {
    let config = file_recv::Config::parse();
    // Ctrl-C, SIGTERM, SIGHUP: remove the temporary files of unfinished transfers first.
    let result = ctrlc::set_handler(file_recv::remove_unfinished_and_exit)
        .context("cannot install the handler for Ctrl-C")
        .and_then(|()| file_recv::run(&config));
    common::report(result)
}
