//! Bug 4: using a file name received from the network as a path.
//!
//! The name is chosen by whoever is at the other end of the connection. Joined to the
//! target folder as it is, `../x` lands in the folder above, `/etc/x` replaces the folder
//! entirely (joining an absolute path discards the base), and a name that exists already
//! overwrites that file. The fix treats the name as data: it must be one plain file name,
//! checked against a strict rule, and it must not exist yet.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

// ANCHOR: buggy
/// Stores a received file in `dir` under the name its sender gave. (Find the bug.)
pub fn save_buggy(dir: &Path, name: &str, content: &[u8]) -> io::Result<PathBuf> {
    let path = dir.join(name);
    File::create(&path)?.write_all(content)?;
    Ok(path)
}
// ANCHOR_END: buggy

// ANCHOR: fixed
/// Stores a received file in `dir` under the name its sender gave, if that name is one
/// plain file name (`file-recv`'s own check) and no entry of that name exists yet.
pub fn save_fixed(dir: &Path, name: &str, content: &[u8]) -> io::Result<PathBuf> {
    let name = file_recv::check_name(name.as_bytes()).map_err(|reason| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refused the name {name:?}: it {reason}"),
        )
    })?;
    let path = dir.join(name);
    // `create_new` fails if anything of that name exists, a dangling symlink included, so
    // an existing file is never replaced and a link is never followed out of `dir`.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?
        .write_all(content)?;
    Ok(path)
}
// ANCHOR_END: fixed

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A scratch folder holding `inbox/`, the receiver's folder: `..` from the inbox stays
    /// inside the scratch folder, so the test never writes anywhere else.
    fn scratch() -> (tempfile::TempDir, PathBuf) {
        let scratch = tempfile::tempdir().expect("a temporary folder");
        let inbox = scratch.path().join("inbox");
        fs::create_dir(&inbox).expect("create the inbox");
        (scratch, inbox)
    }

    // ANCHOR: test
    #[test]
    fn a_name_with_dot_dot_escapes_the_folder_unless_checked() {
        let (scratch, inbox) = scratch();
        save_buggy(&inbox, "../escaped.txt", b"I am outside\n").expect("the bug lets it through");
        let escaped = scratch.path().join("escaped.txt");
        assert_eq!(
            fs::read(&escaped).expect("written outside the inbox"),
            b"I am outside\n"
        );

        fs::remove_file(&escaped).expect("clean up");
        let error = save_fixed(&inbox, "../escaped.txt", b"I am outside\n").expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(!escaped.exists(), "nothing written outside");
        assert_eq!(fs::read_dir(&inbox).expect("list").count(), 0, "nor inside");
    }

    #[test]
    fn an_existing_file_is_overwritten_unless_checked() {
        let (_scratch, inbox) = scratch();
        let thesis = inbox.join("thesis.txt");
        fs::write(&thesis, "my thesis, 80 pages\n").expect("write the thesis");
        save_buggy(&inbox, "thesis.txt", b"oops\n").expect("the bug lets it through");
        assert_eq!(fs::read(&thesis).expect("read"), b"oops\n", "80 pages gone");

        fs::write(&thesis, "my thesis, 80 pages\n").expect("write the thesis again");
        let error = save_fixed(&inbox, "thesis.txt", b"oops\n").expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&thesis).expect("read"), b"my thesis, 80 pages\n");
    }
    // ANCHOR_END: test

    #[test]
    fn an_absolute_name_replaces_the_folder_in_join_unless_checked() {
        let (scratch, inbox) = scratch();
        let outside = scratch.path().join("absolute.txt");
        let name = outside.to_str().expect("a UTF-8 temporary path");
        let path = save_buggy(&inbox, name, b"anywhere\n").expect("the bug lets it through");
        assert_eq!(path, outside, "join threw the inbox away");

        fs::remove_file(&outside).expect("clean up");
        save_fixed(&inbox, name, b"anywhere\n").expect_err("refused");
        assert!(!outside.exists());
    }

    #[test]
    fn the_fix_stores_ordinary_names_including_unicode_and_spaces() {
        let (_scratch, inbox) = scratch();
        for name in ["notes.txt", "a..b.txt", "résumé final.txt", "報告書.txt"] {
            let path = save_fixed(&inbox, name, b"content").expect("an ordinary name");
            assert_eq!(path, inbox.join(name));
            assert_eq!(fs::read(&path).expect("read back"), b"content");
        }
    }
}
