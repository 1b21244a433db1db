//! The checks of the TCP lesson's client exercises: the student's client against raw
//! servers of the check's own that it dials (one that sees every byte, one that answers late
//! and in pieces, one that never answers, one that never completes the handshake) and the
//! real `tcp-server`.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{read_line_from, shown};
use crate::check::socket::{self, Arrival, quiet};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::Program;

/// The student's client against a raw server of the check's own (which sees exactly the
/// bytes sent), then against the real `tcp-server`.
pub(super) fn check_tcp_client_1(program: &Program) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut client = Running::start(program, &[&addr, "hello"], None)?;
    client.feed(b"")?;
    let conn = accept_from(&listener, &mut client, &addr)?;

    // Step 2: the line and its newline.
    conn.set_read_timeout(Some(Duration::from_secs(3)))?;
    let sent = read_line_from(&mut BufReader::new(&conn), 1 << 16);
    match sent.as_slice() {
        b"hello\n" => {}
        b"hello" => bail!(
            "step 2: your client sent `hello` with no newline after it: the server answers \
             whole lines and waits for the newline, so write `hello\\n`"
        ),
        b"" => bail!(
            "step 2: your client connected and sent nothing within 3 s{}",
            client.said()
        ),
        other => bail!(
            "step 2: your client sent `{}`, not `hello` and a newline",
            shown(other)
        ),
    }

    // Step 3: the reply, printed as it came.
    (&conn).write_all(b"HELLO\n")?;
    let status = client.wait_exit(STEP_TIMEOUT).context(
        "step 3: the server replied `HELLO`, and your client did not end: read once, print, exit",
    )?;
    let stdout = client.stdout.snapshot();
    if let Some(zeros) = stdout.iter().find(|line| line.contains('\0')) {
        bail!(
            "step 3: your client printed {} zero bytes after `HELLO`: print `&buf[..n]`, the n \
             bytes that read returned, not the whole buffer",
            zeros.matches('\0').count()
        );
    }
    if stdout != ["HELLO"] {
        bail!(
            "step 3: the server replied `HELLO`, and your client printed {stdout:?}{}",
            client.said()
        );
    }
    if !status.success() {
        bail!(
            "step 4: your client ended with {}{}",
            check::describe(status),
            client.said()
        );
    }

    // The real tcp-server, with lines from the input.
    with_real_server(
        program,
        "one\nstraße\n",
        &["ONE", "STRASSE"],
        "with tcp-server and two lines typed, `one` and `straße`",
        "with tcp-server and the lines `one` and `straße` typed",
    )
}

/// The student's client against a raw server that answers only after the client's FIN, in
/// three pieces, then against the real `tcp-server`.
pub(super) fn check_tcp_client_2(program: &Program) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut client = Running::start(program, &[&addr], None)?;
    // The input stays open until both lines have arrived, so the sending thread cannot reach
    // step 4 before the main thread reaches step 3: the first gap named is always the same.
    client.type_in(b"hello\nworld\n")?;
    let conn = accept_from(&listener, &mut client, &addr)?;

    // Step 2: every line, without waiting for a reply.
    let patience = Duration::from_secs(5);
    conn.set_read_timeout(Some(patience))?;
    let mut received = Vec::new();
    let _ = (&conn).take(12).read_to_end(&mut received);
    if let Ok(status) = client.wait_exit(Duration::from_millis(300)) {
        bail!(
            "your client ended ({}) while its input was still open, before any reply came: \
             keep reading until read returns 0 (step 3){}",
            check::describe(status),
            client.said()
        );
    }
    if received != b"hello\nworld\n" {
        bail!(
            "step 2: the server received `{}`, not `hello` and `world`, each with its newline: \
             send every line without waiting for a reply (this server answers after your \
             FIN){}",
            shown(&received),
            client.said()
        );
    }

    // Step 4: at the end of the input, the FIN.
    client.feed(b"")?;
    let mut more = Vec::new();
    let ended = (&conn).take(1 << 16).read_to_end(&mut more).is_ok();
    if !ended {
        bail!(
            "step 4: your client sent both lines, then did not half-close within {} s of the \
             end of its input: call `shutdown(Shutdown::Write)` there, so the server learns \
             that no more lines are coming{}",
            patience.as_secs(),
            client.said()
        );
    }
    if !more.is_empty() {
        let _ = client.wait_exit(Duration::from_millis(500));
        bail!(
            "step 2: after `hello` and `world` the server received `{}` before your FIN{}",
            shown(&more),
            client.said()
        );
    }

    // Step 3: the replies, late and in pieces, then our FIN.
    for piece in [&b"HEL"[..], b"LO\nWOR", b"LD\n"] {
        thread::sleep(Duration::from_millis(300)); // the pieces' spacing, not a wait for anything
        let _ = (&conn).write_all(piece); // a client that left early is reported below
    }
    drop(conn);
    let status = client.wait_exit(STEP_TIMEOUT).context(
        "step 3: the server sent every reply and closed its side, and your client did not end: \
         leave the read loop when read returns 0",
    )?;
    let stdout = client.stdout.snapshot();
    if stdout != ["HELLO", "WORLD"] {
        let printed = stdout.join("\n");
        if !printed.is_empty() && "HELLO\nWORLD".starts_with(&printed) {
            bail!(
                "step 3: your client printed `{}` and ended before the rest of the replies came \
                 (the server sent them in three pieces): one read is not one reply; read until \
                 read returns 0{}",
                printed.escape_debug(),
                client.said()
            );
        }
        bail!(
            "step 3: the replies were `HELLO` and `WORLD`; your client printed {stdout:?}{}",
            client.said()
        );
    }
    if !status.success() {
        bail!(
            "your client ended with {}{}",
            check::describe(status),
            client.said()
        );
    }

    // The real tcp-server.
    with_real_server(
        program,
        "hello\nstraße, 你好\n",
        &["HELLO", "STRASSE, 你好"],
        "with tcp-server and the lines `hello` and `straße, 你好`",
        "with tcp-server and the lines `hello` and `straße, 你好`",
    )
}

/// The student's client against the real `tcp-server` with a person who pauses longer than
/// the deadline, a server that accepts and never answers, and one whose handshake never
/// completes.
pub(super) fn check_tcp_client_3(program: &Program) -> Result<()> {
    // The exercise's TIMEOUT, and a pause longer than it.
    let timeout = Duration::from_secs(5);
    let thinking = timeout + Duration::from_secs(2);

    // A person who types a line, reads the reply, and thinks before the next one.
    let (server, addr) = start_real_server()?;
    let mut client = Running::start(program, &[&addr.to_string()], None)?;
    client.type_in(b"hello\n")?;
    client
        .wait_for_line(
            "the reply `HELLO` to the line `hello` typed",
            STEP_TIMEOUT,
            |line| line == "HELLO",
        )
        .map_err(|e| anyhow::anyhow!("with tcp-server: {e}{}", server.said()))?;
    thread::sleep(thinking); // the person thinking: the stimulus, not a wait for readiness
    if let Ok(status) = client.wait_exit(Duration::ZERO) {
        bail!(
            "step 3: your client ended ({}) while the input was still open, after {} s with \
             no new line typed: a person may think for minutes; count the server's silence \
             only once the sending thread is done (`sender.is_finished()`){}",
            check::describe(status),
            thinking.as_secs(),
            client.said()
        );
    }
    client.feed(b"world\n")?;
    let status = client.wait_exit(STEP_TIMEOUT)?;
    let stdout = client.stdout.snapshot();
    if stdout != ["HELLO", "WORLD"] || !status.success() {
        bail!(
            "with tcp-server and the lines `hello` and (after a pause) `world`, your client \
             printed {stdout:?} and ended with {}{}",
            check::describe(status),
            client.said()
        );
    }

    // A server that accepts (its kernel completes the handshake) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0")?;
    let addr = silent.local_addr()?.to_string();
    let (status, stdout, _) = within_deadline(program, &[&addr, "anyone?"]).context(
        "step 3: a server that accepted and never answered kept your client waiting: once \
             every line is sent, give up after TIMEOUT of silence",
    )?;
    if status.success() {
        bail!(
            "step 3: no reply came, and your client ended with success (printing {stdout:?}): \
             a silent server is an error, `bail!` with the reason"
        );
    }

    // A server whose accept queue is full: Linux drops the SYN, the handshake never completes.
    let full = TcpListener::bind("127.0.0.1:0")?;
    let queued = fill_accept_queue(full.local_addr()?)?;
    if queued.is_some() {
        let addr = full.local_addr()?.to_string();
        let (status, _, _) = within_deadline(program, &[&addr, "anyone?"]).context(
            "step 1: the handshake never completed (the server's accept queue is full) and \
             your client kept waiting: dial with `TcpStream::connect_timeout`",
        )?;
        if status.success() {
            bail!("step 1: the connection was never made, and your client ended with success");
        }
    }
    Ok(())
}

/// Starts the real `tcp-server` on a free port of loopback.
fn start_real_server() -> Result<(Running, SocketAddr)> {
    check::start_server(
        &check::partner("tcp-server")?,
        &["--listen", "127.0.0.1:0"],
        None,
    )
}

/// The student's client with the real `tcp-server` and `input` typed: it must print `want`
/// and end well. `context` says what was tried when the client could not be run to its end,
/// `with` what was typed when it printed something else.
fn with_real_server(
    program: &Program,
    input: &str,
    want: &[&str],
    context: &'static str,
    with: &str,
) -> Result<()> {
    let (server, addr) = start_real_server()?;
    let (status, stdout, stderr) = check::run_to_end(
        program,
        &[&addr.to_string()],
        input.as_bytes(),
        STEP_TIMEOUT,
    )
    .context(context)?;
    if stdout != want || !status.success() {
        bail!(
            "{with}, your client printed {stdout:?} and ended with {} {}{}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        );
    }
    Ok(())
}

/// Runs the student's client to its end, which must come within the step timeout.
fn within_deadline(
    program: &Program,
    args: &[&str],
) -> Result<(std::process::ExitStatus, Vec<String>, Vec<String>)> {
    check::run_to_end(program, args, b"", STEP_TIMEOUT)
}

/// Fills the accept queue of a listener that never accepts, so that the next `connect`
/// gets no answer (Linux drops a SYN when the queue is full). Returns the connections
/// that keep it full, or `None` where the OS refuses instead of ignoring.
fn fill_accept_queue(addr: SocketAddr) -> Result<Option<Vec<TcpStream>>> {
    let mut queued = Vec::new();
    for _ in 0..4096 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(e) if quiet(&e) => return Ok(Some(queued)),
            Err(_) => return Ok(None),
        }
    }
    Ok(None)
}

/// Waits for the student's client to connect to `listener`, while it runs.
fn accept_from(listener: &TcpListener, client: &mut Running, addr: &str) -> Result<TcpStream> {
    match socket::arrival(listener, client, STEP_TIMEOUT)? {
        Arrival::Connected(conn) => Ok(conn),
        Arrival::Failed(e) => Err(e).context("the check's server could not accept"),
        Arrival::Ended(status) => bail!(
            "step 1: your client ended ({}) without connecting to {addr}, its first \
             argument{}",
            check::describe(status),
            client.said()
        ),
        Arrival::Late => bail!(
            "step 1: your client did not connect to {addr}, its first argument, within {} s{}",
            STEP_TIMEOUT.as_secs(),
            client.said()
        ),
    }
}
