//! The narrator: prints each lesson and step, the notes' call next to the Rust call, what
//! the programs print, and what it shows; with `--step` it pauses before each step.
//!
//! Everything goes to stdout with `say!` (a `println!` that cannot panic, see `lib.rs`).

use std::fmt::Display;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use anyhow::Result;

use crate::lessons::Lesson;

/// One numbered step of a lesson, as the narrator announces it.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// What happens, in a few words: "The server listens".
    pub title: &'a str,
    /// The notes' step and its Go call: "server step 1: net.Listen(\"tcp\", addr)".
    pub notes: &'a str,
    /// The Rust call that does it in the lesson's code.
    pub rust: &'a str,
    /// What the step must show; printed as "expected" if the step fails.
    pub expect: &'a str,
}

/// Prints the tour; remembers the step in progress so a failure can say what was expected.
#[derive(Debug)]
pub struct Narrator {
    pause: bool,
    /// Enter presses, read by a thread of their own so that a pause can still notice Ctrl-C.
    keyboard: Option<Receiver<()>>,
    step: usize,
    current: Option<(usize, String, String)>,
}

impl Narrator {
    /// A narrator that pauses before each step when `pause` is set (`--step`).
    pub fn new(pause: bool) -> Narrator {
        Narrator {
            pause,
            keyboard: None,
            step: 0,
            current: None,
        }
    }

    /// Announces lesson `index` of `total`; steps are numbered from 1 again.
    pub fn lesson(&mut self, index: usize, total: usize, lesson: &Lesson) {
        self.step = 0;
        self.current = None;
        say!();
        say!(
            "=== Lesson {index} of {total}: {} ({}) ===",
            lesson.title,
            lesson.name
        );
    }

    /// Announces the next step; with `--step`, waits for Enter before it runs.
    pub fn step(&mut self, step: Step<'_>) -> Result<()> {
        crate::check_interrupted()?;
        self.step += 1;
        self.current = Some((self.step, step.title.to_owned(), step.expect.to_owned()));
        say!();
        say!("Step {}. {}", self.step, step.title);
        say!("   notes: {}", step.notes);
        say!("   Rust:  {}", step.rust);
        if self.pause {
            self.wait_for_enter()?;
        }
        Ok(())
    }

    /// Shows the command line of a program the tour starts, as a student would type it,
    /// and the label its output lines will carry when it is not the program's name.
    pub fn command(&self, program: &str, args: &[&str], label: &str) {
        let mut line = format!("   $ {program}");
        for arg in args {
            line.push(' ');
            if arg.is_empty() || arg.contains([' ', '\'', '"']) {
                line.push_str(&format!("'{arg}'"));
            } else {
                line.push_str(arg);
            }
        }
        if label != program {
            line.push_str(&format!("    # {label}"));
        }
        say!("{line}");
    }

    /// States what the step showed.
    pub fn saw(&self, finding: impl Display) {
        say!("   -> {finding}");
    }

    /// A lesson ended with every step as expected.
    pub fn passed(&self, lesson: &Lesson) {
        say!();
        say!("Lesson {} passed.", lesson.name);
    }

    /// A lesson stopped at a step that failed: what was expected, and what happened.
    pub fn failed(&self, lesson: &Lesson, error: &anyhow::Error) {
        say!();
        match &self.current {
            Some((number, title, expect)) => {
                say!("FAILED: lesson {}, step {number} ({title})", lesson.name);
                say!("   expected: {expect}");
            }
            None => {
                say!("FAILED: lesson {}, before its first step", lesson.name);
                say!(
                    "   expected: its programs build: {}",
                    lesson.programs.join(", ")
                );
            }
        }
        say!("   got:      {error:#}");
        say!("   The tour goes on with the next lesson.");
    }

    /// The commands a student types to run the lesson by hand.
    pub fn by_hand(&self, lesson: &Lesson) {
        say!();
        say!("To run it yourself:");
        for (terminal, command) in lesson.by_hand {
            say!("   {terminal:<11} {command}");
        }
    }

    fn wait_for_enter(&mut self) -> Result<()> {
        let keyboard = self.keyboard.get_or_insert_with(read_enter_presses);
        let _ = write!(io::stdout(), "   [press Enter to run this step]");
        let _ = io::stdout().flush();
        loop {
            crate::check_interrupted()?;
            match keyboard.recv_timeout(Duration::from_millis(50)) {
                Ok(()) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    // stdin ended (Ctrl-D, or not a terminal): play on without pausing.
                    say!();
                    self.pause = false;
                    return Ok(());
                }
            }
        }
    }
}

/// Starts a thread that sends `()` for each line typed on stdin, and ends at end of input.
fn read_enter_presses() -> Receiver<()> {
    let (enter, presses) = mpsc::channel();
    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            if line.is_err() || enter.send(()).is_err() {
                break;
            }
        }
    });
    presses
}

/// Shows one line that a program printed, labelled with the program: `|` marks its stdout,
/// `!` its stderr (and `<`, in [`typed`], its input).
pub fn output(program: &str, from_stderr: bool, line: &str) {
    let mark = if from_stderr { '!' } else { '|' };
    say!("     {program} {mark} {line}");
}

/// Shows a line the tour types into a program's input, as a student would at its keyboard.
pub fn typed(program: &str, line: &str) {
    let shown = if line.is_empty() { "(Enter)" } else { line };
    say!("     {program} < {shown}");
}
