//! `cargo run -p udp-client -- --help` lists the options; the lesson is in `lib.rs`.

use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let config = udp_client::Config::parse();
    let keyboard = Box::new(io::BufReader::new(io::stdin()));
    common::report(udp_client::run(&config, keyboard, &mut io::stdout()))
}
