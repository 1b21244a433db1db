//! The checks of the TCP lesson's server exercises: the student's server against the real
//! `tcp-client` and raw peers of the check's own that dial it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{read_line_from, shown};
use crate::check::socket::quiet;
use crate::check::{self, STEP_TIMEOUT};
use crate::exercise::Program;

/// The student's server against the real `tcp-client`, twice at once.
pub(super) fn check_tcp_server_1(program: &Program) -> Result<()> {
    let (server, addr) = check::start_server(program, &["127.0.0.1:0"], None)?;
    let client = check::partner("tcp-client")?;
    let addr = addr.to_string();

    // Steps 2 to 5, with the real client: one line, its reply.
    let (status, stdout, stderr) = ask(&client, &addr, &["hello"])?;
    match stdout.first().map(String::as_str) {
        Some("HELLO") => {}
        Some("hello") => bail!(
            "step 5: the reply to `hello` was `hello`: did you upper-case it? \
             (`String::from_utf8_lossy(&buf[..n]).to_uppercase()`)"
        ),
        Some(other) => bail!("step 5: the reply to `hello` was {other:?}, not `HELLO`"),
        None => bail!(
            "steps 2 to 5: tcp-client sent `hello` and got no reply ({}): {}{}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        ),
    }

    // Step 3: a second client is served while the first is still connected.
    let first = dial(&addr)?;
    let (_, stdout, _) = ask(&client, &addr, &["second"])?;
    if stdout.first().map(String::as_str) != Some("SECOND") {
        bail!(
            "step 3: while one client stayed connected, a second one got no reply: serve each \
             client on a thread of its own (`thread::spawn(move || handle(conn))`), so the \
             loop goes back to `accept` at once"
        );
    }

    // Step 4: the server sees the first client's FIN and closes its side too.
    first.shutdown(Shutdown::Write)?;
    first.set_read_timeout(Some(STEP_TIMEOUT))?;
    if (&first).take(1 << 16).read_to_end(&mut Vec::new()).is_err() {
        bail!(
            "step 4: after the client closed its side, the server kept the connection open: \
             a read of 0 bytes means the client closed; leave the loop so `conn` is dropped"
        );
    }
    Ok(())
}

/// The student's server against the real `tcp-client`, then a raw peer that cuts a line
/// (and a character) into pieces, sends a line too long, and ends with a line cut by its FIN.
pub(super) fn check_tcp_server_2(program: &Program) -> Result<()> {
    let (server, addr) = check::start_server(program, &["127.0.0.1:0"], None)?;

    let (status, stdout, stderr) = ask(
        &check::partner("tcp-client")?,
        &addr.to_string(),
        &["hello", "straße, 你好"],
    )?;
    if stdout != ["HELLO", "STRASSE, 你好"] {
        bail!(
            "steps 4 and 5: tcp-client sent `hello` and `straße, 你好`, and printed {stdout:?} \
             ({}: {}){}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        );
    }

    // One line in three pieces: `hel`, `lo ` and the first two bytes of 你, then the rest.
    let peer = dial(&addr.to_string())?;
    peer.set_nodelay(true)?;
    peer.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut reader = BufReader::new(&peer);
    let mut sent = Vec::new();
    for piece in [&b"hel"[..], b"lo \xe4\xbd"] {
        (&peer).write_all(piece)?;
        sent.extend_from_slice(piece);
        // A second of quiet: no answer may come before the newline.
        match reader.fill_buf() {
            Ok([]) => bail!(
                "step 4: your server closed the connection in the middle of a line{}",
                server.said()
            ),
            Ok(early) => bail!(
                "step 4: your server answered `{}` before the line was complete (the client had \
                 sent only `{}`): it took one read for one message. Read until the newline: \
                 a BufReader and read_until",
                shown(early),
                shown(&sent)
            ),
            Err(e) if quiet(&e) => {}
            Err(e) => {
                return Err(e).context("step 4: the connection broke in the middle of a line");
            }
        }
    }
    (&peer).write_all(b"\xa0\xe5\xa5\xbd\n")?;
    peer.set_read_timeout(Some(STEP_TIMEOUT))?;
    let reply = read_line_from(&mut reader, 1 << 16);
    if reply != "HELLO 你好\n".as_bytes() {
        bail!(
            "step 5: the line `hello 你好`, sent in three pieces with 你 cut in two, came back \
             as `{}`: answer the line only once it is whole{}",
            shown(&reply),
            server.said()
        );
    }

    // A line of 24 KiB: an `error:` notice instead of a reply, and the connection goes on.
    let long = [vec![b'x'; 3 * 8192], b"\nafter\n".to_vec()].concat();
    (&peer).write_all(&long)?;
    let reply = read_line_from(&mut reader, 1 << 16);
    if reply.len() > 8192 {
        bail!(
            "step 4: a line of {} bytes was answered in full ({} bytes came back): your line \
             has no bound, so a client sending an endless line would fill your memory; read \
             through `take(MAX_LINE)`",
            3 * 8192,
            reply.len()
        );
    }
    if !reply.starts_with(b"error:") {
        bail!(
            "step 4: the reply to a line of {} bytes was `{}`, not an `error:` notice{}",
            3 * 8192,
            shown(&reply),
            server.said()
        );
    }
    let after = read_line_from(&mut reader, 1 << 16);
    if after != b"AFTER\n" {
        bail!(
            "step 4: after the long line and its notice, the line `after` got `{}`, not \
             `AFTER`: skip the long line up to its newline, then go on with the next{}",
            shown(&after),
            server.said()
        );
    }

    // A last line that the client's FIN ends instead of a newline.
    let peer = dial(&addr.to_string())?;
    (&peer).write_all(b"last")?;
    peer.shutdown(Shutdown::Write)?;
    peer.set_read_timeout(Some(STEP_TIMEOUT))?;
    let mut reply = Vec::new();
    let _ = (&peer).take(1 << 16).read_to_end(&mut reply);
    if reply != b"LAST\n" && reply != b"LAST" {
        bail!(
            "step 4: the last line `last` came without a newline, ended by the client's FIN, \
             and got `{}`: answer it too (read_until returns it without the newline), then \
             close",
            shown(&reply)
        );
    }
    Ok(())
}

/// The student's server, with a deadline of 1 s, against the real `tcp-client`, a client
/// that says nothing, and one that sends without ever reading the replies.
pub(super) fn check_tcp_server_3(program: &Program) -> Result<()> {
    let idle = Duration::from_secs(1);
    let (server, addr) = check::start_server(program, &["127.0.0.1:0", "1"], None)?;
    let (status, stdout, stderr) = ask(
        &check::partner("tcp-client")?,
        &addr.to_string(),
        &["hello"],
    )?;
    if stdout != ["HELLO"] {
        bail!(
            "steps 4 and 5: tcp-client sent `hello` and printed {stdout:?} ({}: {}){}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        );
    }

    // A silent client: hung up on once the deadline expires.
    let silent = dial(&addr.to_string())?;
    let waited = idle + STEP_TIMEOUT / 2;
    silent.set_read_timeout(Some(waited))?;
    match (&silent).read(&mut [0; 64]) {
        Ok(0) => {}
        Err(e) if !quiet(&e) => {} // a reset: closed too
        Ok(_) => bail!("deadlines: your server sent something to a client that sent nothing"),
        Err(_) => bail!(
            "deadlines: a client that sent nothing was still connected {} s later, with the \
             deadline at {} s: give `conn` a read timeout, and let the error it causes end \
             the loop (retrying the read makes the deadline useless)",
            waited.as_secs(),
            idle.as_secs()
        ),
    }

    // A client that sends lines and never reads: the replies fill the buffers, the server's
    // `write_all` blocks, and only a write deadline frees it. We see the hang-up as an error
    // of our own blocked write.
    let greedy = dial(&addr.to_string())?;
    greedy.set_write_timeout(Some(STEP_TIMEOUT))?;
    let lines = [[b'x'; 1023].as_slice(), b"\n"].concat().repeat(64);
    let deadline = Instant::now() + 3 * STEP_TIMEOUT;
    let mut written = 0;
    while Instant::now() < deadline && written < (512 << 20) {
        match (&greedy).write_all(&lines) {
            Ok(()) => written += lines.len(),
            Err(e) if quiet(&e) => bail!(
                "deadlines: a client that sends lines but never reads the replies held your \
                 server: after {} KiB, it took nothing more for {} s, blocked writing a reply. \
                 Give `conn` a write timeout too",
                written >> 10,
                STEP_TIMEOUT.as_secs()
            ),
            Err(_) => return Ok(()), // reset or broken pipe: the server hung up
        }
    }
    bail!(
        "deadlines: a client sent {} MiB and never read a reply, and your server took it all: \
         does it write a reply to each line?",
        written >> 20
    )
}

/// The student's server with a cap of one: a second client is told `busy:`, and is served
/// once the first has left.
pub(super) fn check_tcp_server_4(program: &Program) -> Result<()> {
    let (mut server, addr) = check::start_server(program, &["127.0.0.1:0", "5", "1"], None)?;
    let addr = addr.to_string();

    // The first client takes the one place: its line is answered.
    let first = dial(&addr)?;
    first.set_read_timeout(Some(STEP_TIMEOUT))?;
    (&first).write_all(b"first\n")?;
    let reply = read_line_from(&mut BufReader::new(&first), 1 << 16);
    if reply != b"FIRST\n" {
        // A server that stopped at a gap is dying: let it finish, so its message is shown.
        let _ = server.wait_exit(Duration::from_millis(500));
        bail!(
            "steps 2 to 5: the first client sent `first` and got `{}`, not `FIRST`{}",
            shown(&reply),
            server.said()
        );
    }

    // The real tcp-client, one over the cap.
    let (status, stdout, stderr) = ask(&check::partner("tcp-client")?, &addr, &["second"])?;
    if stdout == ["SECOND"] {
        bail!(
            "the cap: with a cap of 1 and one client served, a second client was served too: \
             `fetch_add` returns the count before adding; refuse when it is `max` or more"
        );
    }
    if status.success() || !stderr.join(" ").contains("busy") {
        bail!(
            "the cap: a client over the cap of 1 should read a `busy:` line; tcp-client \
             printed {stdout:?} and said: {}{}",
            stderr.join(" "),
            server.said()
        );
    }

    // The first client leaves: its place is free, and a new client is served. Only trying
    // tells when the server has noticed the FIN, so try a few times, a little apart.
    drop(first);
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        let next = dial(&addr)?;
        next.set_read_timeout(Some(STEP_TIMEOUT))?;
        (&next).write_all(b"next\n")?;
        last = read_line_from(&mut BufReader::new(&next), 1 << 16);
        if last == b"NEXT\n" {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "the cap: after the only client left (and a client over the cap was refused), new \
         clients still got `{}` for {} s: give the place back when a client's thread ends, \
         and when you refuse one",
        shown(last.strip_suffix(b"\n").unwrap_or(&last)),
        STEP_TIMEOUT.as_secs()
    )
}

/// Connects to the student's server, within the step timeout.
fn dial(addr: &str) -> Result<TcpStream> {
    let addr: SocketAddr = addr.parse()?;
    TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to your server at {addr}"))
}

/// Runs the real `tcp-client` against the student's server at `addr`, sending each of
/// `messages` and waiting up to 3 s for each reply; returns its status, stdout and stderr.
fn ask(
    client: &Program,
    addr: &str,
    messages: &[&str],
) -> Result<(ExitStatus, Vec<String>, Vec<String>)> {
    let mut args = vec!["--connect", addr];
    for message in messages {
        args.extend(["--message", message]);
    }
    args.extend(["--timeout", "3"]);
    check::run_to_end(client, &args, b"", STEP_TIMEOUT)
}
