//! The book's transcripts are tests: every command that `docs/src/args.md` shows, with its
//! output, is a case in `tests/cmd/*.md`, which the chapter includes and trycmd runs here
//! against the real binary. If the program's output changes, this test fails until the
//! transcripts (and so the book) are updated: the book cannot drift from the program.
//!
//! In a case, `[..]` stands for the part of a line that differs between machines, and
//! `? 2` for the expected exit code (none means 0). stdout and stderr are shown merged,
//! as a terminal shows them.
//!
//! trycmd splits a command into arguments itself, like a shell would, but it does not
//! expand `*.txt` or `$name` and cannot pass an argument that is not UTF-8. The chapter's
//! transcripts that are about exactly those things live in `tests/sh/shell.md`, and those of
//! the notes version (which make files and links as they go) in `tests/sh/notes.md`; the
//! tests at the end run them with `sh -c`.

use std::fs;

use assert_cmd::cargo::cargo_bin;
use testkit::STEP_TIMEOUT;

#[test]
fn the_book_shows_what_the_program_really_prints() {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("args-demo", cargo_bin!("args-demo").to_path_buf())
        .timeout(STEP_TIMEOUT)
        .case("tests/cmd/raw.md")
        .case("tests/cmd/parsed.md");
    // Permission strings, `Not a directory` and symbolic links as Linux shows them. The
    // copy lives until the cases have run.
    #[cfg(target_os = "linux")]
    let _stat_copy = {
        let copy = stat_fixtures::pinned_stat_copy();
        cases.case(copy.path().join("stat.md"));
        copy
    };
    cases.run();
}

/// The stat transcripts' fixtures, pinned on a copy (Linux only, like those transcripts).
#[cfg(target_os = "linux")]
mod stat_fixtures {
    use std::fs::{self, File};
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::Path;
    use std::time::{Duration, UNIX_EPOCH};

    /// The modification time the stat fixtures are given, 2025-09-01T08:00:00Z, so that the
    /// book can show real times that stay the same on every checkout.
    const FIXTURE_TIME: u64 = 1_756_713_600;

    /// Copies `tests/cmd/stat.md` and its folder `stat.in` into a temporary folder, and gives
    /// the copied files the permissions and modification time that the transcripts show.
    ///
    /// A checkout's permissions follow the user's umask (002 on some systems gives
    /// `-rw-rw-r--`) and its times are the time of the checkout; git records neither. Pinning
    /// them on a copy leaves the checkout untouched (it may be read-only). trycmd runs a
    /// `NAME.md` case in the folder `NAME.in` beside it, so the copy carries the transcript too.
    /// (Hence `TRYCMD=overwrite` would rewrite the copy: update `tests/cmd/stat.md` by hand.)
    pub fn pinned_stat_copy() -> tempfile::TempDir {
        let copy = tempfile::tempdir().expect("a temporary folder");
        fs::copy("tests/cmd/stat.md", copy.path().join("stat.md")).expect("copy stat.md");
        copy_tree(Path::new("tests/cmd/stat.in"), &copy.path().join("stat.in"));
        pin_stat_fixtures(&copy.path().join("stat.in"));
        copy
    }

    /// Copies the folder `from` to `to`, files, folders and symbolic links (as links).
    fn copy_tree(from: &Path, to: &Path) {
        fs::create_dir(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
        for entry in fs::read_dir(from).expect("the fixtures folder can be listed") {
            let entry = entry.expect("a fixture");
            let (source, target) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type().expect("a fixture's kind");
            let copied = if kind.is_symlink() {
                fs::read_link(&source).and_then(|link| symlink(link, &target))
            } else if kind.is_dir() {
                copy_tree(&source, &target);
                Ok(())
            } else {
                fs::copy(&source, &target).map(drop)
            };
            copied.unwrap_or_else(|e| panic!("cannot copy {}: {e}", source.display()));
        }
    }

    /// Gives the fixtures in `folder` the permissions and modification time that the
    /// transcripts show.
    fn pin_stat_fixtures(folder: &Path) {
        let time = UNIX_EPOCH + Duration::from_secs(FIXTURE_TIME);
        // The folder last: copying its files into it changed its time.
        for (name, mode) in [
            ("notes.txt", 0o644),
            ("empty.txt", 0o644),
            ("folder/inside.txt", 0o644),
            ("folder", 0o755),
        ] {
            let path = folder.join(name);
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
            File::open(&path)
                .and_then(|file| file.set_modified(time))
                .unwrap_or_else(|e| panic!("cannot set the time of {}: {e}", path.display()));
        }
    }
}

/// One command of a transcript: what is typed, the exit code, and what is printed.
#[derive(Debug)]
struct Transcript {
    command: String,
    code: i32,
    output: Vec<String>,
}

/// The commands in the ```` ```console ```` blocks of a transcript file, in trycmd's syntax.
fn transcripts(markdown: &str) -> Vec<Transcript> {
    let mut found: Vec<Transcript> = Vec::new();
    let mut in_console = false;
    for line in markdown.lines() {
        if let Some(info) = line.strip_prefix("```") {
            in_console = !in_console && info == "console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            found.push(Transcript {
                command: command.to_owned(),
                code: 0,
                output: Vec::new(),
            });
        } else if let Some(last) = found.last_mut() {
            match line.strip_prefix("? ") {
                Some(code) if last.output.is_empty() => {
                    last.code = code.parse().expect("`? ` is followed by an exit code");
                }
                _ => last.output.push(line.to_owned()),
            }
        }
    }
    found
}

/// Whether `actual` is `expected`, where each `[..]` in `expected` stands for any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let mut pieces = expected.split("[..]");
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty(); // no wildcard: the whole line must match
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Drops the empty lines at the end (a transcript ends with one before its closing fence).
fn trimmed(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[cfg(unix)]
#[test]
fn the_books_shell_transcripts_hold_in_a_real_shell() {
    run_shell_transcripts("tests/sh/shell.md");
}

#[cfg(unix)]
#[test]
fn the_notes_versions_transcripts_hold_in_a_real_shell() {
    run_shell_transcripts("tests/sh/notes.md");
}

/// Runs each command of the transcript file `file` with `sh -c`, in order, in one fresh
/// folder, and checks that it prints what the file shows and ends with its exit code.
#[cfg(unix)]
fn run_shell_transcripts(file: &str) {
    let markdown = fs::read_to_string(file).expect("the transcript file exists");
    let cases = transcripts(&markdown);
    assert!(cases.len() >= 3, "found the transcripts: {cases:?}");

    // The folder the commands run in: `*.txt` expands to these two names, and `notes.txt`
    // is the 1800-byte file that the stat transcripts examine too.
    let folder = tempfile::tempdir().expect("a temporary folder");
    fs::copy(
        "tests/cmd/stat.in/notes.txt",
        folder.path().join("notes.txt"),
    )
    .expect("can copy notes.txt into the temporary folder");
    fs::write(folder.path().join("todo.txt"), "").expect("can write in the temporary folder");
    // The lesson's binary and the notes version first on PATH, so `args-demo` and
    // `notes-args` mean the ones just built.
    let binaries = cargo_bin!("args-demo")
        .parent()
        .expect("binaries live in a folder");
    let notes_args = testkit::example("args-demo", "notes-args");
    let examples = notes_args.parent().expect("examples live in a folder");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        [binaries.to_path_buf(), examples.to_path_buf()]
            .into_iter()
            .chain(std::env::split_paths(&path)),
    )
    .expect("PATH can be joined");

    for case in cases {
        let output = assert_cmd::Command::new("sh")
            .arg("-c")
            // stderr into stdout, in order, as a terminal shows them.
            .arg(format!("exec 2>&1\n{}", case.command))
            .current_dir(folder.path())
            .env("PATH", &path)
            .env("LC_ALL", "C") // the order in which `*.txt` expands
            .env_remove("RUST_BACKTRACE") // the panic message as a student first sees it
            .env_remove("RUST_LIB_BACKTRACE")
            .timeout(STEP_TIMEOUT)
            .output()
            .expect("sh runs");
        let printed = String::from_utf8_lossy(&output.stdout);
        let printed = trimmed(printed.lines().map(str::to_owned).collect());
        let expected = trimmed(case.output);
        let matches = printed.len() == expected.len()
            && expected
                .iter()
                .zip(&printed)
                .all(|(e, p)| line_matches(e, p));
        assert!(
            matches && output.status.code() == Some(case.code),
            "$ {}\nexpected (exit code {}):\n{}\n\nprinted ({}):\n{}",
            case.command,
            case.code,
            expected.join("\n"),
            output.status,
            printed.join("\n")
        );
    }
}

#[test]
fn wildcards_match_any_text_within_one_line_only_where_they_stand() {
    assert!(line_matches("abc", "abc"));
    assert!(!line_matches("abc", "abcd"));
    assert!(line_matches("a[..]d", "abcd"));
    assert!(line_matches("a[..]d", "ad"));
    assert!(!line_matches("a[..]d", "abce"));
    assert!(line_matches("t ([..]) p at [..]:", "t (42) p at x.rs:1:2:"));
    assert!(!line_matches(
        "t ([..]) p at [..]:",
        "t (42) q at x.rs:1:2:"
    ));
}
