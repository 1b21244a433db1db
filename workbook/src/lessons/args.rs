//! The args lesson's exercises (chapter "Arguments and file attributes"): the notes' program
//! first, then the one that never panics and names the path that failed.
//!
//! No partner program here: the checks run the student's program with arguments and files of
//! their own, in a scratch folder, and compare what it prints with what the OS says.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::check::scratch::Scratch;
use crate::check::{self, STEP_TIMEOUT};
use crate::exercise::{Exercise, Mistake, Program};

/// In the order of the chapter.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "args-1",
        lesson: "Arguments and stat",
        chapter: "args.md",
        title: "the notes' program: print the arguments from 0, then stat argument 1: name, size",
        hints: &[
            "Argument 0 is the program itself: `std::env::args()` gives all of them, `.collect()` them into a `Vec<String>` and number them with `.iter().enumerate()`.",
            "Step 2 is `fs::metadata(path)?` on `&list[1]`, the first word typed (Go's `os.Stat(os.Args[1])`).",
            "Step 3: the metadata has no name; the bare name is the path's last part, `Path::new(path).file_name()`, an `Option` (fall back with `.unwrap_or(path.as_ref())`), printed with `.to_string_lossy()`.",
            "Step 4: `println!(\"Size(): {}\", info.len());`.",
        ],
        mistakes: &[
            Mistake {
                name: "skipped",
                caught_by: "argument 0 is the program itself",
            },
            Mistake {
                name: "fullpath",
                caught_by: "Name() is the last part",
            },
        ],
        check: check_args_1,
    },
    Exercise {
        name: "args-2",
        lesson: "Arguments and stat",
        chapter: "args.md",
        title: "no panic: args_os for any bytes, a usage error, a stat error that names the path",
        hints: &[
            "`std::env::args()` panics on an argument that is not Unicode; `std::env::args_os()` hands out `OsString`s and cannot.",
            "`list[1]` panics when nothing was typed; `list.get(1)` is an `Option`, and anyhow's `.context(\"...\")?` turns `None` into an error that says how to run the program.",
            "An `OsString` is a path as it is: `Path::new(path)` needs no conversion. Converting it with `to_string_lossy()` first changes the name, and the OS then finds no such file.",
            "`fs::metadata(path).with_context(|| format!(\"cannot stat {}: check the spelling\", path.display()))` names the path in the error.",
        ],
        mistakes: &[
            Mistake {
                name: "unnamed",
                caught_by: "does not name the path",
            },
            Mistake {
                name: "lossy",
                caught_by: "to_string_lossy() is for display only",
            },
            Mistake {
                name: "index",
                caught_by: "with no argument, your program panicked",
            },
        ],
        check: check_args_2,
    },
];

/// The file both checks examine, and its size: the chapter's `notes.txt` of 1800 bytes, in
/// folders, so that its bare name differs from the path typed.
const FOLDERS: &str = "docs/week1";
const NAME: &str = "notes.txt";
const SIZE: usize = 1800;

/// args-1: the notes' output, for a path with folders and one more argument.
fn check_args_1(program: &Program) -> Result<()> {
    let (scratch, typed) = notes_file("args-1")?;
    notes_output(program, &scratch, &typed)
}

/// args-2: the same output, and then no panic for any input, and errors that name the path.
fn check_args_2(program: &Program) -> Result<()> {
    let (scratch, typed) = notes_file("args-2")?;

    // The notes' steps still work.
    notes_output(program, &scratch, &typed)?;

    // Step 2: nothing typed is a usage error, not a panic.
    let run = run_os(program, &[], scratch.path())?;
    if run.panicked() {
        bail!(
            "step 2: with no argument, your program panicked ({}): take argument 1 with \
             `list.get(1)` and turn `None` into an error with `.context(\"...\")?`{}",
            check::describe(run.status),
            run.said()
        );
    }
    if run.status.success() {
        bail!("step 2: with no argument, your program exited with code 0: fail (exit code 1)");
    }

    // Step 2: a missing file is an error that names it.
    let missing = format!("{FOLDERS}/note.txt");
    let run = run_os(program, &[missing.clone().into()], scratch.path())?;
    if run.panicked() {
        bail!(
            "step 2: for a file that does not exist ({missing}), your program panicked: \
             return the error instead{}",
            run.said()
        );
    }
    if run.status.success() {
        bail!("step 2: for a file that does not exist ({missing}), your program exited with 0");
    }
    if !run.stderr.contains(&missing) {
        bail!(
            "step 2: the error for the missing file `{missing}` does not name the path: \
             add it with `.with_context(|| format!(\"cannot stat {{}}\", path.display()))`; \
             stderr was {:?}",
            run.stderr.trim()
        );
    }

    non_unicode(program, &scratch, &typed)
}

/// A scratch folder for the check `what`, holding the file to examine; and the path to it
/// as the student types it.
fn notes_file(what: &str) -> Result<(Scratch, String)> {
    let scratch = Scratch::new(what)?;
    let typed = format!("{FOLDERS}/{NAME}");
    scratch.file(&typed, &vec![b'n'; SIZE])?;
    Ok((scratch, typed))
}

/// The notes' steps, for the path `typed` and one more argument: the program succeeds and
/// prints its arguments, then the file's bare name and size.
fn notes_output(program: &Program, scratch: &Scratch, typed: &str) -> Result<()> {
    let run = run_os(program, &[typed.into(), "two words".into()], scratch.path())?;
    if run.panicked() || !run.status.success() {
        bail!(
            "`{typed} \"two words\"` failed ({}), though the file exists{}",
            check::describe(run.status),
            run.said()
        );
    }
    expect_arguments(&run, typed)?;
    expect_name_and_size(&run, typed, NAME, SIZE)
}

/// args-2, step 1 and 2: an argument, and a file name, that are not Unicode (Unix only: on
/// Windows an argument is UTF-16, and a shell cannot type one that is not Unicode).
#[cfg(unix)]
fn non_unicode(program: &Program, scratch: &Scratch, typed: &str) -> Result<()> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    // "café" in Latin-1, as an old program would write it: é is the one byte 0xE9.
    let cafe = OsStr::from_bytes(b"caf\xe9");
    let run = run_os(program, &[typed.into(), cafe.to_owned()], scratch.path())?;
    if run.panicked() {
        bail!(
            "step 1: an argument that is not Unicode (`caf\\xE9`, café in Latin-1) made your \
             program panic: collect `std::env::args_os()`, not `args()`{}",
            run.said()
        );
    }
    if !run.status.success() || !run.stdout.lines().any(|l| l.starts_with("argument 2: caf")) {
        bail!(
            "step 1: with the arguments `{typed}` and `caf\\xE9` (not Unicode), expected a \
             line `argument 2: caf�` ({}){}",
            check::describe(run.status),
            run.said()
        );
    }

    // A file whose very name is not Unicode: stat'ed as given, it exists.
    let mut path = PathBuf::from(FOLDERS);
    path.push(cafe);
    scratch.file(&path, b"12345")?;
    let run = run_os(program, &[path.clone().into_os_string()], scratch.path())?;
    if run.panicked() || !run.status.success() {
        bail!(
            "step 2: the file `{FOLDERS}/caf\\xE9` exists, but its name is not Unicode, and \
             your program did not find it ({}): stat the `OsString` as the OS gave it, \
             `Path::new(path)`; to_string_lossy() is for display only (it turns the name \
             into another one){}",
            check::describe(run.status),
            run.said()
        );
    }
    if !run.stdout.lines().any(|l| l == "Size(): 5") {
        bail!(
            "step 4: for the 5-byte file `{FOLDERS}/caf\\xE9`, expected `Size(): 5`{}",
            run.said()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn non_unicode(_program: &Program, _scratch: &Scratch, _typed: &str) -> Result<()> {
    Ok(())
}

/// Step 1: `argument 0: <the program>`, then the typed words, numbered from 1.
fn expect_arguments(run: &Finished, typed: &str) -> Result<()> {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let first = format!("argument 1: {typed}");
    if lines.first() == Some(&format!("argument 0: {typed}").as_str()) {
        bail!(
            "step 1: the first line was `argument 0: {typed}`: argument 0 is the program \
             itself, and the first word typed is argument 1; number every argument from 0, \
             skipping none"
        );
    }
    if !lines.first().is_some_and(|l| l.starts_with("argument 0: ")) {
        bail!(
            "step 1: the first line should be `argument 0: <the program>`{}",
            run.said()
        );
    }
    if lines.get(1) != Some(&first.as_str()) || lines.get(2) != Some(&"argument 2: two words") {
        bail!(
            "step 1: for the arguments `{typed}` and `two words`, expected the lines \
             `{first}` and `argument 2: two words` after argument 0{}",
            run.said()
        );
    }
    Ok(())
}

/// Steps 3 and 4: `Name(): <bare name>` and `Size(): <bytes>`.
fn expect_name_and_size(run: &Finished, typed: &str, name: &str, size: usize) -> Result<()> {
    let find = |label: &str| {
        run.stdout
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .map(str::to_owned)
    };
    match find("Name(): ") {
        Some(shown) if shown == name => {}
        Some(shown) if shown == typed => bail!(
            "step 3: Name() printed the whole path `{typed}`: Name() is the last part only, \
             `{name}` (`Path::new(path).file_name()`)"
        ),
        Some(shown) => bail!("step 3: Name() printed {shown:?}; the file is `{name}`"),
        None => bail!(
            "step 3: no line `Name(): {name}` for the path `{typed}`{}",
            run.said()
        ),
    }
    match find("Size(): ") {
        Some(shown) if shown == size.to_string() => Ok(()),
        Some(shown) => {
            bail!("step 4: Size() printed {shown:?}; the file has {size} bytes (`info.len()`)")
        }
        None => bail!("step 4: no line `Size(): {size}`{}", run.said()),
    }
}

/// A program that ran to its end, and what it printed.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    /// Exit code 101 is a Rust panic; the message says so too.
    fn panicked(&self) -> bool {
        self.status.code() == Some(101) || self.stderr.contains("panicked")
    }

    /// What it printed, for a failure message (or the `todo!()` it stopped at).
    fn said(&self) -> String {
        if let Some(gap) = self.stderr.split("not yet implemented: ").nth(1) {
            let gap = gap.lines().next().unwrap_or_default();
            return format!(": it stopped at a gap you have not filled yet, `todo!(\"{gap}\")`");
        }
        let mut said = String::new();
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.trim().is_empty() {
                said.push_str(&format!("\n  its {name} was:"));
                for line in text.lines().take(8) {
                    said.push_str(&format!("\n    {line}"));
                }
            }
        }
        said
    }
}

/// Runs `program` with `args` (any bytes) in `dir`, to its end within [`STEP_TIMEOUT`].
///
/// Its output goes to files in `dir`, read once it has ended: nothing to drain meanwhile,
/// and arguments need not be text (`Running` takes `&str`).
fn run_os(program: &Program, args: &[OsString], dir: &Path) -> Result<Finished> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let out_path = dir.join(format!(".run-{run}.out"));
    let err_path = dir.join(format!(".run-{run}.err"));
    let mut child = Command::new(&program.path)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).context("cannot create a scratch file")?)
        .stderr(File::create(&err_path).context("cannot create a scratch file")?)
        .spawn()
        .with_context(|| format!("could not start {}", program.label))?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} was still running after {} s: it should print and exit at once",
                program.label,
                STEP_TIMEOUT.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    let read = |path: &Path| -> Result<String> {
        let bytes = fs::read(path).context("cannot read a scratch file")?;
        let _ = fs::remove_file(path);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    Ok(Finished {
        status,
        stdout: read(&out_path)?,
        stderr: read(&err_path)?,
    })
}
