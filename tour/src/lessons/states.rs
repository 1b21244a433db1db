//! The TCP states of one connection: `tcp-states` drives one connection on loopback through
//! its life and reports, after each step, the state the OS shows for each end.
//!
//! The lab pauses after each of its steps (`--step`) until it reads a line on its input, so
//! the tour advances it one step per announcement, and checks the states it reports. The
//! TIME_WAIT at the end is shown, not waited for: it lasts 60 s on Linux.

use anyhow::{Result, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::Step;
use crate::process::Process;

pub const LESSON: Lesson = Lesson {
    name: "states",
    title: "The TCP states of one connection, from LISTEN to TIME_WAIT",
    programs: &["tcp-states"],
    by_hand: &[
        ("terminal 1:", "cargo run -p tcp-states -- --step"),
        (
            "terminal 2:",
            "ss -tan '( sport = :8003 or dport = :8003 )'    (macOS, Windows: netstat -an)",
        ),
    ],
    run,
};

/// What the lab prints when it pauses after a step.
const PAUSE_PROMPT: &str = "[press Enter for the next step]";

/// The lab's steps: what the tour announces, and the states each end must then be in
/// (`None`: not checked).
struct LabStep {
    step: Step<'static>,
    client: Option<&'static str>,
    server: Option<&'static str>,
}

const STEPS: &[LabStep] = &[
    LabStep {
        step: Step {
            title: "The lab's server listens",
            notes: "passive open: CLOSED → LISTEN (net.Listen)",
            rust: "TcpListener::bind(addr)",
            expect: "the listening socket is in LISTEN",
        },
        client: None,
        server: None,
    },
    LabStep {
        step: Step {
            title: "The client connects: the three-way handshake",
            notes: "SYN, SYN+ACK, ACK; net.Dial returns once the handshake is done",
            rust: "TcpStream::connect_timeout(&server, timeout)",
            expect: "both ends ESTABLISHED, before the server even called accept",
        },
        client: Some("ESTABLISHED"),
        server: Some("ESTABLISHED"),
    },
    LabStep {
        step: Step {
            title: "The server accepts",
            notes: "listener.Accept() takes a connection whose handshake is finished",
            rust: "listener.accept()",
            expect: "both ends still ESTABLISHED: accept sends nothing",
        },
        client: Some("ESTABLISHED"),
        server: Some("ESTABLISHED"),
    },
    LabStep {
        step: Step {
            title: "The client shuts down its sending side: the first FIN",
            notes: "four-way teardown, 1 and 2: FIN, then ACK; the connection is half-closed",
            rust: "client.shutdown(Shutdown::Write)",
            expect: "client FIN_WAIT_2, server CLOSE_WAIT",
        },
        client: Some("FIN_WAIT_2"),
        server: Some("CLOSE_WAIT"),
    },
    LabStep {
        step: Step {
            title: "The server reads 0",
            notes: "conn.Read returns io.EOF: the program learns of the FIN",
            rust: "server.read(&mut buf) returns Ok(0)",
            expect: "unchanged: client FIN_WAIT_2, server CLOSE_WAIT",
        },
        client: Some("FIN_WAIT_2"),
        server: Some("CLOSE_WAIT"),
    },
    LabStep {
        step: Step {
            title: "The server closes: the second FIN",
            notes: "four-way teardown, 3 and 4: FIN, then ACK; LAST_ACK → CLOSED",
            rust: "drop(server)",
            expect: "client TIME_WAIT; the server's socket is gone (CLOSED)",
        },
        client: Some("TIME_WAIT"),
        server: Some("CLOSED"),
    },
    LabStep {
        step: Step {
            title: "The client reads 0 and closes",
            notes: "TIME_WAIT: the active closer waits 2 MSL after the last ACK",
            rust: "client.read(&mut buf) returns Ok(0); drop(client)",
            expect: "the client's end stays in TIME_WAIT after close (the tour does not wait its 60 s)",
        },
        client: Some("TIME_WAIT"),
        server: None,
    },
    LabStep {
        step: Step {
            title: "The server restarts on the same port",
            notes: "(beyond the notes) can a restarted server bind its port at once?",
            rust: "TcpListener::bind(addr) again (std sets SO_REUSEADDR on Unix)",
            expect: "the port binds again",
        },
        client: None,
        server: None,
    },
];

fn run(session: &mut Session<'_>) -> Result<()> {
    let mut lab: Option<Process> = None;
    for (index, lab_step) in STEPS.iter().enumerate() {
        session.narrator.step(lab_step.step)?;
        let before = lab.as_ref().map_or(0, |lab| lab.printed().len());
        let last = index + 1 == STEPS.len();
        let process = match lab.as_mut() {
            // Starting the lab does its step 1; each Enter does the next step.
            None => lab.insert(Process::start(
                session,
                "tcp-states",
                &["--listen", "127.0.0.1:0", "--step"],
                true,
            )?),
            Some(process) => {
                process.send_line("")?;
                process
            }
        };
        if last {
            let status = process.finish()?;
            ensure!(status.success(), "tcp-states exited with {status}");
        } else {
            process.wait_for_line(|line| line.trim() == PAUSE_PROMPT)?;
        }
        let block: Vec<&str> = process.printed()[before..]
            .iter()
            .filter(|line| !line.from_stderr)
            .map(|line| line.text.as_str())
            .collect();
        check(lab_step, &block, index + 1)?;
        // The check passed: the lab's report says what the step expected.
        session.narrator.saw(lab_step.step.expect);
    }
    Ok(())
}

/// Checks the lab's report of step `number` against what the step expects.
fn check(lab_step: &LabStep, block: &[&str], number: usize) -> Result<()> {
    let state = |end: &str| {
        block
            .iter()
            .find(|line| line.trim_start().starts_with(end))
            .map(|line| line.to_owned())
    };
    match number {
        1 => ensure!(
            state("listener:").is_some_and(|line| line.contains("LISTEN")),
            "the lab did not report a listener in LISTEN"
        ),
        8 => ensure!(
            block.iter().any(|line| line.contains("bound")),
            "the lab did not report binding the port again"
        ),
        _ => {}
    }
    for (end, wanted) in [("client:", lab_step.client), ("server:", lab_step.server)] {
        let Some(wanted) = wanted else { continue };
        let line = state(end).unwrap_or_default();
        ensure!(
            line.contains(wanted),
            "the lab reported the {} as {:?}",
            end.trim_end_matches(':'),
            line.trim()
        );
    }
    Ok(())
}
