//! The workbook's checks are tested like the lessons: each solution must pass, and each
//! classic mistake kept as a fixture must fail with the message that names it.
//!
//! (`cargo run -p workbook -- verify` also checks the starters; it runs in CI on a clean
//! checkout. It is not a test here, because a student's finished exercise is no longer a
//! starter, and `cargo test` must stay green for them.)

use workbook::exercise::Program;
use workbook::lessons;

fn example(name: &str) -> Program {
    let path = testkit::binaries::build_example("workbook", name, true)
        .unwrap_or_else(|e| panic!("cannot build {name}: {e:#}"));
    Program {
        path,
        label: name.to_owned(),
    }
}

#[test]
fn every_solution_passes_its_checks() {
    let mut failed = Vec::new();
    for exercise in lessons::all() {
        if let Err(error) = (exercise.check)(&example(&exercise.solution_example())) {
            failed.push(format!("{}: {error:#}", exercise.name));
        }
    }
    assert!(
        failed.is_empty(),
        "solutions that fail:\n{}",
        failed.join("\n")
    );
}

#[test]
fn every_kept_mistake_is_caught_with_the_message_that_names_it() {
    let mut missed = Vec::new();
    for exercise in lessons::all() {
        assert!(
            !exercise.mistakes.is_empty(),
            "{} keeps no classic mistake",
            exercise.name
        );
        for mistake in exercise.mistakes {
            let program = example(&exercise.fixture_example(mistake));
            match (exercise.check)(&program) {
                Ok(()) => missed.push(format!("{} `{}`: passed", exercise.name, mistake.name)),
                Err(error) => {
                    let message = format!("{error:#}");
                    if !message.contains(mistake.caught_by) {
                        missed.push(format!(
                            "{} `{}`: failed without {:?}: {message}",
                            exercise.name, mistake.name, mistake.caught_by
                        ));
                    }
                }
            }
        }
    }
    assert!(
        missed.is_empty(),
        "mistakes not caught as they should be:\n{}",
        missed.join("\n")
    );
}

#[test]
fn each_lesson_of_the_book_has_at_least_two_exercises() {
    let all = lessons::all();
    for lesson_prefix in [
        "tcp-server",
        "tcp-client",
        "udp-server",
        "udp-client",
        "args",
        "file-send",
        "file-recv",
    ] {
        let count = all
            .iter()
            .filter(|e| {
                e.name
                    .strip_prefix(lesson_prefix)
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .count();
        assert!(
            count >= 2,
            "{lesson_prefix}: {count} exercises, want at least 2"
        );
    }
}
