//! Exercise args-2: arguments that never panic, errors that name the path.
//!
//! The notes' program again (exercise args-1), mended where the chapter "Arguments and file
//! attributes" breaks it: `std::env::args_os()` takes every argument as the OS handed it
//! over, so one that is not Unicode cannot panic, and a file name need not be Unicode to be
//! stat'ed; a missing argument is a usage error, not an index out of bounds; and a failed
//! stat says which path failed and what to check. Every failure exits with code 1, never a
//! panic (exit code 101). The steps the notes already had are given; the gaps are the fixes.
//!
//! Run it: `cargo run -q -p workbook --bin ex-args-2 -- Cargo.toml`, then with no argument,
//! and with a name that does not exist.
//! Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    // `report` prints the error as one line, `error: ...`, and exits with code 1.
    common::report(run())
}

fn run() -> Result<()> {
    // 1. os.Args: every argument, as the OS handed it over; print each as
    //    `argument <n>: <it>`, with bytes that are not Unicode shown as `�` (display only).
    let list = arguments();
    for (number, argument) in list.iter().enumerate() {
        println!("argument {number}: {}", argument.to_string_lossy());
    }

    // 2. os.Stat(os.Args[1]), without a panic when nothing was typed, and with an error that
    //    names the path when the OS finds no such file.
    let path = first_argument(&list)?;
    let info = stat(path)?;

    // 3. Name(): the bare name, the last part of the path.
    let name = path.file_name().unwrap_or(path.as_os_str());
    println!("Name(): {}", name.to_string_lossy());

    // 4. Size(): the size in bytes.
    println!("Size(): {}", info.len());
    Ok(())
}

/// Step 1: every argument as an `OsString` (any bytes on Unix, UTF-16 on Windows), which
/// taking the list cannot fail to make.
fn arguments() -> Vec<OsString> {
    todo!("step 1: collect std::env::args_os(), which never panics");
}

/// Step 2: argument 1 as a path (an `OsStr` is a path as it is: no conversion), or an
/// error that says how to run the program.
fn first_argument(list: &[OsString]) -> Result<&Path> {
    todo!("step 2: list.get(1), or an error saying how to run it (no list[1])");
}

/// Step 2: `fs::metadata` (Go's `os.Stat`), with an error that names the path.
fn stat(path: &Path) -> Result<fs::Metadata> {
    todo!("step 2: fs::metadata(path), with a context naming the path and what to check");
}
