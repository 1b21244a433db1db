//! `cargo run -p tcp-states -- --help` lists the options; the lesson is in `lib.rs`.

use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let config = tcp_states::Config::parse();
    common::report(tcp_states::run(
        &config,
        &mut io::stdin().lock(),
        &mut io::stdout().lock(),
    ))
}
