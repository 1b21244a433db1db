//! The process guard: every program the tour starts is a [`Process`], stopped when dropped.
//!
//! A lesson keeps its processes in local variables. Whatever way the lesson's function ends
//! (its last step, a failing step, Ctrl-C), its locals are dropped, and [`Process`]'s `Drop`
//! kills the program and waits for it (reaps it), so no server outlives its lesson.
//!
//! Each line a program prints is shown by the narrator as it arrives, and kept, so a step
//! can wait for a line ("listening on") and look at what was printed, always with a
//! deadline, and always noticing Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{Session, narrator};

/// The longest a single wait of the tour may take (a server's first line, a reply, an exit),
/// unless its step says otherwise.
///
/// On loopback each takes milliseconds; the bound turns a stuck program into a failed step
/// instead of a tour that hangs in front of a class.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a wait looks up to see whether the tour was interrupted.
const POLL: Duration = Duration::from_millis(20);

/// A line a program printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Printed on stderr (an error) rather than stdout.
    pub from_stderr: bool,
    /// The line, without its line ending.
    pub text: String,
}

/// A running program, killed and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    /// Every line printed so far, in the order it arrived.
    printed: Vec<Line>,
}

impl Process {
    /// Starts `name` (a program the tour built) with `args`, in the lesson's folder; its
    /// stdin is a pipe the tour writes to with [`Process::send_line`], or empty when
    /// `keyboard` is false.
    pub fn start(
        session: &Session<'_>,
        name: &str,
        args: &[&str],
        keyboard: bool,
    ) -> Result<Process> {
        Process::start_as(session, name, name, args, keyboard)
    }

    /// Like [`Process::start`], with `label` to tell its lines from those of another
    /// instance of the same program ("client A").
    pub fn start_as(
        session: &Session<'_>,
        name: &str,
        label: &str,
        args: &[&str],
        keyboard: bool,
    ) -> Result<Process> {
        crate::check_interrupted()?;
        let path = session.program(name)?;
        session.narrator.command(name, args, label);
        let mut child = Command::new(&path)
            .args(args)
            .current_dir(&session.dir)
            .stdin(if keyboard {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start {}", path.display()))?;
        if session.print_pids() {
            say!("pid {} {label}", child.id());
        }
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            forward_lines(stdout, false, sender.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward_lines(stderr, true, sender);
        }
        Ok(Process {
            name: label.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            printed: Vec::new(),
        })
    }

    /// Starts a server and waits for its `listening on ADDR` line; returns the address.
    pub fn start_server(
        session: &Session<'_>,
        name: &str,
        args: &[&str],
    ) -> Result<(Process, SocketAddr)> {
        let mut server = Process::start(session, name, args, false)?;
        let line = server.wait_for_line(|line| line.starts_with(common::LISTENING_PREFIX))?;
        let addr = line
            .strip_prefix(common::LISTENING_PREFIX)
            .and_then(|addr| addr.trim().parse().ok())
            .with_context(|| format!("`{name}` printed {line:?}, which holds no address"))?;
        Ok((server, addr))
    }

    /// Waits for a line on stdout that `wanted` accepts, showing every line until then.
    pub fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> Result<String> {
        self.wait_for_line_within(STEP_TIMEOUT, wanted)
    }

    /// [`Process::wait_for_line`] for a step that may take longer than [`STEP_TIMEOUT`].
    pub fn wait_for_line_within(
        &mut self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_line(deadline)? {
                Some(line) if !line.from_stderr && wanted(&line.text) => return Ok(line.text),
                Some(_) => {}
                None => bail!(
                    "`{}` ended without printing the line expected{}",
                    self.name,
                    self.stderr_summary()
                ),
            }
        }
    }

    /// Types `text` and Enter on the program's stdin.
    pub fn send_line(&mut self, text: &str) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .with_context(|| format!("`{}` was started without a keyboard", self.name))?;
        narrator::typed(&self.name, text);
        writeln!(stdin, "{text}")
            .and_then(|()| stdin.flush())
            .with_context(|| format!("`{}` stopped reading its input", self.name))
    }

    /// Ends the program's input, like Ctrl-D at a terminal.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Ends the program's input and waits for it to exit; shows and keeps all it printed.
    pub fn finish(&mut self) -> Result<ExitStatus> {
        self.close_stdin();
        let deadline = Instant::now() + STEP_TIMEOUT;
        // The output ends (both pipes close) when the program exits.
        while self.next_line(deadline)?.is_some() {}
        loop {
            crate::check_interrupted()?;
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!("`{}` was still running after {STEP_TIMEOUT:?}", self.name);
            }
            thread::sleep(POLL);
        }
    }

    /// Shows and keeps the lines printed so far, without waiting for more.
    pub fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.keep(line);
        }
    }

    /// Every line printed so far (call [`Process::drain`] first to include the newest).
    pub fn printed(&self) -> &[Line] {
        &self.printed
    }

    /// The stdout lines printed so far that contain `needle`.
    pub fn lines_containing(&self, needle: &str) -> Vec<&str> {
        self.printed
            .iter()
            .filter(|line| !line.from_stderr && line.text.contains(needle))
            .map(|line| line.text.as_str())
            .collect()
    }

    /// The next line, or `None` once the program closed its output; fails at `deadline`.
    fn next_line(&mut self, deadline: Instant) -> Result<Option<Line>> {
        loop {
            crate::check_interrupted()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "`{}` printed nothing further in time: is it stuck?{}",
                    self.name,
                    self.stderr_summary()
                );
            }
            match self.lines.recv_timeout(left.min(POLL)) {
                Ok(line) => {
                    self.keep(line.clone());
                    return Ok(Some(line));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }

    fn keep(&mut self, line: Line) {
        narrator::output(&self.name, line.from_stderr, &line.text);
        self.printed.push(line);
    }

    fn stderr_summary(&self) -> String {
        let errors: Vec<&str> = self
            .printed
            .iter()
            .filter(|line| line.from_stderr)
            .map(|line| line.text.as_str())
            .collect();
        if errors.is_empty() {
            String::new()
        } else {
            format!("; it said: {}", errors.join(" / "))
        }
    }
}

// ANCHOR: drop
impl Drop for Process {
    fn drop(&mut self) {
        // Kill, then wait: without the wait a dead child stays a zombie until the tour ends.
        // Both fail only if the program has already exited and been reaped: nothing to do.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
// ANCHOR_END: drop

/// Reads `source` line by line on a thread of its own and sends each line to `sink`.
fn forward_lines(source: impl Read + Send + 'static, from_stderr: bool, sink: Sender<Line>) {
    thread::spawn(move || {
        for line in BufReader::new(source).split(b'\n').map_while(Result::ok) {
            let text = String::from_utf8_lossy(&line)
                .trim_end_matches('\r')
                .to_owned();
            if sink.send(Line { from_stderr, text }).is_err() {
                break; // The tour dropped the process: nobody reads any more.
            }
        }
    });
}
