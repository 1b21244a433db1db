//! `cargo run -p args-demo -- --help` lists the three parts; the lesson is in `lib.rs`,
//! and the notes' own version in `examples/notes-args.rs`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    common::report(args_demo::run(args_demo::Config::parse()))
}
