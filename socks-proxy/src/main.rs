//! `cargo run -p socks-proxy -- --help` lists the options; the lesson is in `lib.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(socks_proxy::run(socks_proxy::Config::parse()))
}
