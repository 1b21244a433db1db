//! The TCP lesson's exercises (chapter "A TCP server and client"): the notes' server and
//! client first, then one hardening at a time, each checked against the real partner and a
//! raw peer of the check's own that does what TCP allows and a friendly peer never does
//! (a line in pieces, a reply after the FIN, a client that never reads).
//!
//! The exercise list is here, in the chapter's order; the checks are in `server.rs` and
//! `client.rs`, with the few helpers both use below the list.

use std::io::{BufRead, Read};

use crate::exercise::{Exercise, Mistake};

mod client;
mod server;

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
        check: server::check_tcp_server_1,
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
        check: client::check_tcp_client_1,
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
        check: server::check_tcp_server_2,
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
        check: server::check_tcp_server_3,
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
        check: server::check_tcp_server_4,
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
        check: client::check_tcp_client_2,
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
        check: client::check_tcp_client_3,
    },
];

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
