//! The TCP server lesson: listen, accept, and serve each client on its own thread.
//!
//! The course's Go server in Rust, step by step:
//!
//! | step | Go                      | Rust                              |
//! |------|-------------------------|-----------------------------------|
//! | 1    | `net.Listen("tcp", a)`  | [`TcpListener::bind`]             |
//! | 2    | `listener.Accept()`     | [`TcpListener::incoming`]         |
//! | 3    | `go handle(conn)`       | [`std::thread::Builder::spawn`]   |
//! | 4    | `conn.Read(buf)`        | [`BufRead::read_until`] (a line)  |
//! | 5    | `conn.Write(reply)`     | [`Write::write_all`]              |
//! | 6    | `conn.Close()`          | the stream is dropped             |
//!
//! The protocol is one line in, one line out: the server answers each line upper-cased.
//! The server's own notices start with a lower-case word and a colon (`busy:`, `error:`):
//! an upper-cased reply never contains a lower-case ASCII letter, so a client can always
//! tell a notice from a reply.

use std::fmt::Display;
use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

pub use crate::line::{Line, MAX_LINE, read_line};

pub mod line;

/// A TCP server that answers each line it receives in upper case.
///
/// Run it, then in a second terminal: cargo run -p tcp-client
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port;
    /// [::1]:0 listens on IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::TCP_ADDR)]
    pub listen: String,

    /// How many clients are served at once. One more is sent a "busy:" line and closed,
    /// so that a flood of connections cannot use up the machine's threads and sockets.
    #[arg(long, value_name = "N", default_value_t = 240,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_clients: usize,

    /// Seconds a client may stay silent (or leave our replies unread) before the
    /// server hangs up on it.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

/// Runs the server until the process is stopped (Ctrl-C).
pub fn run(config: &Config) -> Result<()> {
    // ANCHOR: listen
    // 1. Listen. `bind` creates the socket, binds the address and marks it listening: from
    //    now on the OS completes three-way handshakes for us and queues the connections.
    let listener = listen(&config.listen)?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    // Print the address actually bound: with port 0 only the OS knows which port it chose.
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    serve(&listener, config);
    Ok(())
}

/// Binds `addr`, turning the usual failures into a message that says how to fix them.
pub fn listen(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|error| {
        let hint = match error.kind() {
            ErrorKind::AddrInUse => {
                "another program (perhaps another tcp-server) is listening there: stop it, \
                 or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
            }
            ErrorKind::PermissionDenied => {
                "ports below 1024 need administrator rights: choose a port above 1024, \
                 e.g. `--listen 127.0.0.1:8000`"
            }
            ErrorKind::AddrNotAvailable => {
                "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
            }
            _ => "give the address as IP:PORT, e.g. 127.0.0.1:8000 or [::1]:0",
        };
        anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
    })
}

/// Accepts connections for ever, each served on a thread of its own.
pub fn serve(listener: &TcpListener, config: &Config) {
    let clients = Arc::new(AtomicUsize::new(0));
    let idle_timeout = Duration::from_secs(config.idle_timeout);
    // ANCHOR: accept
    // 2. Accept. Each `Ok` is a connection whose handshake the OS has already completed.
    for incoming in listener.incoming() {
        let stream = match incoming {
            Ok(stream) => stream,
            Err(error) => {
                // Out of file descriptors, or a client that gave up while queued: neither is
                // a reason to stop serving everyone else. Pause so a persistent error (such
                // as "too many open files") cannot spin this loop at 100% CPU.
                log(format_args!("accept failed: {error}"));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue; // Reset before we got to it: nothing to serve.
        };
        let Some(slot) = ClientSlot::take(&clients, config.max_clients) else {
            refuse_busy(stream, peer, config.max_clients);
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
                    Ok(()) => "the peer closed the connection (read returned 0)".to_owned(),
                    Err(error) => why_it_ended(&error, idle_timeout),
                };
                // Free the place before saying so: whoever reads the log may connect at once.
                drop(slot);
                log(format_args!("{peer} disconnected: {reason}"));
            });
        if let Err(error) = spawned {
            log(format_args!(
                "{peer} dropped: could not start a thread: {error}"
            ));
        }
    }
    // ANCHOR_END: accept
}

// ANCHOR: handle
/// Serves one client: reads lines and answers each in upper case, until the client closes.
///
/// Returns `Ok(())` when the client closed its side (a FIN: `read` returned 0), and the
/// I/O error otherwise (a reset, a timeout).
pub fn handle(stream: &TcpStream, idle_timeout: Duration) -> io::Result<()> {
    // Without timeouts, a client that never sends (or never reads) would hold this thread
    // and its socket for ever.
    stream.set_read_timeout(Some(idle_timeout))?;
    stream.set_write_timeout(Some(idle_timeout))?;
    // TCP delivers a stream of bytes, not messages: one `read` may return half a line or
    // three lines. The buffered reader collects bytes until it has a whole line.
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    let mut line = Vec::with_capacity(256);
    loop {
        // 4. Read one line.
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

/// Says in words why a client's connection ended with `error`.
fn why_it_ended(error: &io::Error, idle_timeout: Duration) -> String {
    match error.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "connection reset by the peer (RST: it vanished without closing)".to_owned()
        }
        // Unix reports an expired socket timeout as WouldBlock, Windows as TimedOut.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "timed out: no progress for {} s (--idle-timeout)",
            idle_timeout.as_secs()
        ),
        ErrorKind::BrokenPipe => "the peer stopped reading (broken pipe)".to_owned(),
        _ => format!("I/O error: {error}"),
    }
}

/// Tells a client over the cap that the server is busy, then closes.
///
/// This runs on the accept loop, so nothing here may block for long.
fn refuse_busy(stream: TcpStream, peer: SocketAddr, max_clients: usize) {
    log(format_args!(
        "{peer} refused: already serving {max_clients} clients (--max-clients)"
    ));
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = (&stream).write_all(
        format!("busy: the server is serving {max_clients} clients already; try again later\n")
            .as_bytes(),
    );
    // Send FIN after the line, then throw away anything the client already sent: closing a
    // socket with unread data makes the OS send RST, which can destroy our line in transit.
    let _ = stream.shutdown(Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0; 1024];
        // A few reads at most: a client that keeps sending must not hold up the accept loop.
        for _ in 0..8 {
            if !matches!((&stream).read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
    }
}

/// One of the `--max-clients` places; dropping it frees the place.
#[derive(Debug)]
struct ClientSlot {
    clients: Arc<AtomicUsize>,
    max: usize,
}

impl ClientSlot {
    /// Takes a place if fewer than `max` clients are being served.
    fn take(clients: &Arc<AtomicUsize>, max: usize) -> Option<ClientSlot> {
        clients
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| ClientSlot {
                clients: Arc::clone(clients),
                max,
            })
    }

    fn count(&self) -> usize {
        self.clients.load(Ordering::Acquire)
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.clients.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Prints one line of the server's log on stdout.
///
/// Unlike `println!`, it does not panic when stdout is gone (say, piped into `head`):
/// a server must not crash because nobody reads its log.
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

    #[test]
    fn client_slots_stop_at_the_cap_and_free_on_drop() {
        let clients = Arc::new(AtomicUsize::new(0));
        let first = ClientSlot::take(&clients, 2).expect("place 1");
        let _second = ClientSlot::take(&clients, 2).expect("place 2");
        assert!(ClientSlot::take(&clients, 2).is_none());
        drop(first);
        assert!(ClientSlot::take(&clients, 2).is_some());
    }
}
