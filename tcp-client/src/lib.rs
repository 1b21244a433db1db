//! The TCP client lesson: dial, write lines, read the replies, close politely.
//!
//! The course's Go client in Rust, step by step (the same steps, without the fixes, are the
//! example `notes-tcp-client`):
//!
//! | step | Go                      | Rust                                   |
//! |------|-------------------------|----------------------------------------|
//! | 1    | `net.Dial("tcp", a)`    | [`TcpStream::connect_timeout`]         |
//! | 2    | `conn.Write(line)`      | [`Write::write_all`], on its own thread|
//! | 3    | `conn.Read(buf)`        | [`Read::read`] until it returns 0      |
//! | 4    | `conn.Close()`          | [`TcpStream::shutdown`] (half-close)   |
//!
//! Sending and receiving run on two threads, because a TCP connection is two independent
//! byte streams: we may type the next line before the last reply arrived, and the server
//! may answer later than we expect.
//!
//! Each fix to the notes' version answers a problem the chapter shows happening first:
//! replies read until the server closes, however TCP cut them ([`replies`]); deadlines on
//! the connect and on the wait for replies ([`silence`]); the server's text shown with its
//! control characters escaped ([`escape`]). [`advice`] words the errors.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

pub use crate::config::Config;
use crate::escape::Escaper;
use crate::replies::Replies;
use crate::silence::Silence;

pub mod advice;
mod config;
pub mod escape;
pub mod replies;
pub mod silence;

/// Runs the client: lines come from `--message` or from `input`, replies go to `output`.
pub fn run(config: &Config, input: Box<dyn BufRead + Send>, output: &mut impl Write) -> Result<()> {
    let timeout = Duration::from_secs(config.timeout);
    let interactive = config.messages.is_empty();
    let input: Box<dyn BufRead + Send> = if interactive {
        input
    } else {
        Box::new(io::Cursor::new(config.messages.join("\n") + "\n"))
    };

    // 1. Dial. `connect` returns once the three-way handshake is done (SYN, SYN+ACK, ACK).
    let stream = dial(&config.connect, timeout)?;
    let server = stream
        .peer_addr()
        .context("could not read the server's address")?;

    // ANCHOR: send
    // 2. Write, on a thread of its own, so replies are printed while we still send.
    let writer = stream
        .try_clone()
        .context("could not share the socket with the sending thread")?;
    writer.set_write_timeout(Some(timeout))?;
    let input_done = Arc::new(AtomicBool::new(false));
    let sender = {
        let input_done = Arc::clone(&input_done);
        thread::spawn(move || send_lines(input, &writer, &input_done))
    };
    // ANCHOR_END: send

    // ANCHOR: receive
    // 3. Read the replies until the server closes. A short read timeout lets us notice
    //    a server that stopped answering, without limiting how long a person may type.
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut reader = &stream;
    let mut buf = [0; 8 * 1024];
    let mut replies = Replies::default();
    let mut silence = Silence::new(timeout);
    let mut escaper = Escaper::default();
    let failure = loop {
        match reader.read(&mut buf) {
            // `Ok(0)`: the server sent FIN. It has answered everything it will answer.
            Ok(0) => break None,
            Ok(n) => {
                // Print the `n` bytes received, whole lines or not: more may follow. They
                // are the server's text: its control characters are shown escaped.
                output.write_all(escaper.escape(&buf[..n]).as_bytes())?;
                output.flush()?;
                replies.add(&buf[..n]);
                silence.heard();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                // Still typing? Then silence is normal. Done sending? Then the clock runs.
                if input_done.load(Ordering::Acquire) {
                    if silence.too_long() {
                        break Some(advice::no_reply(server, timeout, &config.connect));
                    }
                } else if sender.is_finished() {
                    break None; // Sending failed (the server stopped reading): see below.
                }
            }
            Err(_) if replies.busy() => break None, // A reset right after the notice.
            Err(e) => break Some(advice::lost(e, &config.connect, server)),
        }
    };
    // ANCHOR_END: receive
    output.write_all(escaper.finish().as_bytes())?; // What it held back: a cut character.
    output.flush()?;
    if let Some(error) = failure {
        return Err(error);
    }

    // 4. Close. We half-closed when the input ended; the server answered what it had,
    //    then closed its side. Check that every line got its answer; dropping `stream`
    //    then releases the socket.
    if replies.busy() {
        bail!(
            "the server at {server} is busy (it serves a limited number of clients at once): try again later"
        );
    }
    if interactive && !input_done.load(Ordering::Acquire) && !sender.is_finished() {
        return Err(advice::hung_up(server, &config.connect));
    }
    let sent = match sender.join() {
        Ok(Ok(sent)) => sent,
        Ok(Err(e)) => return Err(advice::lost(e, &config.connect, server)),
        Err(_) => bail!("the sending thread failed"),
    };
    if replies.lines < sent {
        bail!(
            "the server at {server} closed the connection after answering {} of {sent} lines",
            replies.lines
        );
    }
    Ok(())
}

// ANCHOR: dial
/// Connects to the first address of `addr` that accepts, within `timeout` each.
pub fn dial(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let candidates: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .with_context(|| {
            format!("cannot use {addr:?} as a server address: give IP:PORT, e.g. 127.0.0.1:8000")
        })?
        .collect();
    let mut last_error = None;
    for candidate in candidates {
        // A deadline on the handshake: a plain `connect` to an address that never answers
        // waits as long as the OS keeps resending the SYN (minutes).
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((candidate, e)),
        }
    }
    match last_error {
        Some((candidate, error)) => Err(advice::connect_failed(error, candidate, addr, timeout)),
        None => bail!("{addr} did not resolve to any IP address"),
    }
}
// ANCHOR_END: dial

// ANCHOR: send_lines
/// Sends every line of `input`, then half-closes; returns how many lines were sent.
fn send_lines(
    mut input: Box<dyn BufRead + Send>,
    mut stream: &TcpStream,
    input_done: &AtomicBool,
) -> io::Result<usize> {
    let mut line = Vec::new();
    let mut sent = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break; // End of input: Ctrl-D, the end of a pipe, or the last --message.
        }
        if !line.ends_with(b"\n") {
            line.push(b'\n'); // The server answers whole lines only.
        }
        stream.write_all(&line)?;
        sent += 1;
    }
    input_done.store(true, Ordering::Release);
    // Half-close: send FIN, "I have nothing more to say". The server still answers what it
    // has received, then closes its side with a FIN of its own: the teardown's two halves.
    stream.shutdown(Shutdown::Write)?;
    Ok(sent)
}
// ANCHOR_END: send_lines
