//! The TCP lesson's exercises (chapter "A TCP server and client"): the notes' server and
//! client first, then one hardening at a time, each checked against the real partner and a
//! raw peer of the check's own that does what TCP allows and a friendly peer never does
//! (a line in pieces, a reply after the FIN, a client that never reads).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::check::socket::{self, Arrival, quiet};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::{Exercise, Mistake, Program};

/// In the order of the chapter: the notes' server and client, then the answers to its
/// problems 1 (a line read whole), 2 (a deadline on each client), 3 (a cap on clients),
/// 5 (half-close) and 6 (deadlines in the client).
pub const EXERCISES: &[Exercise] = &[
    Exercise {
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
    },
    Exercise {
        name: "tcp-client-1",
        lesson: "TCP client",
        chapter: "tcp.md",
        title: "the notes' client: dial, then for each line write it and read the reply",
        hints: &[
            "Step 1 is one call: `TcpStream::connect(&addr)`; it returns once the handshake is done. Add `.with_context(..)` so a refused connection says which address.",
            "Step 2: the server answers whole lines only, so send the newline too: `conn.write_all(format!(\"{line}\\n\").as_bytes())?`. `write_all`, not `write`, which may take only part.",
            "Step 3: `let n = conn.read(&mut buf)?;` 0 means the server closed (`bail!`); otherwise print exactly the bytes read: `io::stdout().write_all(&buf[..n])?`.",
        ],
        mistakes: &[
            Mistake {
                name: "nonewline",
                caught_by: "with no newline after it",
            },
            Mistake {
                name: "wholebuf",
                caught_by: "&buf[..n]",
            },
        ],
        check: check_tcp_client_1,
    },
    Exercise {
        name: "tcp-server-2",
        lesson: "TCP server",
        chapter: "tcp.md",
        title: "read whole lines with a bound, however TCP cuts them (answer 1)",
        hints: &[
            "A `BufReader` around the stream collects bytes across reads; `read_until(b'\\n', &mut line)` returns once the newline has come, however many reads that took, and keeps what follows for the next call.",
            "Bound it: `reader.by_ref().take(MAX_LINE as u64).read_until(b'\\n', &mut line)?` stores at most MAX_LINE bytes. `by_ref()` lends the reader to `take`, so it is still yours for the next line. It returns 0 only at the client's FIN.",
            "Skipping a long line: loop while `line` does not end with `\\n`: clear it, then the same bounded `read_until`; if that returns 0, the client closed: return `Ok(())`.",
        ],
        mistakes: &[
            Mistake {
                name: "oneread",
                caught_by: "before the line was complete",
            },
            Mistake {
                name: "unbounded",
                caught_by: "has no bound",
            },
        ],
        check: check_tcp_server_2,
    },
    Exercise {
        name: "tcp-server-3",
        lesson: "TCP server",
        chapter: "tcp.md",
        title: "a deadline on every client: hang up on the silent ones (answer 2)",
        hints: &[
            "`TcpStream` has two setters: `set_read_timeout` and `set_write_timeout`, each taking `Some(duration)`.",
            "A read that gets nothing for the timeout fails with `WouldBlock` (Windows: `TimedOut`); `serve`'s `?` then ends the loop, and `handle` drops the stream: that is the hang-up.",
            "`if conn.set_read_timeout(Some(idle)).is_err() || conn.set_write_timeout(Some(idle)).is_err() { return; }`: the write deadline matters for a client that sends but never reads, so your `write_all` blocks.",
        ],
        mistakes: &[
            Mistake {
                name: "retry",
                caught_by: "sent nothing",
            },
            Mistake {
                name: "readonly",
                caught_by: "never read",
            },
        ],
        check: check_tcp_server_3,
    },
    Exercise {
        name: "tcp-server-4",
        lesson: "TCP server",
        chapter: "tcp.md",
        title: "a cap on the clients served at once; one more is told `busy:` (answer 3)",
        hints: &[
            "The accept loop and every client's thread share one counter: an `AtomicUsize` in an `Arc`, changed with `fetch_add` and `fetch_sub`, which need no lock.",
            "`fetch_add(1, ..)` returns the count *before* adding: if it was already `max` or more, this client is one too many; take the 1 back off and call `refuse(conn, max)`.",
            "In the thread, after `handle(conn, idle);` comes `clients.fetch_sub(1, Ordering::SeqCst);`: the place is free again, whatever ended the connection.",
        ],
        mistakes: &[
            Mistake {
                name: "offbyone",
                caught_by: "was served too",
            },
            Mistake {
                name: "noreturn",
                caught_by: "give the place back",
            },
        ],
        check: check_tcp_server_4,
    },
    Exercise {
        name: "tcp-client-2",
        lesson: "TCP client",
        chapter: "tcp.md",
        title: "half-close at the end of the input, then read every reply until the server closes (answer 5)",
        hints: &[
            "The connection is two streams: the thread sends, `main` receives. Neither waits for the other, so a reply that comes late, or in pieces, is simply printed when it comes.",
            "Step 4: the half-close is `writer.shutdown(Shutdown::Write)?`: a FIN, \"no more lines\". Dropping the clone would not do: the socket stays open as long as `conn` does.",
            "Step 3: `loop { let n = conn.read(&mut buf)?; if n == 0 { break; } io::stdout().write_all(&buf[..n])?; }`: 0 is the server's FIN, sent once it has answered everything.",
        ],
        mistakes: &[
            Mistake {
                name: "oneread",
                caught_by: "until read returns 0",
            },
            Mistake {
                name: "noshutdown",
                caught_by: "did not half-close",
            },
        ],
        check: check_tcp_client_2,
    },
    Exercise {
        name: "tcp-client-3",
        lesson: "TCP client",
        chapter: "tcp.md",
        title: "deadlines on the dial and on a silent server, none on a person typing (answer 6)",
        hints: &[
            "Two waits can last for ever: the handshake, and the replies once everything is sent. Neither is the time a person takes to type the next line.",
            "Step 1: `TcpStream::connect_timeout(&server, TIMEOUT)` takes a `SocketAddr` (parsed above) and gives up on a handshake that does not complete in time.",
            "Step 3: a timeout while `sender.is_finished()` is false means nothing: the person is still typing. Once it is true, start a clock, `silent_since.get_or_insert_with(Instant::now)`, and `bail!` when `since.elapsed() >= TIMEOUT`; a reply sets `silent_since = None`.",
        ],
        mistakes: &[
            Mistake {
                name: "forever",
                caught_by: "kept your client waiting",
            },
            Mistake {
                name: "eager",
                caught_by: "while the input was still open",
            },
            Mistake {
                name: "plainconnect",
                caught_by: "connect_timeout",
            },
        ],
        check: check_tcp_client_3,
    },
];

/// The student's server against the real `tcp-client`, twice at once.
fn check_tcp_server_1(program: &Program) -> Result<()> {
    let (server, addr) = check::start_server(program, &["127.0.0.1:0"], None)?;
    let client = check::partner("tcp-client")?;
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
            "steps 2 to 5: tcp-client sent `hello` and got no reply ({}): {}{}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        ),
    }

    // Step 3: a second client is served while the first is still connected.
    let first = dial(&addr)?;
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

/// The student's client against a raw server of the check's own (which sees exactly the
/// bytes sent), then against the real `tcp-server`.
fn check_tcp_client_1(program: &Program) -> Result<()> {
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
    let (server, addr) = check::start_server(
        &check::partner("tcp-server")?,
        &["--listen", "127.0.0.1:0"],
        None,
    )?;
    let (status, stdout, stderr) = check::run_to_end(
        program,
        &[&addr.to_string()],
        "one\nstraße\n".as_bytes(),
        STEP_TIMEOUT,
    )
    .context("with tcp-server and two lines typed, `one` and `straße`")?;
    if stdout != ["ONE", "STRASSE"] || !status.success() {
        bail!(
            "with tcp-server and the lines `one` and `straße` typed, your client printed \
             {stdout:?} and ended with {} {}{}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        );
    }
    Ok(())
}

/// The student's server against the real `tcp-client`, then a raw peer that cuts a line
/// (and a character) into pieces, sends a line too long, and ends with a line cut by its FIN.
fn check_tcp_server_2(program: &Program) -> Result<()> {
    let (server, addr) = check::start_server(program, &["127.0.0.1:0"], None)?;

    let (status, stdout, stderr) = check::run_to_end(
        &check::partner("tcp-client")?,
        &[
            "--connect",
            &addr.to_string(),
            "--message",
            "hello",
            "--message",
            "straße, 你好",
            "--timeout",
            "3",
        ],
        b"",
        STEP_TIMEOUT,
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
fn check_tcp_server_3(program: &Program) -> Result<()> {
    let idle = Duration::from_secs(1);
    let (server, addr) = check::start_server(program, &["127.0.0.1:0", "1"], None)?;
    let (status, stdout, stderr) = check::run_to_end(
        &check::partner("tcp-client")?,
        &[
            "--connect",
            &addr.to_string(),
            "--message",
            "hello",
            "--timeout",
            "3",
        ],
        b"",
        STEP_TIMEOUT,
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
fn check_tcp_server_4(program: &Program) -> Result<()> {
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
    let (status, stdout, stderr) = check::run_to_end(
        &check::partner("tcp-client")?,
        &["--connect", &addr, "--message", "second", "--timeout", "3"],
        b"",
        STEP_TIMEOUT,
    )?;
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

/// The student's client against a raw server that answers only after the client's FIN, in
/// three pieces, then against the real `tcp-server`.
fn check_tcp_client_2(program: &Program) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut client = Running::start(program, &[&addr], None)?;
    client.feed(b"hello\nworld\n")?;
    let conn = accept_from(&listener, &mut client, &addr)?;

    // Steps 2 and 4: every line, then the FIN.
    let patience = Duration::from_secs(5);
    conn.set_read_timeout(Some(patience))?;
    let mut received = Vec::new();
    let ended = (&conn).take(1 << 16).read_to_end(&mut received).is_ok();
    if !ended {
        if received == b"hello\nworld\n" {
            bail!(
                "step 4: your client sent both lines, then did not half-close within {} s: at \
                 the end of the input call `shutdown(Shutdown::Write)`, so the server learns \
                 that no more lines are coming{}",
                patience.as_secs(),
                client.said()
            );
        }
        bail!(
            "step 2: your client sent `{}` and then nothing for {} s: send every line without \
             waiting for a reply (this server answers after your FIN){}",
            shown(&received),
            patience.as_secs(),
            client.said()
        );
    }
    if received != b"hello\nworld\n" {
        // A client that stopped at a gap is dying: let it finish, so its message is shown.
        let _ = client.wait_exit(Duration::from_millis(500));
        bail!(
            "step 2: the server received `{}` before your FIN, not `hello` and `world`, each \
             with its newline{}",
            shown(&received),
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
    let (server, addr) = check::start_server(
        &check::partner("tcp-server")?,
        &["--listen", "127.0.0.1:0"],
        None,
    )?;
    let (status, stdout, stderr) = check::run_to_end(
        program,
        &[&addr.to_string()],
        "hello\nstraße, 你好\n".as_bytes(),
        STEP_TIMEOUT,
    )
    .context("with tcp-server and the lines `hello` and `straße, 你好`")?;
    if stdout != ["HELLO", "STRASSE, 你好"] || !status.success() {
        bail!(
            "with tcp-server and the lines `hello` and `straße, 你好`, your client printed \
             {stdout:?} and ended with {} {}{}",
            check::describe(status),
            stderr.join(" "),
            server.said()
        );
    }
    Ok(())
}

/// The student's client against the real `tcp-server` with a person who pauses longer than
/// the deadline, a server that accepts and never answers, and one whose handshake never
/// completes.
fn check_tcp_client_3(program: &Program) -> Result<()> {
    // The exercise's TIMEOUT, and a pause longer than it.
    let timeout = Duration::from_secs(5);
    let thinking = timeout + Duration::from_secs(2);

    // A person who types a line, reads the reply, and thinks before the next one.
    let (server, addr) = check::start_server(
        &check::partner("tcp-server")?,
        &["--listen", "127.0.0.1:0"],
        None,
    )?;
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

/// Connects to the student's server, within the step timeout.
fn dial(addr: &str) -> Result<TcpStream> {
    let addr: SocketAddr = addr.parse()?;
    TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to your server at {addr}"))
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

/// Reads up to and including the next newline, at most `limit` bytes; what came before an
/// error, a timeout or the peer's FIN is returned as it is.
fn read_line_from(reader: &mut impl BufRead, limit: u64) -> Vec<u8> {
    let mut line = Vec::new();
    let _ = reader.take(limit).read_until(b'\n', &mut line);
    line
}

/// Bytes a peer sent, for a message: text where it is text, escaped where it is not.
fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}
