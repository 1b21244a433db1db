//! The book's transcripts are tests: every command that `docs/src/args.md` shows, with its
//! output, is a case in `tests/cmd/*.md`, which the chapter includes and trycmd runs here
//! against the real binary. If the program's output changes, this test fails until the
//! transcripts (and so the book) are updated: the book cannot drift from the program.
//!
//! In a case, `[..]` stands for the part of a line that differs between machines, and
//! `? 2` for the expected exit code (none means 0). stdout and stderr are shown merged,
//! as a terminal shows them.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// The modification time the stat fixtures are given, 2025-09-01T08:00:00Z, so that the
/// book can show real times that stay the same on every checkout.
const FIXTURE_TIME: u64 = 1_756_713_600;

#[test]
fn the_book_shows_what_the_program_really_prints() {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin(
            "args-demo",
            Path::new(env!("CARGO_BIN_EXE_args-demo")).to_path_buf(),
        )
        .timeout(common::testing::STEP_TIMEOUT)
        .case("tests/cmd/raw.md")
        .case("tests/cmd/parsed.md");
    // Permission strings, `Not a directory` and symbolic links as Linux shows them.
    if cfg!(target_os = "linux") {
        pin_stat_fixtures();
        cases.case("tests/cmd/stat.md");
    }
    cases.run();
}

/// Gives the files in `tests/cmd/stat.in` the permissions and modification time that the
/// transcripts show.
///
/// A checkout's permissions follow the user's umask (002 on some systems gives
/// `-rw-rw-r--`) and its times are the time of the checkout; git records neither. Setting
/// them to the values git does record (0644, 0755) changes nothing that git tracks.
#[cfg(unix)]
fn pin_stat_fixtures() {
    use std::os::unix::fs::PermissionsExt;
    let fixtures = Path::new("tests/cmd/stat.in");
    let time = UNIX_EPOCH + Duration::from_secs(FIXTURE_TIME);
    // The folder last: setting its children's times does not change it, but be explicit.
    for (name, mode) in [
        ("notes.txt", 0o644),
        ("empty.txt", 0o644),
        ("folder/inside.txt", 0o644),
        ("folder", 0o755),
    ] {
        let path = fixtures.join(name);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
        File::open(&path)
            .and_then(|file| file.set_modified(time))
            .unwrap_or_else(|e| panic!("cannot set the time of {}: {e}", path.display()));
    }
}

#[cfg(not(unix))]
fn pin_stat_fixtures() {}
