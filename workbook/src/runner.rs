//! The commands of `cargo run -p workbook`: progress and the next check, `list`, `--hint`,
//! `--watch`, `reset` and `verify`.
//!
//! Progress is kept in `workbook/.progress` (not in git): each exercise that passed, with a
//! fingerprint of the file that passed, so an exercise edited afterwards is checked again.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::exercise::{Exercise, Program, workbook_dir};
use crate::{lessons, starter};

/// The workbook: write each lesson's program yourself; the real partner programs check it.
///
/// With no command: shows your progress and checks the next unfinished exercise.
#[derive(Debug, Parser)]
#[command(version)]
pub struct Config {
    /// Show the next hint for the current exercise (one more each time).
    #[arg(long)]
    pub hint: bool,

    /// Check again each time you save an exercise file (Ctrl-C to stop).
    #[arg(long, conflicts_with = "hint")]
    pub watch: bool,

    #[command(subcommand)]
    pub command: Option<Action>,
}

/// What to do instead of checking the next exercise.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// List every exercise, with its lesson and whether it is done.
    List,
    /// Check one exercise now, done or not, e.g. `check tcp-server-1`.
    Check {
        /// The exercise's name, as `list` shows it.
        name: String,
    },
    /// Put an exercise back as it was at the start (your version is kept beside it, as
    /// `NAME.rs.orig`).
    Reset {
        /// The exercise's name, as `list` shows it.
        name: String,
    },
    /// For maintainers, on a clean checkout: every solution passes its checks, every
    /// starter and every kept mistake fails them, every starter is derived from its solution.
    Verify,
}

/// Runs the workbook as `config` says.
pub fn run(config: &Config) -> Result<bool> {
    match &config.command {
        Some(Action::List) => list().map(|()| true),
        Some(Action::Check { name }) => check_one(find(name)?),
        Some(Action::Reset { name }) => reset(find(name)?).map(|()| true),
        Some(Action::Verify) => verify(),
        None if config.hint => hint().map(|()| true),
        None if config.watch => watch(),
        None => next(),
    }
}

fn find(name: &str) -> Result<&'static Exercise> {
    lessons::all()
        .into_iter()
        .find(|exercise| exercise.name == name)
        .with_context(|| {
            format!("no exercise named {name:?}: `cargo run -p workbook -- list` lists them")
        })
}

/// Shows progress, then checks exercises in order from the first unfinished one, and stops
/// at the first that fails (or when all are done).
fn next() -> Result<bool> {
    let mut progress = Progress::load()?;
    let all = lessons::all();
    let done = all.iter().filter(|e| progress.is_done(e)).count();
    println!("Workbook: {done} of {} exercises done.", all.len());
    for exercise in &all {
        if progress.is_done(exercise) {
            continue;
        }
        println!();
        println!(
            "Next: {} ({}; chapter docs/src/{}): {}",
            exercise.name, exercise.lesson, exercise.chapter, exercise.title
        );
        println!("Your file: {}", shown(&exercise.file()));
        if !check_one(exercise)? {
            println!();
            println!(
                "Edit the file, save, and run `cargo run -p workbook` again (or keep \
                 `cargo run -p workbook -- --watch` running). Stuck? `cargo run -p workbook -- --hint`."
            );
            return Ok(false);
        }
        progress.mark_done(exercise)?;
    }
    println!();
    println!("Every exercise is done. Well done!");
    Ok(true)
}

/// Builds and checks one exercise, printing the outcome; returns whether it passed.
fn check_one(exercise: &Exercise) -> Result<bool> {
    println!("Building {} ...", exercise.bin());
    let path = match testkit::binaries::build(&[&exercise.bin()], false) {
        Ok(paths) => paths.into_iter().next().context("cargo built nothing")?,
        Err(_) => {
            println!(
                "✗ {}: your program does not compile yet: read cargo's first error above.",
                exercise.name
            );
            return Ok(false);
        }
    };
    let program = Program {
        path,
        label: "your program".to_owned(),
    };
    println!("Checking {} against the real programs ...", exercise.name);
    match (exercise.check)(&program) {
        Ok(()) => {
            println!("✓ {}: every check passed.", exercise.name);
            if let Ok(mut progress) = Progress::load() {
                progress.mark_done(exercise)?;
            }
            Ok(true)
        }
        Err(error) => {
            println!("✗ {}: {error:#}", exercise.name);
            Ok(false)
        }
    }
}

fn list() -> Result<()> {
    let progress = Progress::load()?;
    let mut next_shown = false;
    println!(
        "{:<16} {:<22} {:<6} what you build",
        "exercise", "lesson", "status"
    );
    for exercise in lessons::all() {
        let status = if progress.is_done(exercise) {
            "done"
        } else if !next_shown {
            next_shown = true;
            "next"
        } else {
            "-"
        };
        println!(
            "{:<16} {:<22} {:<6} {}",
            exercise.name, exercise.lesson, status, exercise.title
        );
    }
    Ok(())
}

fn hint() -> Result<()> {
    let mut progress = Progress::load()?;
    let Some(exercise) = lessons::all().into_iter().find(|e| !progress.is_done(e)) else {
        println!("Every exercise is done: no hint needed.");
        return Ok(());
    };
    let shown = progress.hints_seen(exercise);
    let count = exercise.hints.len();
    match exercise.hints.get(shown) {
        Some(hint) => {
            println!(
                "Hint {} of {count} for {}: {hint}",
                shown + 1,
                exercise.name
            );
            progress.saw_hint(exercise)?;
        }
        None => {
            println!("No more hints for {}. All {count}:", exercise.name);
            for (number, hint) in exercise.hints.iter().enumerate() {
                println!("  {}. {hint}", number + 1);
            }
            println!(
                "The chapter docs/src/{} shows the lesson's own version of these steps.",
                exercise.chapter
            );
        }
    }
    Ok(())
}

fn watch() -> Result<bool> {
    let stamp = || -> Result<Vec<Option<SystemTime>>> {
        Ok(lessons::all()
            .iter()
            .map(|e| fs::metadata(e.file()).and_then(|m| m.modified()).ok())
            .collect())
    };
    loop {
        next()?;
        println!();
        println!("Watching the exercise files; save one to check again (Ctrl-C stops).");
        let before = stamp()?;
        while stamp()? == before {
            thread::sleep(Duration::from_millis(300));
        }
        println!("\n{}", "-".repeat(72));
    }
}

fn reset(exercise: &Exercise) -> Result<()> {
    let file = exercise.file();
    let solution = fs::read_to_string(exercise.solution_file())
        .with_context(|| format!("cannot read {}", shown(&exercise.solution_file())))?;
    let starter = starter::derive(&solution)?;
    if let Ok(current) = fs::read_to_string(&file) {
        if current == starter {
            println!("{} is already as it was at the start.", shown(&file));
            return Ok(());
        }
        let kept = file.with_extension("rs.orig");
        fs::write(&kept, current).with_context(|| format!("cannot write {}", shown(&kept)))?;
        println!("Your version is kept as {}.", shown(&kept));
    }
    fs::write(&file, starter).with_context(|| format!("cannot write {}", shown(&file)))?;
    let mut progress = Progress::load()?;
    progress.forget(exercise)?;
    println!("{} is back to its starter.", shown(&file));
    Ok(())
}

/// Checks the workbook itself; prints a line per finding and returns whether all is well.
fn verify() -> Result<bool> {
    let mut problems = 0;
    let all = lessons::all();
    for exercise in &all {
        let mut problem = |text: String| {
            problems += 1;
            println!("  PROBLEM: {text}");
        };
        println!("{}:", exercise.name);
        // The student's file must be the starter derived from the solution.
        let solution = fs::read_to_string(exercise.solution_file())
            .with_context(|| format!("cannot read {}", shown(&exercise.solution_file())))?;
        let starter = starter::derive(&solution)?;
        match fs::read_to_string(exercise.file()) {
            Ok(file) if file == starter => {}
            Ok(_) => problem(format!(
                "{} is not the starter derived from its solution (run `reset {}`)",
                shown(&exercise.file()),
                exercise.name
            )),
            Err(error) => problem(format!("cannot read {}: {error}", shown(&exercise.file()))),
        }
        if exercise.hints.is_empty() {
            problem("no hints".to_owned());
        }
        // The solution passes.
        let solution = example(exercise, &exercise.solution_example(), "the solution")?;
        match (exercise.check)(&solution) {
            Ok(()) => println!("  solution passes"),
            Err(error) => problem(format!("the solution fails: {error:#}")),
        }
        // The starter fails.
        let path = testkit::binaries::build(&[&exercise.bin()], true)?
            .into_iter()
            .next()
            .context("cargo built nothing")?;
        let starter = Program {
            path,
            label: "the starter".to_owned(),
        };
        match (exercise.check)(&starter) {
            Ok(()) => problem("the starter passes its checks".to_owned()),
            Err(error) => println!("  starter fails: {error:#}"),
        }
        // Each kept mistake fails, with the message that names it.
        if exercise.mistakes.is_empty() {
            problem("no kept mistake (fixture)".to_owned());
        }
        for mistake in exercise.mistakes {
            let program = example(exercise, &exercise.fixture_example(mistake), "the mistake")?;
            match (exercise.check)(&program) {
                Ok(()) => problem(format!("the mistake `{}` passes", mistake.name)),
                Err(error) => {
                    let message = format!("{error:#}");
                    if message.contains(mistake.caught_by) {
                        println!("  mistake `{}` caught: {message}", mistake.name);
                    } else {
                        problem(format!(
                            "the mistake `{}` fails, but not with {:?}: {message}",
                            mistake.name, mistake.caught_by
                        ));
                    }
                }
            }
        }
    }
    println!();
    if problems == 0 {
        println!(
            "verify: {} exercises, every check as it should be.",
            all.len()
        );
    } else {
        println!("verify: {problems} problems (see PROBLEM above).");
    }
    Ok(problems == 0)
}

fn example(exercise: &Exercise, name: &str, label: &str) -> Result<Program> {
    let path = testkit::binaries::build_example("workbook", name, true)
        .with_context(|| format!("cannot build {label} of {}", exercise.name))?;
    Ok(Program {
        path,
        label: label.to_owned(),
    })
}

/// A path as the student sees it: from the workspace's root.
fn shown(path: &std::path::Path) -> String {
    let root = workbook_dir().join("..");
    let root = root.canonicalize().unwrap_or(root);
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What the student has done: `workbook/.progress`, one line per exercise.
#[derive(Debug, Default)]
struct Progress {
    /// Exercise name to (fingerprint of the file that passed, hints seen).
    entries: BTreeMap<String, (Option<u64>, usize)>,
}

impl Progress {
    /// `workbook/.progress`, or the file named by `WORKBOOK_PROGRESS` (the workbook's own
    /// tests use a file of their own, so they never touch a student's progress).
    fn path() -> PathBuf {
        std::env::var_os("WORKBOOK_PROGRESS")
            .map(PathBuf::from)
            .unwrap_or_else(|| workbook_dir().join(".progress"))
    }

    fn load() -> Result<Progress> {
        let mut progress = Progress::default();
        let Ok(text) = fs::read_to_string(Self::path()) else {
            return Ok(progress);
        };
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let mut fields = line.split_whitespace();
            if let (Some(name), Some(done), Some(hints)) =
                (fields.next(), fields.next(), fields.next())
            {
                let done = done.parse().ok();
                let hints = hints.parse().unwrap_or(0);
                progress.entries.insert(name.to_owned(), (done, hints));
            }
        }
        Ok(progress)
    }

    fn save(&self) -> Result<()> {
        let mut text =
            String::from("# The workbook's record of your progress; delete it to start over.\n");
        for (name, (done, hints)) in &self.entries {
            let done = done.map_or("-".to_owned(), |f| f.to_string());
            text.push_str(&format!("{name} {done} {hints}\n"));
        }
        fs::write(Self::path(), text)
            .with_context(|| format!("cannot write {}", Self::path().display()))
    }

    fn is_done(&self, exercise: &Exercise) -> bool {
        let passed = self.entries.get(exercise.name).and_then(|(done, _)| *done);
        passed.is_some() && passed == fingerprint(exercise)
    }

    fn mark_done(&mut self, exercise: &Exercise) -> Result<()> {
        let entry = self.entries.entry(exercise.name.to_owned()).or_default();
        entry.0 = fingerprint(exercise);
        self.save()
    }

    fn hints_seen(&self, exercise: &Exercise) -> usize {
        self.entries
            .get(exercise.name)
            .map_or(0, |(_, hints)| *hints)
    }

    fn saw_hint(&mut self, exercise: &Exercise) -> Result<()> {
        self.entries.entry(exercise.name.to_owned()).or_default().1 += 1;
        self.save()
    }

    fn forget(&mut self, exercise: &Exercise) -> Result<()> {
        self.entries.remove(exercise.name);
        self.save()
    }
}

/// A fingerprint of the exercise's file (FNV-1a): a change to the file changes it.
fn fingerprint(exercise: &Exercise) -> Option<u64> {
    let bytes = fs::read(exercise.file()).ok()?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Some(hash)
}
