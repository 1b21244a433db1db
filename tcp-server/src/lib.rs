//! The TCP server lesson: listen, accept, and serve each client on its own thread.
//!
//! The course's Go server in Rust, step by step (the same steps, without the fixes, are the
//! example `notes-tcp-server`):
//!
//! | step | Go                      | Rust                              |
//! |------|-------------------------|-----------------------------------|
//! | 1    | `net.Listen("tcp", a)`  | [`TcpListener::bind`]             |
//! | 2    | `listener.Accept()`     | [`TcpListener::incoming`]         |
//! | 3    | `go handle(conn)`       | [`std::thread::Builder::spawn`]   |
//! | 4    | `conn.Read(buf)`        | [`read_line`] (a whole line)      |
//! | 5    | `conn.Write(reply)`     | [`Write::write_all`]              |
//! | 6    | `conn.Close()`          | the stream is dropped             |
//!
//! The protocol is one line in, one line out: the server answers each line upper-cased.
//! The server's own notices start with a lower-case word and a colon (`busy:`, `error:`):
//! an upper-cased reply never contains a lower-case ASCII letter, so a client can always
//! tell a notice from a reply.
//!
//! Each fix to the notes' version answers a problem the chapter shows happening first: a
//! line read whole ([`line`](mod@line)), deadlines ([`deadline`] for a whole line, in
//! [`handle`]; [`ending`] says in the log which one ended a connection), a cap on clients
//! ([`slots`], [`busy`]) that follows the machine ([`open_files`]) and a share of it per
//! address ([`fairness`]), and an accept loop that
//! survives a failed `accept`, pausing longer while it keeps failing. [`bind_advice`]
//! turns a failed `bind` into advice.

use std::fmt::Display;
use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

pub use crate::config::Config;
use crate::deadline::LineDeadline;
use crate::fairness::{AddressSlot, PerAddress};
pub use crate::line::{Line, MAX_LINE, read_line};
use crate::slots::ClientSlot;

pub mod bind_advice;
pub mod busy;
mod config;
pub mod deadline;
pub mod ending;
pub mod fairness;
pub mod line;
pub mod open_files;
pub mod slots;

/// Runs the server until the process is stopped (Ctrl-C).
pub fn run(config: &Config) -> Result<()> {
    // Each client costs a file descriptor: allow as many as the system lets us.
    let open_files = open_files::raise_soft_limit();
    // ANCHOR: listen
    // 1. Listen. `bind` creates the socket, binds the address and marks it listening: from
    //    now on the OS completes three-way handshakes for us and queues the connections.
    let listener = TcpListener::bind(&config.listen)
        .map_err(|error| bind_advice::explain(error, &config.listen))?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    // Print the address actually bound: with port 0 only the OS knows which port it chose.
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    log(format_args!(
        "serving at most {} clients at once (--max-clients; open files allowed: {open_files})",
        config.max_clients
    ));

    let clients = Arc::new(AtomicUsize::new(0));
    let per_address = Arc::new(PerAddress::default());
    let idle_timeout = Duration::from_secs(config.idle_timeout);
    // ANCHOR: accept
    // 2. Accept. Each `Ok` is a connection whose handshake the OS has already completed.
    let mut pause = Duration::ZERO;
    for incoming in listener.incoming() {
        let stream = match incoming {
            Ok(stream) => {
                pause = Duration::ZERO;
                stream
            }
            Err(error) => {
                // Out of file descriptors, or a client that gave up while queued: neither is
                // a reason to stop serving everyone else. Pause before trying again, 5 ms and
                // doubling up to 1 s as Go's HTTP server does, so that a lasting error (such
                // as "too many open files") neither spins at 100% CPU nor floods the log.
                pause = (pause * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                log(format_args!(
                    "accept failed: {error}; next try in {pause:?}"
                ));
                thread::sleep(pause);
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue; // Reset before we got to it: nothing to serve.
        };
        // The cap: a thread and a socket per client, but never more than --max-clients.
        let Some(slot) = ClientSlot::take(&clients, config.max_clients) else {
            log(format_args!(
                "{peer} refused: already serving {} clients (--max-clients)",
                config.max_clients
            ));
            busy::refuse(stream, config.max_clients);
            continue;
        };
        // Fairness: one address may not take every place (--max-per-address).
        let max = config.max_per_address;
        let Some(address_slot) = AddressSlot::take(&per_address, peer.ip(), max) else {
            log(format_args!(
                "{peer} refused: its address has {max} clients already (--max-per-address)"
            ));
            busy::refuse_address(stream, max);
            continue;
        };
        // 3. One worker per client: the Rust counterpart of `go handle(conn)`. A slow or
        //    silent client blocks only its own thread.
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                log(format_args!(
                    "{peer} connected ({} of at most {} clients)",
                    slot.count(),
                    slot.max
                ));
                let reason = match handle(&stream, idle_timeout) {
                    Ok(()) => ending::PEER_CLOSED.to_owned(),
                    Err(error) => ending::why(&error, idle_timeout),
                };
                // Free the place before saying so: whoever reads the log may connect at once.
                drop((slot, address_slot));
                log(format_args!("{peer} disconnected: {reason}"));
            });
        if let Err(error) = spawned {
            log(format_args!(
                "{peer} dropped: could not start a thread: {error}"
            ));
        }
    }
    // ANCHOR_END: accept
    Ok(())
}

// ANCHOR: handle
/// Serves one client: reads lines and answers each in upper case, until the client closes.
///
/// Returns `Ok(())` when the client closed its side (a FIN: `read` returned 0), and the
/// I/O error otherwise (a reset, a timeout).
pub fn handle(stream: &TcpStream, idle_timeout: Duration) -> io::Result<()> {
    // Deadlines: without them, a client that never sends (or never reads) would hold this
    // thread and its socket for ever. An expired one makes `read` or `write` fail. Each
    // line must arrive whole within the window (see `deadline`), not merely each byte.
    stream.set_write_timeout(Some(idle_timeout))?;
    // TCP delivers a stream of bytes, not messages: one `read` may return half a line or
    // three lines. The buffered reader collects bytes until it has a whole line.
    let mut reader = BufReader::new(LineDeadline::new(stream, idle_timeout));
    let mut writer = stream;
    let mut line = Vec::with_capacity(256);
    loop {
        // 4. Read one line, within --idle-timeout.
        reader.get_mut().next_line();
        let reply = match read_line(&mut reader, &mut line)? {
            Line::End => return Ok(()),
            Line::Complete | Line::Cut => shout(&line),
            Line::TooLong => format!("error: line longer than {MAX_LINE} bytes, skipped\n").into(),
        };
        // 5. Write the reply. `write_all`, not `write`: `write` may send only part of it.
        writer.write_all(&reply)?;
    }
    // 6. Close: the caller drops the stream, which sends our FIN.
}
// ANCHOR_END: handle

// ANCHOR: shout
/// The reply to one line: the line upper-cased, with the same line ending.
///
/// Valid UTF-8 is upper-cased by Unicode rules ("straße" becomes "STRASSE"). Any other bytes
/// are not text we can interpret, so only the ASCII letters among them are upper-cased and
/// every other byte is sent back unchanged: the server never rejects or crashes on input.
pub fn shout(line: &[u8]) -> Vec<u8> {
    let content = crate::line::content(line);
    let ending = &line[content.len()..];
    let mut reply = match std::str::from_utf8(content) {
        Ok(text) => text.to_uppercase().into_bytes(),
        Err(_) => content.to_ascii_uppercase(),
    };
    // The last line may come without a newline; the reply always ends with one.
    reply.extend_from_slice(if ending.is_empty() { b"\n" } else { ending });
    reply
}
// ANCHOR_END: shout

/// Prints one line of the server's log on stdout, ignoring a closed stdout.
///
/// Unlike `println!`, it does not panic when stdout is gone (say, piped into `head`): a
/// server must not crash because nobody reads its log. Every server of the workspace has
/// this same function, copied on purpose so that each lesson reads on its own.
fn log(message: impl Display) {
    let _ = writeln!(io::stdout().lock(), "{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shout_uppercases_unicode_and_keeps_the_line_ending() {
        assert_eq!(shout(b"hello\n"), b"HELLO\n");
        assert_eq!(shout(b"stra\xc3\x9fe\r\n"), "STRASSE\r\n".as_bytes());
        assert_eq!(shout("你好 abc".as_bytes()), "你好 ABC\n".as_bytes());
    }

    #[test]
    fn shout_passes_invalid_utf8_through_and_uppercases_ascii() {
        assert_eq!(shout(b"ab\xff\xfecd\n"), b"AB\xff\xfeCD\n");
    }

    #[test]
    fn shout_always_ends_the_reply_with_a_newline() {
        assert_eq!(shout(b"last"), b"LAST\n");
        assert_eq!(shout(b"x\r"), b"X\r\n");
    }
}
