//! Solutions for "Arguments and file attributes" (crate `args-demo`).
//!
//! * Exercise 2: the notes version (`args-demo/examples/notes-args.rs`) that never panics:
//!   [`describe_arguments`] takes the raw `OsString`s and reports the position of an
//!   argument that is not Unicode.
//! * Exercise 3: each argument's bytes in hex ([`hex_bytes`]).
//! * Exercise 6: the size of a folder's contents ([`total_size`]), walking it with
//!   `symlink_metadata`, so a link to a parent (`ln -s .. loop`) is not followed for ever.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::Path;

/// An argument that is not valid Unicode, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnicode {
    /// Its position: 0 is the program, 1 the first argument typed.
    pub position: usize,
    /// The argument with each invalid sequence shown as `�`, for the message only.
    pub shown: String,
}

// ANCHOR: describe
/// The arguments as text, one line each (`1: "hello"`), or the first that is not Unicode.
pub fn describe_arguments(
    arguments: impl IntoIterator<Item = OsString>,
) -> Result<Vec<String>, NotUnicode> {
    arguments
        .into_iter()
        .enumerate()
        .map(|(position, argument)| match argument.to_str() {
            Some(text) => Ok(format!("{position}: {text:?}")),
            None => Err(NotUnicode {
                position,
                shown: argument.to_string_lossy().into_owned(),
            }),
        })
        .collect()
}
// ANCHOR_END: describe

// ANCHOR: hex
/// An argument's bytes in hex, as the OS handed them over (`café` in UTF-8: `63 61 66 c3 a9`).
pub fn hex_bytes(argument: &OsStr) -> String {
    let bytes = argument.as_encoded_bytes();
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
// ANCHOR_END: hex

// ANCHOR: total
/// The sum of the sizes of the regular files under `path` (`path` itself if it is a file).
///
/// `symlink_metadata` describes a link itself instead of what it points to, so links are
/// neither followed nor counted: `ln -s .. loop` cannot send the walk round in circles.
pub fn total_size(path: &Path) -> io::Result<u64> {
    let info = fs::symlink_metadata(path)?;
    if info.is_file() {
        return Ok(info.len());
    }
    if !info.is_dir() {
        return Ok(0); // a link, a device, a pipe: no file contents of its own
    }
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        total += total_size(&entry?.path())?;
    }
    Ok(total)
}
// ANCHOR_END: total

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_arguments_are_described_one_per_line() {
        let arguments = ["prog", "hello world", ""].map(OsString::from);
        assert_eq!(
            describe_arguments(arguments).expect("all Unicode"),
            ["0: \"prog\"", "1: \"hello world\"", "2: \"\""]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_latin1_argument_is_reported_with_its_position_instead_of_a_panic() {
        use std::os::unix::ffi::OsStringExt;
        let latin1 = OsString::from_vec(b"caf\xe9".to_vec());
        let arguments = [OsString::from("prog"), OsString::from("ok"), latin1.clone()];
        let error = describe_arguments(arguments).expect_err("not Unicode");
        assert_eq!(
            error,
            NotUnicode {
                position: 2,
                shown: "caf\u{fffd}".into()
            }
        );
        assert_eq!(hex_bytes(&latin1), "63 61 66 e9");
    }

    #[test]
    fn cafe_typed_in_utf8_is_five_bytes() {
        assert_eq!(hex_bytes(OsStr::new("café")), "63 61 66 c3 a9");
    }

    #[test]
    fn total_size_adds_up_files_in_nested_folders() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        fs::write(dir.path().join("a.txt"), "hello").expect("write");
        fs::create_dir(dir.path().join("sub")).expect("mkdir");
        fs::write(dir.path().join("sub/b.txt"), "1234567").expect("write");
        fs::write(dir.path().join("empty"), "").expect("write");
        assert_eq!(total_size(dir.path()).expect("walks"), 12);
        assert_eq!(total_size(&dir.path().join("a.txt")).expect("a file"), 5);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_parent_folder_is_not_followed() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        fs::create_dir(dir.path().join("sub")).expect("mkdir");
        fs::write(dir.path().join("sub/b.txt"), "1234567").expect("write");
        std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).expect("ln -s .. loop");
        assert_eq!(total_size(dir.path()).expect("ends"), 7);
    }
}
