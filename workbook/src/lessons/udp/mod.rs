//! The UDP lesson's exercises (chapter "UDP: a server and a client"): the notes' server and
//! client first, then one hardening each.
//!
//! A server is checked with raw UDP sockets of the check's own (the exact bytes of a reply,
//! the address it comes from, two clients at once) and with the real `udp-client`; a client
//! against the real `udp-server`, a socket that receives and never answers, and a port where
//! nothing is bound.
//!
//! The exercise list is here, in the chapter's order; the checks are in `server.rs` and
//! `client.rs`, with the helpers both use below the list: what a program under check said.

use std::process::ExitStatus;

use anyhow::{Result, bail};

use crate::check::{self, Running};
use crate::exercise::{Exercise, Mistake};

mod client;
mod server;

/// In the order of the chapter.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "udp-server-1",
        lesson: "UDP server",
        chapter: "udp.md",
        title: "the notes' server: resolve, bind, recv_from, send_to the sender upper-cased",
        hints: &[
            "Step 1: `text.to_socket_addrs()?` gives the addresses a name stands for; `.next()` is the first, an Option (`.context(\"...\")?`). Step 2: `UdpSocket::bind(addr)?`, then print `listening on` and `socket.local_addr()?`: with port 0, only the OS knows the port.",
            "Step 3: `let (n, peer) = socket.recv_from(&mut buf)?;` gives one datagram's length and its sender's address. There is no `accept`: every client's datagrams come to this one socket.",
            "Step 4: upper-case only the n bytes received, `String::from_utf8_lossy(&buf[..n]).to_uppercase()`, and `socket.send_to(reply.as_bytes(), peer)?` answers whoever sent this datagram. Never `connect` a server's UDP socket: the OS would shut out every other client.",
        ],
        mistakes: &[
            Mistake {
                name: "echo",
                caught_by: "did you upper-case it?",
            },
            Mistake {
                name: "connected",
                caught_by: "answer only its first client",
            },
        ],
        check: server::check_udp_server_1,
    },
    Exercise {
        name: "udp-server-2",
        lesson: "UDP server",
        chapter: "udp.md",
        title: "a buffer for the largest datagram, and a reply of the bytes received only",
        hints: &[
            "One `recv_from` delivers one datagram, whole or cut to fit your buffer: the OS throws the rest away and nothing tells you. Which size holds every datagram?",
            "IP's length field has 16 bits: no datagram is longer than 65,535 bytes, headers included. `vec![0; 65_535]` (an array would do, but 64 KiB is a lot for the stack).",
            "Step 4: the buffer holds 65,535 bytes, the datagram only n. Reply with `String::from_utf8_lossy(&buf[..n]).to_uppercase()` and `socket.send_to(reply.as_bytes(), peer)?`: the whole buffer would not even fit in one datagram.",
        ],
        mistakes: &[
            Mistake {
                name: "wholebuf",
                caught_by: "send only the n bytes received",
            },
            Mistake {
                name: "mtubuf",
                caught_by: "Size the buffer for the largest datagram",
            },
        ],
        check: server::check_udp_server_2,
    },
    Exercise {
        name: "udp-client-1",
        lesson: "UDP client",
        chapter: "udp.md",
        title: "the notes' client: bind port 0, connect, send each line, recv the reply, print it",
        hints: &[
            "Step 1: resolve `addr` with `to_socket_addrs()?` and `.next()`. Your socket's own address is not the server's: bind it to port 0, `\"0.0.0.0:0\"` (`\"[::]:0\"` for an IPv6 server: `server.is_ipv4()`), and the OS picks a free port.",
            "Still step 1: `conn.connect(server)?` sends nothing; it sets where `send` goes and which datagrams `recv` accepts. Step 2: `conn.send(line.as_bytes())?`: one call, one datagram.",
            "Step 3: `let n = conn.recv(&mut buf)?;` then write `&buf[..n]` and a newline to stdout (`io::stdout().write_all(..)?`), never the whole buffer.",
        ],
        mistakes: &[
            Mistake {
                name: "wholebuf",
                caught_by: "print only the n bytes received",
            },
            Mistake {
                name: "bindserver",
                caught_by: "binds a socket of your own to port 0",
            },
        ],
        check: client::check_udp_client_1,
    },
    Exercise {
        name: "udp-client-2",
        lesson: "UDP client",
        chapter: "udp.md",
        title: "a read timeout, so a lost reply ends the wait; clear words for no reply and for refused",
        hints: &[
            "Without a deadline, `recv` waits for a reply that may never come: UDP never reports a lost datagram. A socket can be told how long any read may wait: see `UdpSocket::set_read_timeout`.",
            "`conn.set_read_timeout(Some(TIMEOUT))?`. When it expires, `recv` fails with `ErrorKind::WouldBlock` on Unix, `ErrorKind::TimedOut` on Windows: that is `explain`'s first case, \"no reply from {server} within 1 s\".",
            "With nothing bound to the server's port, the OS there answers with an ICMP \"port unreachable\", and a connected socket gets it as `ErrorKind::ConnectionRefused` (Windows: `ConnectionReset`): the second case, \"nothing is listening on {server}\".",
            "`let message = match error.kind() { ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(\"no reply from {server} ...\"), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => format!(\"nothing is listening on {server} ...\"), _ => format!(\"...\") };` then `anyhow::Error::new(error).context(message)`.",
        ],
        mistakes: &[
            Mistake {
                name: "bare",
                caught_by: "does not name the server and say that no reply came",
            },
            Mistake {
                name: "forever",
                caught_by: "still waiting after",
            },
        ],
        check: client::check_udp_client_2,
    },
];

/// Fails when `program` stopped at a `todo!()`: then that gap is all there is to say.
fn stopped_at_gap(program: &Running, who: &str, status: ExitStatus) -> Result<()> {
    let said = program.said();
    if said.contains("a gap you have not filled yet") {
        bail!("{who} ended ({}){said}", check::describe(status));
    }
    Ok(())
}

/// What a program said, for a message: the gap it stopped at, or its error.
fn told(program: &Running) -> String {
    let said = program.said();
    let error = error_text(program);
    if said.contains("a gap you have not filled yet") || error.is_empty() {
        said
    } else {
        format!(": it said `{error}`")
    }
}

/// A program's error on stderr, on one line, without the backtrace that `RUST_BACKTRACE=1`
/// adds to an error returned from `main` or to a panic.
fn error_text(program: &Running) -> String {
    let lines = program.stderr.snapshot();
    let error: Vec<&str> = lines
        .iter()
        .map(|line| line.trim())
        .take_while(|line| !line.to_lowercase().starts_with("stack backtrace:"))
        .filter(|line| !line.is_empty())
        .collect();
    error.join(" ")
}

/// Bytes a peer sent, escaped and shortened for a message.
fn shown(bytes: &[u8]) -> String {
    const SHOWN: usize = 60;
    let text = bytes[..bytes.len().min(SHOWN)].escape_ascii().to_string();
    if bytes.len() > SHOWN {
        format!("{text}... ({} bytes)", bytes.len())
    } else {
        text
    }
}
