//! Arguments and stat: what a program receives on its command line, and what the OS knows
//! about a file: the first two steps of the file sender.
//!
//! No network here, so no server: `args-demo` runs once per step, on a file the tour
//! writes in its temporary folder. The notes' own program (`notes-args`, an example of
//! `args-demo`) is among the commands to run by hand.

use anyhow::{Context, Result, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::Step;
use crate::process::Process;

pub const LESSON: Lesson = Lesson {
    name: "args",
    title: "Command-line arguments and file attributes (os.Args, os.Stat)",
    programs: &["args-demo"],
    by_hand: &[
        (
            "terminal:",
            "cargo run -q -p args-demo --example notes-args -- Cargo.toml",
        ),
        (
            "terminal:",
            "cargo run -p args-demo -- raw hello \"two words\"",
        ),
        (
            "terminal:",
            "cargo run -p args-demo -- stat Cargo.toml no-such-file",
        ),
    ],
    run,
};

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "The program receives its arguments",
        notes: "os.Args: argument 0 is the program itself",
        rust: "std::env::args_os()",
        expect: "args-demo lists argument 0 (its own path), then raw, hello and \"two words\" as one argument",
    })?;
    let mut demo = Process::start(session, "args-demo", &["raw", "hello", "two words"], false)?;
    let status = demo.finish()?;
    ensure!(status.success(), "args-demo exited with {status}");
    ensure!(
        !demo.lines_containing("argument 0").is_empty()
            && !demo.lines_containing("\"two words\"").is_empty(),
        "args-demo did not list argument 0 and \"two words\""
    );
    session
        .narrator
        .saw("the shell split the line into words; the quotes kept \"two words\" one argument");

    session.narrator.step(Step {
        title: "The program asks the OS about a file it was given",
        notes: "os.Stat(path), then info.Name() and info.Size()",
        rust: "fs::metadata(path), path.file_name(), metadata.len()",
        expect: "args-demo shows the bare name greeting.txt and the size, 12 bytes",
    })?;
    let file = session.dir.join("greeting.txt");
    std::fs::write(&file, "hello world\n")
        .with_context(|| format!("could not write {}", file.display()))?;
    let mut demo = Process::start(session, "args-demo", &["stat", "greeting.txt"], false)?;
    let status = demo.finish()?;
    ensure!(status.success(), "args-demo exited with {status}");
    let name = demo.lines_containing("name ");
    ensure!(
        name.first()
            .is_some_and(|line| line.trim_end().ends_with(" greeting.txt"))
            && !demo.lines_containing("12 bytes").is_empty(),
        "args-demo did not show the name greeting.txt and the size 12 bytes"
    );
    session.narrator.saw(
        "Name() is the bare name, without folders: exactly what file-send announces to the receiver",
    );

    session.narrator.step(Step {
        title: "A path that is not there",
        notes: "os.Stat returns an error (err != nil)",
        rust: "fs::metadata(path) returns Err; args-demo explains it and exits with status 1",
        expect: "an error line on stderr naming the path, and exit status 1",
    })?;
    let mut demo = Process::start(session, "args-demo", &["stat", "no-such-file.txt"], false)?;
    let status = demo.finish()?;
    ensure!(status.code() == Some(1), "args-demo exited with {status}");
    ensure!(
        demo.printed()
            .iter()
            .any(|line| line.from_stderr && line.text.contains("no-such-file.txt")),
        "args-demo's error did not name the path"
    );
    session
        .narrator
        .saw("a clear error and a failing exit status: no panic, no guessing");
    Ok(())
}
