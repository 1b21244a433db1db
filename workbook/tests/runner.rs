//! The runner as a student meets it: `cargo run -p workbook` on a fresh checkout points at
//! the first exercise and says what to do; `list` lists them all; `--hint` reveals hints one
//! at a time.

use std::path::Path;
use std::process::{Command, Output};

use workbook::{lessons, starter};

/// Runs the workbook's binary with a progress file of its own in `dir`.
fn workbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workbook"))
        .args(args)
        .env("WORKBOOK_PROGRESS", dir.join("progress"))
        .output()
        .expect("the workbook runs")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_fresh_run_points_at_the_first_unfinished_exercise_and_says_what_to_do() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = workbook(dir.path(), &[]);
    let stdout = text(&output);
    let total = lessons::all().len();
    assert!(
        stdout.starts_with(&format!("Workbook: 0 of {total} exercises done.")),
        "{stdout}"
    );
    // On a clean checkout the first exercise is a starter: it is the one shown, and fails.
    let first = lessons::all()[0];
    let solution = std::fs::read_to_string(first.solution_file()).expect("the solution");
    let file = std::fs::read_to_string(first.file()).expect("the exercise");
    if file == starter::derive(&solution).expect("a well-formed solution") {
        assert!(!output.status.success(), "{stdout}");
        assert!(
            stdout.contains(&format!("Next: {}", first.name)),
            "{stdout}"
        );
        assert!(
            stdout.contains("Your file: workbook/exercises/"),
            "{stdout}"
        );
        assert!(stdout.contains("a gap you have not filled yet"), "{stdout}");
        assert!(stdout.contains("--hint"), "{stdout}");
    }
}

#[test]
fn list_shows_every_exercise_with_its_lesson() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = workbook(dir.path(), &["list"]);
    assert!(output.status.success());
    let stdout = text(&output);
    let all = lessons::all();
    assert!(all.len() >= 14, "{} exercises, want at least 14", all.len());
    for exercise in all {
        let line = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{} ", exercise.name)))
            .unwrap_or_else(|| panic!("{} is not listed:\n{stdout}", exercise.name));
        assert!(line.contains(exercise.lesson), "{line}");
    }
}

#[test]
fn hints_are_revealed_one_at_a_time() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let first = workbook(dir.path(), &["--hint"]);
    let second = workbook(dir.path(), &["--hint"]);
    assert!(text(&first).starts_with("Hint 1 of "), "{}", text(&first));
    assert!(text(&second).starts_with("Hint 2 of "), "{}", text(&second));
}

#[test]
fn an_unknown_exercise_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = workbook(dir.path(), &["check", "nope-9"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no exercise named \"nope-9\""), "{stderr}");
    assert!(stderr.contains("list"), "{stderr}");
}

#[test]
fn the_book_page_lists_every_exercise_and_each_chapter_names_its_own() {
    let docs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/src");
    let page = std::fs::read_to_string(docs.join("workbook.md")).expect("docs/src/workbook.md");
    for exercise in lessons::all() {
        assert!(
            page.contains(&format!("| `{}` |", exercise.name)),
            "docs/src/workbook.md does not list {}",
            exercise.name
        );
        let chapter = std::fs::read_to_string(docs.join(exercise.chapter))
            .unwrap_or_else(|e| panic!("{}: cannot read its chapter: {e}", exercise.name));
        // A range such as "`tcp-server-1` to `tcp-server-4`" names the ones between too.
        let lesson = exercise
            .name
            .rsplit_once('-')
            .map_or(exercise.name, |(l, _)| l);
        assert!(
            chapter.contains(&format!("`{}`", exercise.name))
                || chapter.contains(&format!("`{lesson}-1` to `{lesson}-")),
            "docs/src/{} does not name its exercise {}",
            exercise.chapter,
            exercise.name
        );
    }
}
