//! End-to-end tests: the real `args-demo` binary, run with real arguments on real files.
//!
//! Each test states one claim of the lesson. The transcripts that the book shows are
//! checked separately, in `tests/book.rs`; the notes version's weaknesses, each against
//! the lesson, in `tests/notes.rs`.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use testkit::STEP_TIMEOUT;

mod support;

use support::{args_demo, outputs_of};

/// stdout of a run that must succeed.
fn stdout_of(command: &mut Command) -> String {
    let output = command.assert().success().get_output().stdout.clone();
    String::from_utf8(output).expect("args-demo prints UTF-8")
}

/// Creates `path` with `bytes` in it, modified at `unix_seconds`.
fn write_file(path: &Path, bytes: &[u8], unix_seconds: u64) {
    fs::write(path, bytes).expect("can write in the temporary folder");
    set_time(path, unix_seconds);
}

fn set_time(path: &Path, unix_seconds: u64) {
    File::open(path)
        .and_then(|file| file.set_modified(UNIX_EPOCH + Duration::from_secs(unix_seconds)))
        .expect("can set the modification time of our own file");
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("can chmod our own file");
}

// Part 1: the raw arguments ---------------------------------------------------------------

#[test]
fn argument_0_is_the_program_as_started_and_the_rest_are_numbered_from_1() {
    let program = cargo_bin!("args-demo");
    let stdout = stdout_of(args_demo().args(["raw", "first", "second"]));
    assert_eq!(
        stdout,
        format!(
            "std::env::args_os() handed over 4 arguments:\n  \
               0  {:?}  (argument 0: the program, as it was started)\n  \
               1  \"raw\"\n  \
               2  \"first\"\n  \
               3  \"second\"\n",
            program.as_os_str()
        )
    );
}

#[cfg(unix)]
#[test]
fn argument_0_is_whatever_the_caller_says_not_a_path_to_trust() {
    use std::os::unix::process::CommandExt;
    // A shell passes the name you typed; any program may pass anything at all.
    let mut command = std::process::Command::new(cargo_bin!("args-demo"));
    command.arg0("not-even-a-path").arg("raw");
    let stdout = stdout_of(Command::from_std(command).timeout(STEP_TIMEOUT));
    assert!(
        stdout.contains("  0  \"not-even-a-path\"  (argument 0: the program, as it was started)\n"),
        "{stdout}"
    );
}

#[test]
fn an_argument_with_spaces_stays_one_argument() {
    let stdout = stdout_of(args_demo().args(["raw", "two words", "", "  padded  "]));
    assert!(stdout.contains("handed over 5 arguments"), "{stdout}");
    assert!(stdout.contains("  2  \"two words\"\n"), "{stdout}");
    assert!(
        stdout.contains("  3  \"\"\n"),
        "an empty argument is still one: {stdout}"
    );
    assert!(stdout.contains("  4  \"  padded  \"\n"), "{stdout}");
}

#[test]
fn raw_passes_help_and_options_through_untouched() {
    let stdout = stdout_of(args_demo().args(["raw", "--help", "-x", "--", "--version"]));
    assert!(stdout.contains("  2  \"--help\"\n  3  \"-x\"\n  4  \"--\"\n  5  \"--version\"\n"));
    assert!(!stdout.contains("Usage"), "no help was printed: {stdout}");
}

#[cfg(unix)]
#[test]
fn raw_shows_a_non_unicode_argument_escaped_instead_of_panicking() {
    use std::os::unix::ffi::OsStrExt;
    // "café" in Latin-1: the byte E9 alone is not valid UTF-8.
    let latin1 = OsStr::from_bytes(b"caf\xe9");
    let stdout = stdout_of(args_demo().arg("raw").arg(latin1).arg("after"));
    assert!(
        stdout.contains(
            "  2  \"caf\\xE9\"  (not valid Unicode: std::env::args() would panic here; \
             to_string_lossy() gives \"caf\u{FFFD}\")\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  3  \"after\"\n"),
        "the next argument is still shown"
    );
}

// Part 2: the same arguments, parsed by clap ---------------------------------------------

#[test]
fn parsed_turns_the_arguments_into_typed_values() {
    let stdout = stdout_of(args_demo().args([
        "parsed",
        "-v",
        "notes.txt",
        "--timeout=30",
        "two words.txt",
        "--to",
        "[::1]:9000",
        "-v",
    ]));
    assert_eq!(
        stdout,
        "clap parsed the arguments into typed values:\n  \
           --to       [::1]:9000       a SocketAddr: IP ::1, port 9000\n  \
           --timeout  30               a u64, checked to lie in 1..=3600 (seconds)\n  \
           --verbose  2                a u8: how many times -v was given\n  \
           PATH 1     \"notes.txt\"      a PathBuf\n  \
           PATH 2     \"two words.txt\"  a PathBuf\n"
    );
}

#[test]
fn parsed_defaults_to_the_file_receivers_address() {
    let stdout = stdout_of(args_demo().args(["parsed", "notes.txt"]));
    assert!(
        stdout.contains(&format!(
            "--to       {:<16} a SocketAddr",
            common::FILE_ADDR
        )),
        "{stdout}"
    );
    assert!(stdout.contains("--timeout  10 "), "{stdout}");
}

#[cfg(unix)]
#[test]
fn parsed_accepts_a_non_unicode_path() {
    use std::os::unix::ffi::OsStrExt;
    // A PathBuf holds any bytes a Unix file name may have: clap need not reject it.
    let stdout = stdout_of(
        args_demo()
            .arg("parsed")
            .arg(OsStr::from_bytes(b"caf\xe9.txt")),
    );
    assert!(stdout.contains("PATH 1     \"caf\\xE9.txt\""), "{stdout}");
}

#[test]
fn help_is_written_for_a_student() {
    let stdout = stdout_of(args_demo().arg("--help"));
    for part in ["raw ", "parsed ", "stat ", "os.Args", "os.Stat"] {
        assert!(stdout.contains(part), "--help mentions {part:?}: {stdout}");
    }
    let stdout = stdout_of(args_demo().args(["parsed", "--help"]));
    assert!(stdout.contains("--to <ADDR>"), "{stdout}");
    assert!(stdout.contains("[default: 127.0.0.1:8002]"), "{stdout}");
    assert!(stdout.contains("from 1 to 3600"), "{stdout}");
    // `raw` takes --help as data, so its own help is reached through `help raw`.
    let stdout = stdout_of(args_demo().args(["help", "raw"]));
    assert!(stdout.contains("parses\nnothing"), "{stdout}");
}

#[test]
fn version_prints_the_package_version() {
    let stdout = stdout_of(args_demo().arg("--version"));
    assert_eq!(stdout, format!("args-demo {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn no_arguments_shows_the_help_and_fails() {
    let (stdout, stderr) = outputs_of(&mut args_demo(), 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("Usage: args-demo <COMMAND>"), "{stderr}");
}

#[test]
fn a_wrong_option_is_refused_with_a_hint_and_nothing_runs() {
    let (stdout, stderr) = outputs_of(
        args_demo().args(["parsed", "notes.txt", "--too", "127.0.0.1:9000"]),
        2,
    );
    assert_eq!(stdout, "", "nothing ran");
    assert!(
        stderr.contains("error: unexpected argument '--too' found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tip: a similar argument exists: '--to'"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_value_is_refused_naming_the_option() {
    for (option, value, reason) in [
        ("--timeout", "soon", "invalid digit found in string"),
        ("--timeout", "0", "0 is not in 1..=3600"),
        ("--timeout", "3601", "3601 is not in 1..=3600"),
        ("--to", "localhost:8002", "invalid socket address syntax"),
        ("--to", "127.0.0.1", "invalid socket address syntax"),
    ] {
        let (stdout, stderr) =
            outputs_of(args_demo().args(["parsed", "notes.txt", option, value]), 2);
        assert_eq!(stdout, "", "nothing ran");
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '{option} <")),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{stderr}");
    }
}

#[test]
fn a_missing_path_is_refused_by_clap() {
    for part in ["parsed", "stat"] {
        let (_, stderr) = outputs_of(args_demo().arg(part), 2);
        assert!(
            stderr.contains("the following required arguments were not provided"),
            "{stderr}"
        );
    }
}

// Part 3: file attributes ------------------------------------------------------------------

/// 2024-02-29T12:34:56Z: a leap day, to check the date arithmetic on a real file.
const LEAP_DAY: u64 = 1_709_210_096;

#[test]
fn stat_shows_a_files_bare_name_size_kind_permissions_and_time() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let file = folder.path().join("lecture notes.txt");
    write_file(&file, &[b'x'; 1300], LEAP_DAY);
    #[cfg(unix)]
    chmod(&file, 0o640);

    let stdout = stdout_of(args_demo().arg("stat").arg(&file));
    let mut expected = format!(
        "{}\n  \
           name          lecture notes.txt\n  \
           followed      metadata(), like Go's os.Stat\n    \
             kind        file\n    \
             size        1300 bytes (1.3 KiB)\n",
        file.display()
    );
    if cfg!(unix) {
        expected.push_str("    permissions -rw-r----- (0640)\n");
    } else {
        expected.push_str("    permissions writable (not read-only)\n");
    }
    expected.push_str(
        "    modified    2024-02-29T12:34:56Z (Unix time 1709210096)\n  \
           not followed  symlink_metadata(), like Go's os.Lstat: the same (not a symbolic link)\n",
    );
    assert_eq!(stdout, expected);
}

#[test]
fn stat_shows_an_empty_file_as_0_bytes() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let file = folder.path().join("empty");
    write_file(&file, b"", 0);
    let stdout = stdout_of(args_demo().arg("stat").arg(&file));
    assert!(stdout.contains("    kind        file\n"), "{stdout}");
    assert!(
        stdout.contains("    size        0 bytes (0 B)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    modified    1970-01-01T00:00:00Z (Unix time 0)\n"),
        "{stdout}"
    );
}

#[test]
fn stat_shows_a_directory_and_says_its_size_is_not_its_contents() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let directory = folder.path().join("inbox");
    fs::create_dir(&directory).expect("can create a folder");
    write_file(&directory.join("big"), &[0; 100_000], LEAP_DAY);
    #[cfg(unix)]
    chmod(&directory, 0o750);

    let stdout = stdout_of(args_demo().arg("stat").arg(&directory));
    assert!(stdout.contains("  name          inbox\n"), "{stdout}");
    assert!(stdout.contains("    kind        directory\n"), "{stdout}");
    assert!(
        stdout.contains("the folder's own list of entries, not its contents"),
        "{stdout}"
    );
    assert!(!stdout.contains("100000 bytes"), "{stdout}");
    #[cfg(unix)]
    assert!(
        stdout.contains("    permissions drwxr-x--- (0750)\n"),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn stat_shows_a_symlink_followed_and_not_followed() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    write_file(&folder.path().join("target.txt"), b"hello\n", LEAP_DAY);
    let link = folder.path().join("shortcut");
    std::os::unix::fs::symlink("target.txt", &link).expect("can create a symbolic link");

    let stdout = stdout_of(args_demo().arg("stat").arg(&link));
    let (followed, itself) = stdout
        .split_once("  not followed")
        .expect("both views are shown");
    assert!(followed.contains("  name          shortcut\n"), "{stdout}");
    assert!(followed.contains("what the link points to"), "{stdout}");
    assert!(followed.contains("    kind        file\n"), "{stdout}");
    assert!(
        followed.contains("    size        6 bytes (6 B)\n"),
        "{stdout}"
    );
    assert!(followed.contains("2024-02-29T12:34:56Z"), "{stdout}");
    assert!(itself.contains("the link itself"), "{stdout}");
    assert!(
        itself.contains("    kind        symbolic link to target.txt\n"),
        "{stdout}"
    );
    // A link stores the path it points to: "target.txt" is 10 bytes.
    assert!(
        itself.contains("    size        10 bytes (10 B)"),
        "{stdout}"
    );
    assert!(itself.contains("    permissions l"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn stat_reports_a_dangling_symlink_but_still_shows_the_link_itself() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let link = folder.path().join("dangling");
    std::os::unix::fs::symlink("gone.txt", &link).expect("can create a symbolic link");

    let (stdout, stderr) = outputs_of(args_demo().arg("stat").arg(&link), 1);
    assert!(stdout.contains("metadata(), like Go's os.Stat: failed (see the error)"));
    assert!(
        stdout.contains("    kind        symbolic link to gone.txt\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "error: cannot follow the symbolic link {}: it points to gone.txt, which does not \
             exist (a dangling link)",
            link.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 1 path could not be examined"),
        "{stderr}"
    );
}

#[test]
fn stat_reports_a_missing_path_and_still_shows_the_others() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let first = folder.path().join("first.txt");
    let missing = folder.path().join("missing.txt");
    let last = folder.path().join("last.txt");
    write_file(&first, b"1", LEAP_DAY);
    write_file(&last, b"22", LEAP_DAY);

    let (stdout, stderr) = outputs_of(args_demo().arg("stat").args([&first, &missing, &last]), 1);
    // Both good paths are shown in full, in order, and nothing about the missing one.
    let first_at = stdout
        .find("  name          first.txt\n")
        .expect("first shown");
    let last_at = stdout
        .find("  name          last.txt\n")
        .expect("last shown");
    assert!(first_at < last_at, "{stdout}");
    assert!(
        stdout.contains("    size        2 bytes (2 B)\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("missing"), "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "error: cannot examine {}: nothing is there; check the spelling and the folder \
             you are in (pwd): No such file or directory (os error 2)\n\
             error: 1 of 3 paths could not be examined (see above)\n",
            missing.display()
        )
    );
}

#[cfg(unix)]
#[test]
fn stat_reports_an_unreadable_path_and_still_shows_the_others() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let locked = folder.path().join("locked");
    fs::create_dir(&locked).expect("can create a folder");
    let hidden = locked.join("secret.txt");
    write_file(&hidden, b"s", LEAP_DAY);
    let visible = folder.path().join("visible.txt");
    write_file(&visible, b"v", LEAP_DAY);
    chmod(&locked, 0o000);
    // root (and CAP_DAC_READ_SEARCH) may look into any folder: then there is nothing to test.
    let privileged = fs::metadata(&hidden).is_ok();
    if privileged {
        chmod(&locked, 0o755);
        eprintln!("skipping: this user may search folders without x permission (root?)");
        return;
    }
    let mut stat = args_demo();
    stat.arg("stat").args([&hidden, &visible]);
    let output = stat.output().expect("args-demo runs");
    chmod(&locked, 0o755); // so that the temporary folder can be removed
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("  name          visible.txt\n"), "{stdout}");
    assert!(
        stderr.contains("you may not look inside a folder on that path"),
        "{stderr}"
    );
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[test]
fn stat_of_a_path_ending_in_dot_dot_has_no_bare_name() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    fs::create_dir(folder.path().join("sub")).expect("can create a folder");
    let stdout = stdout_of(args_demo().arg("stat").arg(folder.path().join("sub/..")));
    assert!(
        stdout.contains("  name          (none: the path ends in `.` or `..`, or is a root)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("    kind        directory\n"), "{stdout}");
}
