//! The notes version (`examples/notes-args.rs`) against the lesson (`args-demo`).
//!
//! First, what the notes version does right: it prints every argument numbered from 0 and
//! the file's bare name and size. Then, for each weakness named in its comments, a test
//! that makes it happen there and shows `args-demo` handling the same input.

use std::fs;

use assert_cmd::Command;
use testkit::STEP_TIMEOUT;

mod support;

use support::{args_demo, outputs_of};

/// The notes version, with a deadline, and without the backtrace variables, so that a
/// panic prints what a student first sees.
fn notes_args() -> Command {
    let mut command = Command::new(testkit::example("args-demo", "notes-args"));
    command
        .timeout(STEP_TIMEOUT)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command
}

/// A temporary folder holding `notes.txt` of 1800 bytes.
fn folder_with_notes() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a temporary folder");
    fs::write(folder.path().join("notes.txt"), [b'n'; 1800]).expect("can write a file");
    folder
}

// What the notes version does ------------------------------------------------------------

#[test]
fn notes_version_numbers_the_arguments_from_0_and_prints_name_and_size() {
    let folder = folder_with_notes();
    let path = folder.path().join("notes.txt");
    let program = testkit::example("args-demo", "notes-args");
    let mut notes = notes_args();
    notes.arg(&path).args(["café", "two words"]);
    let (stdout, stderr) = outputs_of(&mut notes, 0);
    assert_eq!(
        stdout,
        format!(
            "argument 0: {}\nargument 1: {}\nargument 2: café\nargument 3: two words\n\
             Name(): notes.txt\nSize(): 1800\n",
            program.display(),
            path.display()
        )
    );
    assert_eq!(stderr, "");
}

#[test]
fn notes_version_needs_no_absolute_path_a_relative_one_starts_at_the_current_folder() {
    // The notes write os.Stat(absolute path); any path works, relative to where you are.
    let folder = folder_with_notes();
    fs::create_dir(folder.path().join("sub")).expect("can create a folder");
    for (current, path) in [
        (folder.path(), "notes.txt"),
        (&folder.path().join("sub"), "../notes.txt"),
    ] {
        let (stdout, _) = outputs_of(notes_args().current_dir(current).arg(path), 0);
        assert!(
            stdout.ends_with("Name(): notes.txt\nSize(): 1800\n"),
            "from {}: {stdout}",
            current.display()
        );
    }
    // And from elsewhere the same relative path names nothing.
    let (_, stderr) = outputs_of(
        notes_args()
            .current_dir(folder.path().join("sub"))
            .arg("notes.txt"),
        1,
    );
    assert!(stderr.contains("No such file or directory"), "{stderr}");
}

// Weakness (non-Unicode argument) ---------------------------------------------------------

#[cfg(unix)]
#[test]
fn notes_version_panics_on_a_non_unicode_argument_which_the_lesson_shows_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    // "café" in Latin-1: the byte E9 alone is not valid UTF-8.
    let latin1 = OsStr::from_bytes(b"caf\xe9");
    let folder = folder_with_notes();

    let mut notes = notes_args();
    notes
        .current_dir(folder.path())
        .arg("notes.txt")
        .arg(latin1);
    // 101 is Rust's exit code for a panic; it comes before a single argument is printed.
    let (stdout, stderr) = outputs_of(&mut notes, 101);
    assert_eq!(stdout, "", "args() panics while collecting the list");
    assert!(stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("caf\\xE9"), "{stderr}");

    let (stdout, _) = outputs_of(args_demo().arg("raw").arg(latin1), 0);
    assert!(
        stdout.contains("  2  \"caf\\xE9\"  (not valid Unicode: std::env::args() would panic"),
        "{stdout}"
    );
}

// Weakness (no argument) ------------------------------------------------------------------

#[test]
fn notes_version_panics_without_an_argument_where_the_lesson_asks_for_one() {
    let (stdout, stderr) = outputs_of(&mut notes_args(), 101);
    assert!(stdout.starts_with("argument 0: "), "{stdout}");
    assert!(!stdout.contains("argument 1"), "{stdout}");
    assert!(
        stderr.contains("index out of bounds: the len is 1 but the index is 1"),
        "{stderr}"
    );

    let (stdout, stderr) = outputs_of(args_demo().arg("stat"), 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("the following required arguments were not provided:\n  <PATH>..."),
        "{stderr}"
    );
}

// Weakness (unexplained error) ------------------------------------------------------------

#[test]
fn notes_version_reports_a_missing_file_without_naming_it_the_lesson_names_it_and_advises() {
    let folder = folder_with_notes();
    let (_, stderr) = outputs_of(notes_args().current_dir(folder.path()).arg("note.txt"), 1);
    assert_eq!(
        stderr.lines().next(),
        Some("Error: No such file or directory (os error 2)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("note.txt"),
        "the path is not named: {stderr}"
    );

    let (_, stderr) = outputs_of(
        args_demo()
            .current_dir(folder.path())
            .args(["stat", "note.txt"]),
        1,
    );
    assert!(
        stderr.starts_with(
            "error: cannot examine note.txt: nothing is there; check the spelling and the \
             folder you are in (pwd)"
        ),
        "{stderr}"
    );
}

// Weakness (dangling link) ----------------------------------------------------------------

#[cfg(unix)]
#[test]
fn notes_version_calls_a_dangling_link_missing_the_lesson_shows_the_link_and_its_target() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    std::os::unix::fs::symlink("gone.txt", folder.path().join("shortcut"))
        .expect("can create a symbolic link");

    let (_, stderr) = outputs_of(notes_args().current_dir(folder.path()).arg("shortcut"), 1);
    assert_eq!(
        stderr.lines().next(),
        Some("Error: No such file or directory (os error 2)"),
        "{stderr}"
    );

    let (stdout, stderr) = outputs_of(
        args_demo()
            .current_dir(folder.path())
            .args(["stat", "shortcut"]),
        1,
    );
    assert!(
        stdout.contains("    kind        symbolic link to gone.txt\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "cannot follow the symbolic link shortcut: it points to gone.txt, which does not \
             exist (a dangling link)"
        ),
        "{stderr}"
    );
}

// Weakness (no bare name) -----------------------------------------------------------------

#[test]
fn notes_version_takes_dot_dot_as_a_name_the_lesson_says_there_is_none() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let sub = folder.path().join("sub");
    fs::create_dir(&sub).expect("can create a folder");

    for (current, path, name) in [
        (&sub, "..", ".."),
        (&folder.path().to_path_buf(), "sub/..", "sub/.."),
    ] {
        let (stdout, _) = outputs_of(notes_args().current_dir(current).arg(path), 0);
        assert!(
            stdout.contains(&format!("\nName(): {name}\n")),
            "a sender would announce {name:?}: {stdout}"
        );
        let (stdout, _) = outputs_of(args_demo().current_dir(current).args(["stat", path]), 0);
        assert!(
            stdout.contains("  name          (none: the path ends in `.` or `..`, or is a root)\n"),
            "{stdout}"
        );
    }
}

// Weakness (folder size) ------------------------------------------------------------------

#[test]
fn notes_version_gives_a_folders_size_as_if_it_were_a_file_the_lesson_says_what_it_is() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let inbox = folder.path().join("inbox");
    fs::create_dir(&inbox).expect("can create a folder");
    fs::write(inbox.join("big"), [0; 100_000]).expect("can write a file");

    let (stdout, _) = outputs_of(notes_args().arg(&inbox), 0);
    let size = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Size(): "))
        .expect("a Size() line");
    assert_ne!(size, "100000", "not the contents: {stdout}");
    assert!(
        !stdout.contains("directory") && !stdout.contains("folder"),
        "{stdout}"
    );

    let (stdout, _) = outputs_of(args_demo().arg("stat").arg(&inbox), 0);
    assert!(stdout.contains("    kind        directory\n"), "{stdout}");
    assert!(
        stdout.contains(": the folder's own list of entries, not its contents"),
        "{stdout}"
    );
}
