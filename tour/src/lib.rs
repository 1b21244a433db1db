//! The guided tour: every lesson of the workspace, played and narrated, TCP first.
//!
//! For each lesson the tour starts the real server binary on loopback with port 0, waits for
//! its `listening on ADDR` line, runs the real client against it, and prints each numbered
//! step with the notes' Go call next to the Rust call, then the lines the programs printed
//! and what they show. After each lesson it prints the commands a student types to run the
//! pair by hand.
//!
//! What the tour promises, and where it is kept:
//!
//! * nothing is left behind: every process is owned by a [`process::Process`], whose `Drop`
//!   kills and reaps it; every file lives in one temporary directory, removed at the end;
//! * Ctrl-C (and, on Unix, SIGTERM and SIGHUP) only raises a flag ([`interrupted`]); every
//!   wait of the tour checks it, so an interruption unwinds through those same `Drop`s;
//! * a failing step does not stop the tour: the lesson is marked failed, with what was
//!   expected and what happened, and the next lesson runs.

/// `println!` that never panics: if stdout is gone (say, the tour is piped into `head`), the
/// line is dropped and the tour goes on, so every program it started is still stopped and
/// every file removed by the usual `Drop`s.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod lessons;
pub mod narrator;
pub mod process;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::Parser;
use clap::builder::PossibleValuesParser;

use crate::lessons::{LESSONS, Lesson};
use crate::narrator::Narrator;

/// The guided tour of the socket lessons: each server and client runs for real, on
/// loopback, and every step is printed next to the notes' Go call.
///
/// With no options it plays every lesson (TCP first, SOCKS last), in a few seconds
/// each. Nothing is left running or on disk afterwards, even after Ctrl-C.
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Pause before each step until you press Enter. For a teacher in front of a class:
    /// read the step out, ask the class what will happen, then press Enter to see.
    #[arg(long)]
    pub step: bool,

    /// Play only this lesson (see --list for the names).
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(lesson_names()))]
    pub lesson: Option<String>,

    /// List the lessons, one line each, and exit.
    #[arg(long, conflicts_with_all = ["step", "lesson"])]
    pub list: bool,

    /// For the tour's own tests: print `pid <N> <program>` for every process started, so a
    /// test can check that none of them outlives the tour.
    #[arg(long, hide = true)]
    pub print_pids: bool,

    /// For the tour's own tests: run this lesson's programs from a folder where they do not
    /// exist, as if the build had lost them, so a test can check that the failure is
    /// reported and the other lessons still run.
    #[arg(long, hide = true, value_name = "NAME", value_parser = PossibleValuesParser::new(lesson_names()))]
    pub break_lesson: Option<String>,
}

fn lesson_names() -> Vec<&'static str> {
    LESSONS.iter().map(|lesson| lesson.name).collect()
}

/// How a tour ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every lesson played passed.
    Passed,
    /// At least one step failed (each failure was reported as it happened).
    Failed,
    /// Ctrl-C (or SIGTERM): the tour stopped early, after cleaning up.
    Interrupted,
}

/// Set by the Ctrl-C handler; every wait of the tour looks at it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the person running the tour pressed Ctrl-C (or the tour got SIGTERM).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Whether the tour is interrupted, or is about to be.
///
/// Ctrl-C at a terminal reaches the lesson's programs too, and one of them may die of it a
/// moment before the tour's handler has raised the flag: give the flag that moment, so the
/// lesson is not reported as failed.
fn interrupted_soon() -> bool {
    interrupted() || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        interrupted()
    }
}

/// The error a wait returns once the tour is interrupted, so that the lesson unwinds
/// (dropping, and so stopping, its processes) and the tour knows not to go on.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Returns `Err(Interrupted)` once the tour has been interrupted.
pub fn check_interrupted() -> Result<()> {
    if interrupted() {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// What one lesson gets from the tour: the narrator, its own folder, and the programs.
#[derive(Debug)]
pub struct Session<'a> {
    /// Prints the steps and pauses between them with `--step`.
    pub narrator: &'a mut Narrator,
    /// A folder for this lesson's files, inside the tour's temporary directory.
    pub dir: PathBuf,
    programs: Vec<(String, PathBuf)>,
    print_pids: bool,
}

impl Session<'_> {
    /// The path of the built program `name`.
    pub fn program(&self, name: &str) -> Result<PathBuf> {
        self.programs
            .iter()
            .find(|(program, _)| program == name)
            .map(|(_, path)| path.clone())
            .with_context(|| format!("the tour did not build `{name}` for this lesson"))
    }

    /// Whether each process started should print its pid (`--print-pids`).
    pub fn print_pids(&self) -> bool {
        self.print_pids
    }
}

/// Plays the tour that `config` asks for.
pub fn run(config: &Config) -> Result<Outcome> {
    if config.list {
        for lesson in LESSONS {
            say!("{:<8} {}", lesson.name, lesson.title);
        }
        return Ok(Outcome::Passed);
    }

    // ANCHOR: ctrlc
    // std has no portable way to catch Ctrl-C in safe code; the ctrlc crate does it (a
    // signal handler on Unix, a console handler on Windows). The handler only raises a
    // flag: cleaning up happens in the tour's own thread, through the guards' `Drop`s.
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed))
        .context("could not install the Ctrl-C handler")?;
    // ANCHOR_END: ctrlc

    let chosen: Vec<&Lesson> = LESSONS
        .iter()
        .filter(|lesson| {
            config
                .lesson
                .as_deref()
                .is_none_or(|name| name == lesson.name)
        })
        .collect();

    // Every file of the tour lives here; `close` at the end (or `Drop`, on an early
    // return) removes it with everything in it.
    let workspace = tempfile::Builder::new()
        .prefix("socket-tour-")
        .tempdir()
        .context("could not create a temporary directory for the tour's files")?;
    say!(
        "The tour's files live in {} (removed at the end).",
        workspace.path().display()
    );

    // One cargo call builds every program the chosen lessons run: quick when nothing
    // changed. If it fails (say, a lesson being edited does not compile), each lesson builds
    // its own programs instead, so that only the lessons whose code is broken fail.
    let names: BTreeSet<&str> = chosen
        .iter()
        .flat_map(|lesson| lesson.programs.iter().copied())
        .collect();
    let names: Vec<&str> = names.into_iter().collect();
    say!(
        "Building the lessons' programs: cargo build --bin {}",
        names.join(" --bin ")
    );
    let built = match build_programs(&names) {
        Ok(built) => Some(built),
        Err(_) if interrupted_soon() => return Ok(Outcome::Interrupted),
        Err(error) => {
            say!("{error:#}; building each lesson's programs on its own instead");
            None
        }
    };

    let mut narrator = Narrator::new(config.step);
    let mut results = Vec::new();
    for (index, lesson) in chosen.iter().enumerate() {
        if interrupted() {
            break;
        }
        let dir = workspace.path().join(lesson.name);
        std::fs::create_dir(&dir).with_context(|| format!("could not create {}", dir.display()))?;
        let programs = match &built {
            Some(built) => Ok(built.clone()),
            None => build_programs(lesson.programs),
        };
        let broken = config.break_lesson.as_deref() == Some(lesson.name);
        let programs = if broken {
            // A folder that does not exist: starting any program from it fails.
            let missing = workspace.path().join("missing");
            programs.map(|programs| {
                programs
                    .into_iter()
                    .map(|(name, path)| {
                        let file = path.file_name().map(|file| missing.join(file));
                        (name, file.unwrap_or_default())
                    })
                    .collect()
            })
        } else {
            programs
        };
        narrator.lesson(index + 1, chosen.len(), lesson);
        // The lesson's processes are local to its function: whether it returns `Ok`, an
        // error or `Interrupted`, they are all stopped by the time it has returned.
        let result = programs.and_then(|programs| {
            let mut session = Session {
                narrator: &mut narrator,
                dir,
                programs,
                print_pids: config.print_pids,
            };
            (lesson.run)(&mut session)
        });
        match result {
            Ok(()) => {
                narrator.passed(lesson);
                results.push((lesson.name, true));
            }
            Err(error) if error.is::<Interrupted>() || interrupted_soon() => break,
            Err(error) => {
                narrator.failed(lesson, &error);
                results.push((lesson.name, false));
            }
        }
        narrator.by_hand(lesson);
    }

    let path = workspace.path().to_path_buf();
    workspace
        .close()
        .with_context(|| format!("could not remove the tour's files in {}", path.display()))?;

    if interrupted() {
        say!();
        say!("Interrupted: every program the tour started is stopped, and its files are removed.");
        return Ok(Outcome::Interrupted);
    }
    say!();
    say!("Summary:");
    for (name, passed) in &results {
        say!("  {name:<8} {}", if *passed { "passed" } else { "FAILED" });
    }
    let passed = results.iter().filter(|(_, passed)| *passed).count();
    say!("{passed} of {} lessons passed.", results.len());
    if passed < results.len() {
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Passed)
}

/// Builds the workspace binaries `names` and pairs each name with its path.
fn build_programs(names: &[&str]) -> Result<Vec<(String, PathBuf)>> {
    let paths = testkit::binaries::build(names, false)?;
    Ok(names
        .iter()
        .map(|name| (*name).to_owned())
        .zip(paths)
        .collect())
}
