//! The tour, run as a student runs it: the real `tour` binary, which builds and runs the
//! real lesson binaries on loopback. Each test checks what the tour prints, its exit code,
//! and that nothing it started or wrote is left behind.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The whole tour takes a few seconds on a laptop; a slow, shared CI machine gets much more.
const TOUR_TIMEOUT: Duration = Duration::from_secs(180);

/// The tour binary running, its stdout collected line by line as it comes; killed on drop.
struct Tour {
    child: Child,
    lines: Receiver<String>,
    stdout: Vec<String>,
    stderr: Receiver<String>,
}

impl Tour {
    fn start(args: &[&str], keyboard: bool) -> Tour {
        Tour::start_with(args, keyboard, &[])
    }

    /// Like [`Tour::start`], with extra environment variables.
    fn start_with(args: &[&str], keyboard: bool, env: &[(&str, &std::ffi::OsStr)]) -> Tour {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tour"))
            .args(args)
            .envs(env.iter().copied())
            .stdin(if keyboard {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tour binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
        let (sender, stderr) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            let _ = sender.send(text);
        });
        Tour {
            child,
            lines,
            stdout: Vec::new(),
            stderr,
        }
    }

    /// Waits for a stdout line containing `needle`; panics with the output so far if none.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TOUR_TIMEOUT;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.stdout.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
        panic!(
            "the tour printed no line containing {needle:?}; it printed:\n{}",
            self.stdout.join("\n")
        );
    }

    /// Waits for the tour to end; returns its status, all of its stdout, and its stderr.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + TOUR_TIMEOUT;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.stdout.push(line);
        }
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("can query the tour") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the tour still runs after {TOUR_TIMEOUT:?}; it printed:\n{}",
                self.stdout.join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        };
        let stderr = self
            .stderr
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default();
        (status, self.stdout.join("\n"), stderr)
    }
}

impl Drop for Tour {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the tour with `args` to its end.
fn tour(args: &[&str]) -> (ExitStatus, String, String) {
    Tour::start(args, false).finish()
}

/// Checks that nothing the tour started or wrote outlives it: its temporary folder is gone,
/// no process whose pid it printed (`--print-pids`) is still alive, and nothing listens on
/// the TCP addresses its servers printed.
fn assert_nothing_left_behind(stdout: &str) {
    let folder = stdout
        .lines()
        .find_map(|line| line.strip_prefix("The tour's files live in "))
        .and_then(|rest| rest.strip_suffix(" (removed at the end)."))
        .expect("the tour names its temporary folder");
    assert!(
        !PathBuf::from(folder).exists(),
        "the tour's folder {folder} is still there"
    );

    let pids: Vec<u32> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("pid "))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .collect();
    assert!(!pids.is_empty(), "the tour printed no pids:\n{stdout}");
    if cfg!(target_os = "linux") {
        for pid in &pids {
            assert!(
                !PathBuf::from(format!("/proc/{pid}")).exists(),
                "process {pid}, started by the tour, is still alive"
            );
        }
    }

    for line in stdout.lines() {
        let Some((_, addr)) = line.split_once("| listening on ") else {
            continue;
        };
        let addr: SocketAddr = addr.trim().parse().expect("a listening address");
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
            "something still listens on {addr}"
        );
    }
}

#[test]
fn the_whole_tour_passes_and_leaves_nothing_behind() {
    let (status, stdout, stderr) = tour(&["--print-pids"]);
    assert!(status.success(), "the tour failed:\n{stdout}\n{stderr}");
    for lesson in tour::lessons::LESSONS {
        assert!(
            stdout.contains(&format!("  {:<8} passed", lesson.name)),
            "no `{} passed` in the summary:\n{stdout}",
            lesson.name
        );
    }
    assert!(stdout.contains("7 of 7 lessons passed."), "{stdout}");
    // A key line from each lesson, as the real programs print it.
    for key in [
        "tcp-client | HELLO, TCP",
        "disconnected: the peer closed the connection (read returned 0)",
        "client A | ONE FROM A",
        "client B | TWO FROM B",
        "over TCP, as fast as possible",
        "lost 0 (0.00 %)",
        "(argument 0: the program, as it was started)",
        "confirmed the size and the BLAKE3 digest",
        "reads the answer: error: the name \"../escaped.txt\"",
        "TIME_WAIT",
        "reads: HELLO THROUGH THE PROXY",
        "terminal 2: cargo run -p tcp-client",
    ] {
        assert!(stdout.contains(key), "no {key:?} in the tour:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert_nothing_left_behind(&stdout);
}

#[test]
fn a_failing_lesson_is_reported_and_the_others_still_run() {
    let (status, stdout, _) = tour(&["--print-pids", "--break-lesson", "udp"]);
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "FAILED: lesson udp, step 1 (The server resolves its address and binds one socket)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("   expected: udp-server prints `listening on ADDR`"),
        "{stdout}"
    );
    assert!(stdout.contains("   got:      could not start"), "{stdout}");
    assert!(stdout.contains("  udp      FAILED"), "{stdout}");
    for lesson in tour::lessons::LESSONS.iter().filter(|l| l.name != "udp") {
        assert!(
            stdout.contains(&format!("  {:<8} passed", lesson.name)),
            "{} did not pass after the failure:\n{stdout}",
            lesson.name
        );
    }
    assert!(stdout.contains("6 of 7 lessons passed."), "{stdout}");
    assert_nothing_left_behind(&stdout);
}

#[test]
fn list_names_every_lesson_with_a_description() {
    let (status, stdout, _) = tour(&["--list"]);
    assert!(status.success());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), tour::lessons::LESSONS.len(), "{stdout}");
    for (line, lesson) in lines.iter().zip(tour::lessons::LESSONS) {
        assert_eq!(*line, format!("{:<8} {}", lesson.name, lesson.title));
    }
    for name in ["tcp", "udp", "loss", "args", "file", "states", "socks"] {
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with(&format!("{name} "))),
            "{name} is not listed:\n{stdout}"
        );
    }
}

#[test]
fn lesson_plays_only_that_lesson() {
    let (status, stdout, stderr) = tour(&["--lesson", "args", "--print-pids"]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("=== Lesson 1 of 1: "), "{stdout}");
    assert!(stdout.contains("  args     passed"), "{stdout}");
    assert!(stdout.contains("1 of 1 lessons passed."), "{stdout}");
    assert!(!stdout.contains("tcp-server"), "{stdout}");
    assert_nothing_left_behind(&stdout);
}

#[test]
fn an_unknown_lesson_is_refused_with_the_names_to_choose_from() {
    let (status, stdout, stderr) = tour(&["--lesson", "http"]);
    assert_eq!(status.code(), Some(2), "{stdout}");
    assert!(stderr.contains("invalid value 'http'"), "{stderr}");
    assert!(stderr.contains("tcp"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

/// Ctrl-C in a terminal sends SIGINT to every process of the foreground group; `kill -INT`
/// sends it to the tour alone, so the tour itself must stop its programs.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_every_program_and_removes_the_files() {
    use std::io::Write;

    let mut tour = Tour::start(&["--lesson", "socks", "--step", "--print-pids"], true);
    let mut keyboard = tour.child.stdin.take().expect("stdin is piped");
    tour.wait_for("Step 1.");
    // Enter: step 1 starts the two servers; the tour then pauses before step 2.
    keyboard
        .write_all(b"\n")
        .expect("the tour reads its keyboard");
    tour.wait_for("pid ");
    tour.wait_for("Step 2.");
    // The shell's own `kill`: a `kill` program is not installed on every minimal system.
    let interrupted = Command::new("sh")
        .args(["-c", "kill -INT \"$0\"", &tour.child.id().to_string()])
        .status()
        .expect("sh runs");
    assert!(interrupted.success());
    let (status, stdout, _) = tour.finish();
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("Interrupted: every program"), "{stdout}");
    assert!(!stdout.contains("Summary:"), "{stdout}");
    assert_nothing_left_behind(&stdout);
    drop(keyboard);
}

/// A lesson whose code does not compile fails alone: the tour builds each lesson's programs
/// on its own when building them all at once failed. The broken build is played by a fake
/// `cargo` (the tour runs `$CARGO`) that refuses to build `udp-client` and runs the real
/// cargo for everything else.
#[cfg(unix)]
#[test]
fn a_lesson_that_does_not_build_fails_alone() {
    use std::os::unix::fs::PermissionsExt;

    let folder = tempfile::tempdir().expect("a temporary folder");
    let fake_cargo = folder.path().join("cargo");
    std::fs::write(
        &fake_cargo,
        "#!/bin/sh\n\
         for arg in \"$@\"; do\n\
           if [ \"$arg\" = udp-client ]; then\n\
             echo 'error: could not compile `udp-client` (the test pretends)' >&2; exit 101\n\
           fi\n\
         done\n\
         exec \"$REAL_CARGO\" \"$@\"\n",
    )
    .expect("can write the fake cargo");
    std::fs::set_permissions(&fake_cargo, std::fs::Permissions::from_mode(0o755))
        .expect("can make the fake cargo executable");
    let real_cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let tour = Tour::start_with(
        &["--print-pids"],
        false,
        &[
            ("CARGO", fake_cargo.as_os_str()),
            ("REAL_CARGO", &real_cargo),
        ],
    );
    let (status, stdout, _) = tour.finish();
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("building each lesson's programs on its own instead"),
        "{stdout}"
    );
    // Only the lesson that runs udp-client fails; the loss experiment has binaries of its own.
    assert!(
        stdout.contains("FAILED: lesson udp, before its first step"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  {:<8} FAILED", "udp")),
        "{stdout}"
    );
    for passed in ["tcp", "loss", "args", "file", "states", "socks"] {
        assert!(
            stdout.contains(&format!("  {passed:<8} passed")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("6 of 7 lessons passed."), "{stdout}");
    assert_nothing_left_behind(&stdout);
}
