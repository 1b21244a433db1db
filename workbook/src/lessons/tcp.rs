//! The TCP lesson's exercises (chapter "A TCP server and client"): the notes' server and
//! client first, then one hardening at a time.

use std::io::Read;
use std::net::TcpStream;

use anyhow::{Result, bail};

use crate::check::{self, STEP_TIMEOUT};
use crate::exercise::{Exercise, Mistake, Program};

/// In the order of the chapter.
pub const EXERCISES: &[Exercise] = &[Exercise {
    name: "tcp-server-1",
    lesson: "TCP server",
    chapter: "tcp.md",
    title: "the notes' server: listen, accept, a thread per client, read, write back upper-cased",
    hints: &[
        "Step 1 is `TcpListener::bind(&addr)?`; then print `listening on` and `listener.local_addr()?`: with port 0, only the OS knows the port.",
        "Steps 2 and 3: `let (conn, _peer) = listener.accept()?;` then `thread::spawn(move || handle(conn));`: the closure takes `conn` with it.",
        "Steps 4 and 5: `let n = conn.read(&mut buf)`; 0 means the client closed, so leave the loop; otherwise upper-case `&buf[..n]` (`String::from_utf8_lossy(..).to_uppercase()`) and `write_all` it.",
    ],
    mistakes: &[Mistake {
        name: "echo",
        caught_by: "did you upper-case it?",
    }],
    check: check_tcp_server_1,
}];

/// The student's server against the real `tcp-client`, twice at once.
fn check_tcp_server_1(program: &Program) -> Result<()> {
    let (_server, addr) = check::start_server(program, &["127.0.0.1:0"], None)?;
    let client = Program {
        path: check::partner("tcp-client")?,
        label: "tcp-client".to_owned(),
    };
    let addr = addr.to_string();

    // Steps 2 to 5, with the real client: one line, its reply.
    let (status, stdout, stderr) = check::run_to_end(
        &client,
        &["--connect", &addr, "--message", "hello", "--timeout", "3"],
        b"",
        STEP_TIMEOUT,
    )?;
    match stdout.first().map(String::as_str) {
        Some("HELLO") => {}
        Some("hello") => bail!(
            "step 5: the reply to `hello` was `hello`: did you upper-case it? \
             (`String::from_utf8_lossy(&buf[..n]).to_uppercase()`)"
        ),
        Some(other) => bail!("step 5: the reply to `hello` was {other:?}, not `HELLO`"),
        None => bail!(
            "steps 2 to 5: tcp-client sent `hello` and got no reply ({}): {}",
            check::describe(status),
            stderr.join(" ")
        ),
    }

    // Step 3: a second client is served while the first is still connected.
    let first = TcpStream::connect(&addr)?;
    let (_, stdout, _) = check::run_to_end(
        &client,
        &["--connect", &addr, "--message", "second", "--timeout", "3"],
        b"",
        STEP_TIMEOUT,
    )?;
    if stdout.first().map(String::as_str) != Some("SECOND") {
        bail!(
            "step 3: while one client stayed connected, a second one got no reply: serve each \
             client on a thread of its own (`thread::spawn(move || handle(conn))`), so the \
             loop goes back to `accept` at once"
        );
    }

    // Step 4: the server sees the first client's FIN and closes its side too.
    first.shutdown(std::net::Shutdown::Write)?;
    first.set_read_timeout(Some(STEP_TIMEOUT))?;
    let mut rest = Vec::new();
    if (&first).read_to_end(&mut rest).is_err() {
        bail!(
            "step 4: after the client closed its side, the server kept the connection open: \
             a read of 0 bytes means the client closed; leave the loop so `conn` is dropped"
        );
    }
    Ok(())
}
