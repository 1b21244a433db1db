//! `cargo run -p udp-server -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(udp_server::run(&udp_server::Config::parse()))
}
