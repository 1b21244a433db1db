//! The notes' command-line arguments and file attributes, ported step for step: print
//! `os.Args`, then `os.Stat` the first argument and print its `Name()` and `Size()`.
//!
//! Kept ONLY to show what goes wrong; `args-demo` (in `src/lib.rs`) is the same steps
//! done right. Each weakness is named below, and the chapter "Arguments and file
//! attributes" makes each one happen.
//!
//! Run it with a file to examine:
//! `cargo run -q -p args-demo --example notes-args -- Cargo.toml`

use std::fs;
use std::path::Path;

use anyhow::Result;

fn main() -> Result<()> {
    // 1. list := os.Args: every command-line argument, as a list of strings. Argument 0
    //    is the program itself; what you typed after it starts at 1.
    // Weakness (non-Unicode argument): `std::env::args()` panics on an argument that is
    // not valid Unicode (a Latin-1 file name, say), before the loop prints it.
    let list: Vec<String> = std::env::args().collect();
    for (number, argument) in list.iter().enumerate() {
        println!("argument {number}: {argument}");
    }

    // 2. os.Stat(path) on the first argument you typed, os.Args[1]. Like os.Stat,
    //    `fs::metadata` follows a symbolic link to the file it points to.
    // Weakness (no argument): with nothing typed, `list[1]` is out of bounds and panics.
    let path = &list[1];
    // Weakness (unexplained error): a std I/O error does not name the path, so a missing
    // file prints only "No such file or directory", with no hint what to check.
    // Weakness (dangling link): a symbolic link whose target is gone fails the same way,
    // although `ls` shows the link right there.
    let info = fs::metadata(path)?;

    // 3. Name(): the file name without its folders, the last part of the path.
    // Weakness (no bare name): a path ending in `..` or `.`, or `/`, has no last name
    // (`file_name()` is None). Falling back to the path as typed, as Go's Name() gives
    // `..`, a sender would announce `..` (the folder above) or `sub/..` as a file name.
    let name = Path::new(path).file_name().unwrap_or(path.as_ref());
    println!("Name(): {}", name.to_string_lossy());

    // 4. Size(): the size in bytes.
    // Weakness (folder size): nothing checks that the path is a file; a folder's size is
    // that of its own list of entries, not of the files in it.
    println!("Size(): {}", info.len());
    Ok(())
}
