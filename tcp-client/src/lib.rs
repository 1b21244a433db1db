//! The TCP client lesson: dial, write lines, read the replies, close politely.
//!
//! The course's Go client in Rust, step by step:
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

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// How a tcp-server notice that it is full begins. Notices start in lower case, which an
/// upper-cased reply never does, so this can never be mistaken for a reply.
const BUSY: &[u8] = b"busy:";

/// A TCP client: sends each line you type to the server and prints each reply.
///
/// Start the server first, in another terminal: cargo run -p tcp-server.
/// End your input with Ctrl-D (Ctrl-Z then Enter on Windows) to close the connection.
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address of the server, as IP:PORT (or HOST:PORT).
    #[arg(long, value_name = "ADDR", default_value = common::TCP_ADDR)]
    pub connect: String,

    /// Send this line instead of reading the keyboard, then exit. Repeat it to send
    /// several lines.
    #[arg(long = "message", value_name = "TEXT")]
    pub messages: Vec<String>,

    /// Seconds to wait for the connection to open, and for the server's replies once
    /// everything has been sent.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

/// Runs the client: lines come from `--message` or from `input`, replies go to `output`.
pub fn run(config: &Config, input: Box<dyn BufRead + Send>, output: &mut impl Write) -> Result<()> {
    let timeout = Duration::from_secs(config.timeout);
    let interactive = config.messages.is_empty();
    let input: Box<dyn BufRead + Send> = if interactive {
        input
    } else {
        Box::new(io::Cursor::new(config.messages.join("\n") + "\n"))
    };

    // ANCHOR: dial
    // 1. Dial. `connect` returns once the three-way handshake is done (SYN, SYN+ACK, ACK).
    let stream = dial(&config.connect, timeout)?;
    // ANCHOR_END: dial
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
    let mut replies = 0;
    let mut first_bytes = Vec::new(); // enough to recognise a `busy:` notice
    let mut waiting_since: Option<Instant> = None;
    loop {
        match reader.read(&mut buf) {
            // `Ok(0)`: the server sent FIN. It has answered everything it will answer.
            Ok(0) => break,
            Ok(n) => {
                // Print only the `n` bytes received, never the whole buffer.
                output.write_all(&buf[..n])?;
                output.flush()?;
                replies += buf[..n].iter().filter(|&&b| b == b'\n').count();
                let wanted = BUSY.len().saturating_sub(first_bytes.len()).min(n);
                first_bytes.extend_from_slice(&buf[..wanted]);
                waiting_since = None;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                // Still typing? Then silence is normal. Done sending? Then the clock runs.
                if input_done.load(Ordering::Acquire) {
                    let since = *waiting_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= timeout {
                        bail!(
                            "no reply from {server} within {} s: the server is stuck, or it \
                             is not a tcp-server; restart it with `{}`",
                            timeout.as_secs(),
                            start_command(&config.connect)
                        );
                    }
                } else if sender.is_finished() {
                    break; // Sending failed (the server stopped reading): reported below.
                }
            }
            Err(_) if first_bytes == BUSY => break, // A reset right after the notice.
            Err(e) => return Err(lost(e, &config.connect, server)),
        }
    }
    // ANCHOR_END: receive

    // 4. Close. We half-closed when the input ended; the server answered what it had,
    //    then closed its side. Check that every line got its answer; dropping `stream`
    //    then releases the socket.
    if first_bytes == BUSY {
        bail!(
            "the server at {server} is busy (it serves a limited number of clients at once): try again later"
        );
    }
    // The server hung up while the person was still typing.
    if interactive && !input_done.load(Ordering::Acquire) && !sender.is_finished() {
        bail!(
            "the server at {server} closed the connection (it was stopped, or hung up after \
             its --idle-timeout): start it again with `{}`, then reconnect",
            start_command(&config.connect)
        );
    }
    let sent = match sender.join() {
        Ok(Ok(sent)) => sent,
        Ok(Err(e)) => return Err(lost(e, &config.connect, server)),
        Err(_) => bail!("the sending thread failed"),
    };
    if replies < sent {
        bail!(
            "the server at {server} closed the connection after answering {replies} of {sent} lines"
        );
    }
    Ok(())
}

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
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((candidate, e)),
        }
    }
    let Some((candidate, error)) = last_error else {
        bail!("{addr} did not resolve to any IP address");
    };
    let message = match error.kind() {
        _ if candidate.port() == 0 => format!(
            "cannot connect to port 0 ({addr}): port 0 means \"any free port\" only when \
             listening; connect to the port the server printed in its `listening on` line"
        ),
        ErrorKind::ConnectionRefused => format!(
            "connection refused by {candidate}: nothing is listening there. \
             Is tcp-server running? Start it with `{}`",
            start_command(addr)
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "no answer from {candidate} within {} s: is the address right? \
             tcp-server listens on {} unless told otherwise",
            timeout.as_secs(),
            common::TCP_ADDR
        ),
        _ => format!("cannot connect to {candidate}"),
    };
    Err(anyhow::Error::new(error).context(message))
}

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
    // has received, then closes its side: the first half of the four-way teardown.
    stream.shutdown(Shutdown::Write)?;
    Ok(sent)
}
// ANCHOR_END: send_lines

/// Explains an I/O error on an open connection.
fn lost(error: io::Error, addr: &str, server: SocketAddr) -> anyhow::Error {
    let restart = start_command(addr);
    let message = match error.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => format!(
            "the connection to {server} was reset: the server crashed or was stopped; \
             start it again with `{restart}`"
        ),
        ErrorKind::BrokenPipe => {
            format!("the server at {server} closed the connection; start it again with `{restart}`")
        }
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "the server at {server} stopped reading what we send (is it stuck?); \
             restart it with `{restart}`"
        ),
        _ => format!("the connection to {server} failed"),
    };
    anyhow::Error::new(error).context(message)
}

/// The command that starts a tcp-server listening on `addr`, for error messages.
fn start_command(addr: &str) -> String {
    if addr == common::TCP_ADDR {
        "cargo run -p tcp-server".to_owned()
    } else {
        format!("cargo run -p tcp-server -- --listen {addr}")
    }
}
