//! Exercise args-1: the notes' arguments and file attributes.
//!
//! Print every command-line argument, numbered from 0 (argument 0 is the program itself),
//! then ask the OS about the file named by argument 1 and print its bare name (the last part
//! of the path, Go's `Name()`) and its size in bytes (Go's `Size()`). The steps are the
//! notes' steps (chapter "Arguments and file attributes"); each one is a gap marked
//! `todo!()` in the starter. The notes' weaknesses stay: the chapter breaks them, and
//! exercise args-2 mends them.
//!
//! Run it: `cargo run -q -p workbook --bin ex-args-1 -- Cargo.toml`
//! (it prints `argument 0: ...`, `argument 1: Cargo.toml`, `Name(): Cargo.toml`, `Size(): ...`).
//! Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::fs;
use std::path::Path;

use anyhow::Result;

fn main() -> Result<()> {
    // 1. list := os.Args: every argument as a String; print each as `argument <n>: <it>`,
    //    numbered from 0, where argument 0 is the program itself.
    todo!("step 1: collect std::env::args(); print each as \"argument N: ARG\", N from 0");

    // 2. os.Stat(os.Args[1]): ask the OS about the file named by the first typed argument.
    todo!("step 2: take list[1] as the path and call fs::metadata on it");

    // 3. Name(): the bare name, the last part of the path; print `Name(): <it>`.
    todo!("step 3: print \"Name(): \" and the path's file_name() (fall back to the path)");

    // 4. Size(): the size in bytes; print `Size(): <it>`.
    todo!("step 4: print \"Size(): \" and the metadata's len()");
    Ok(())
}
