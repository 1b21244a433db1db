//! The tools every check uses: run a program, wait for its `listening on` line, run a real
//! partner against it, and say what went wrong in the student's terms.
//!
//! Unlike the lessons' test helpers (`testkit`), nothing here panics: a failed check is the
//! normal case for a student's unfinished program, and its message is the lesson.
//!
//! * [`scratch`]: a folder of its own for each check that needs files;
//! * [`socket`]: the check's own end of a connection that the program under check dials.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::exercise::Program;

pub mod scratch;
pub mod socket;

/// The longest any one step of a check waits: a server's first line, a reply, an exit.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// A real partner binary of the workspace (`tcp-client`, `file-recv`, ...), named by its
/// name in messages, built first with the runner's profile, so it is never stale.
pub fn partner(name: &str) -> Result<Program> {
    let paths = testkit::binaries::build(&[name], true)
        .with_context(|| format!("could not build the partner program `{name}`"))?;
    let path = paths
        .into_iter()
        .next()
        .with_context(|| format!("cargo built no `{name}`"))?;
    Ok(Program {
        path,
        label: name.to_owned(),
    })
}

/// Output lines of a running program, collected by a background thread.
#[derive(Debug, Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(source: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let sink = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(source).split(b'\n').map_while(Result::ok) {
                let text = String::from_utf8_lossy(&line);
                sink.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(text.trim_end_matches('\r').to_owned());
            }
        });
        lines
    }

    /// Every line so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A program running for the length of one check; killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// What it printed on stdout.
    pub stdout: Lines,
    /// What it printed on stderr.
    pub stderr: Lines,
    label: String,
}

impl Running {
    /// Starts `program` with `args` in `dir` (the current folder when `None`).
    pub fn start(program: &Program, args: &[&str], dir: Option<&Path>) -> Result<Running> {
        let mut command = Command::new(&program.path);
        // A backtrace would bury the one line that says what went wrong: a student's `main`
        // that returns an error prints it, and a `todo!()` its message.
        command
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("could not start {}", program.label))?;
        let stdout = Lines::collect(child.stdout.take().context("stdout is piped")?);
        let stderr = Lines::collect(child.stderr.take().context("stderr is piped")?);
        Ok(Running {
            child,
            stdout,
            stderr,
            label: program.label.clone(),
        })
    }

    /// Writes `bytes` to the program's stdin, then closes it (end of input).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(mut stdin) = self.child.stdin.take() {
            // A program that exits without reading its input is not our error here.
            let _ = stdin.write_all(bytes);
        }
        Ok(())
    }

    /// Writes `bytes` to the program's stdin and leaves it open, as a person typing a line
    /// and thinking about the next one; [`Running::feed`] ends the input.
    pub fn type_in(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(stdin) = self.child.stdin.as_mut() {
            // A program that exits without reading its input is not our error here.
            let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
        }
        Ok(())
    }

    /// Waits for a stdout line that satisfies `found`, and returns it.
    ///
    /// Fails after `timeout`, or when the program exits first, with `what` ("its
    /// `listening on` line") and what it printed, including a `todo!()` it stopped at.
    pub fn wait_for_line(
        &mut self,
        what: &str,
        timeout: Duration,
        found: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.stdout.snapshot().into_iter().find(|l| found(l)) {
                return Ok(line);
            }
            if let Some(status) = self.child.try_wait()? {
                // Give the reader threads a moment to collect the last lines.
                thread::sleep(Duration::from_millis(50));
                if let Some(line) = self.stdout.snapshot().into_iter().find(|l| found(l)) {
                    return Ok(line);
                }
                bail!(
                    "{} ended ({}) before printing {what}{}",
                    self.label,
                    describe(status),
                    self.said()
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} did not print {what} within {} s{}",
                    self.label,
                    timeout.as_secs(),
                    self.said()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the program to exit by itself, within `timeout`, and returns its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                thread::sleep(Duration::from_millis(50)); // let the readers finish
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} was still running after {} s{}",
                    self.label,
                    timeout.as_secs(),
                    self.said()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// A summary of what the program printed, for a failure message: its stopping `todo!()`
    /// first, then its last lines.
    pub fn said(&self) -> String {
        let stderr = self.stderr.snapshot();
        if let Some(gap) = stderr
            .iter()
            .find_map(|line| line.split("not yet implemented: ").nth(1))
        {
            return format!(": it stopped at a gap you have not filled yet, `todo!(\"{gap}\")`");
        }
        let mut said = String::new();
        let stdout = self.stdout.snapshot();
        for (name, lines) in [("stdout", &stdout), ("stderr", &stderr)] {
            if !lines.is_empty() {
                let start = lines.len().saturating_sub(5);
                said.push_str(&format!("\n  its {name} ended with:"));
                for line in &lines[start..] {
                    said.push_str(&format!("\n    {line}"));
                }
            }
        }
        said
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server `program` with `args` and waits for its `listening on ADDR` line.
pub fn start_server(
    program: &Program,
    args: &[&str],
    dir: Option<&Path>,
) -> Result<(Running, SocketAddr)> {
    start_server_at(program, args, dir, 1, "listener.local_addr()")
}

/// As [`start_server`], for a server whose `listening on` line is its step `step`, and
/// whose bound address comes from the call `local_addr` (`socket.local_addr()?`): the
/// messages say so.
pub fn start_server_at(
    program: &Program,
    args: &[&str],
    dir: Option<&Path>,
    step: u32,
    local_addr: &str,
) -> Result<(Running, SocketAddr)> {
    let mut server = Running::start(program, args, dir)?;
    let line = server.wait_for_line(
        &format!("`{}ADDR` (step {step})", common::LISTENING_PREFIX),
        STEP_TIMEOUT,
        |line| line.starts_with(common::LISTENING_PREFIX),
    )?;
    let addr = line[common::LISTENING_PREFIX.len()..]
        .trim()
        .parse()
        .map_err(|_| {
            anyhow!(
                "step {step}: {} printed {line:?}: after `{}` comes the address really bound, \
                 such as 127.0.0.1:40000 (print `{local_addr}`)",
                program.label,
                common::LISTENING_PREFIX
            )
        })?;
    Ok((server, addr))
}

/// Runs `program` to its end with `stdin`, within `timeout`, and returns its status, stdout
/// and stderr.
pub fn run_to_end(
    program: &Program,
    args: &[&str],
    stdin: &[u8],
    timeout: Duration,
) -> Result<(ExitStatus, Vec<String>, Vec<String>)> {
    let mut running = Running::start(program, args, None)?;
    running.feed(stdin)?;
    let status = running.wait_exit(timeout)?;
    Ok((status, running.stdout.snapshot(), running.stderr.snapshot()))
}

/// Runs `f` on a thread and waits at most `timeout` for its answer: for socket steps that
/// a wrong program could leave blocked for ever.
pub fn within<T: Send + 'static>(
    timeout: Duration,
    what: &str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx): (_, Receiver<Result<T>>) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(timeout)
        .map_err(|_| anyhow!("{what}: nothing within {} s", timeout.as_secs()))?
}

/// "exit code 1", "killed by a signal", for messages.
pub fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_owned(),
    }
}
