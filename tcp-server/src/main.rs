//! `cargo run -p tcp-server -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(tcp_server::run(&tcp_server::Config::parse()))
}
