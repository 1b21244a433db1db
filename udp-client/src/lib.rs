//! The UDP client lesson: connect without a handshake, send datagrams, wait with a deadline.
//!
//! The notes' Go client in Rust, step by step (`examples/notes-udp-client.rs` is the same
//! steps as the notes have them, weaknesses included). The notes say "step 1 dials, then
//! go on as the TCP client": write, read, close.
//!
//! | step | Go                        | Rust                                              |
//! |------|---------------------------|---------------------------------------------------|
//! | 1    | `net.Dial("udp", a)`      | [`UdpSocket::bind`] to port 0, then [`UdpSocket::connect`] |
//! | 2    | `conn.Write(msg)`         | [`UdpSocket::send`]: one call, one datagram        |
//! | 3    | `conn.Read(buf)`          | [`UdpSocket::recv`] with a read timeout            |
//! | 4    | `conn.Close()`            | the socket is dropped; nothing is sent             |
//!
//! Unlike `tcp-client`, nothing here can tell whether the server exists: `connect` sends no
//! packet, and a datagram may vanish on the way there or back. So every wait for a reply
//! has a timeout, and `--retries` sends a message again; UDP itself never does.
//!
//! The machinery lives in modules: [`input`] (where messages come from), [`datagram`] (how
//! big one can be), [`late_replies`] (replies that come after their timeout), [`escape`]
//! (the server's text shown with its control characters escaped), [`advice`] (what an
//! error means) and [`failures`] (errors that do not end the client).

pub mod advice;
pub mod datagram;
pub mod escape;
pub mod failures;
pub mod input;
pub mod late_replies;

use std::io::{BufRead, ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::datagram::{RECEIVE_BUFFER, check_size};

/// A UDP client: sends each line you type as one datagram and prints the server's reply.
///
/// Start the server first, in another terminal: cargo run -p udp-server.
/// End your input with Ctrl-D (Ctrl-Z then Enter on Windows).
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address of the server, as IP:PORT (or HOST:PORT).
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    pub connect: String,

    /// Send this text as one datagram instead of reading the keyboard, then exit.
    /// Repeat it to send several.
    #[arg(long = "message", value_name = "TEXT")]
    pub messages: Vec<String>,

    /// Seconds to wait for each reply (decimals allowed, e.g. 0.2). UDP gives no other
    /// sign that a datagram was lost: silence is all there is.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = input::parse_seconds)]
    pub timeout: Duration,

    /// How many times to send a message again when its reply does not come in time.
    /// UDP never retransmits by itself; this is the application doing it.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,
}

/// Runs the client: messages come from `--message` or from `input`, replies go to `output`.
pub fn run(config: &Config, input: Box<dyn BufRead + Send>, output: &mut impl Write) -> Result<()> {
    // ANCHOR: dial
    // 1. Dial: `net.Dial("udp", addr)` is two calls. Bind a socket of our own to port 0
    //    (the OS picks a free port, which the server sees as our address), then connect it
    //    to the server. For UDP, `connect` sends no packet and waits for nobody: it records
    //    a default destination for `send`, and from now on the OS drops datagrams that
    //    come from any other address.
    let server = config
        .connect
        .to_socket_addrs()
        .with_context(|| advice::not_an_address(&config.connect))?
        .next()
        .with_context(|| format!("{} did not resolve to any IP address", config.connect))?;
    let any_port = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(any_port).context("could not create a UDP socket")?;
    socket
        .connect(server)
        .with_context(|| format!("cannot send to {server}: is the address right?"))?;
    // Every wait for a reply ends after `timeout`: a lost datagram is never reported.
    socket
        .set_read_timeout(Some(config.timeout))
        .context("could not set the reply timeout")?;
    // ANCHOR_END: dial

    // Check every --message before sending any, so a bad one loses nothing.
    for message in &config.messages {
        check_size(message.as_bytes(), server)?;
    }
    let messages = input::messages(&config.messages, input);

    let mut reply = vec![0; RECEIVE_BUFFER];
    let mut failures = failures::Failures::default();
    for message in messages {
        let message = message.context("could not read the input")?;
        let result = check_size(&message, server)
            .and_then(|()| exchange(&socket, &message, config, &mut reply));
        match result {
            Ok(len) => {
                failures.succeeded();
                // Print only the `len` bytes received, never the whole buffer. They are the
                // server's text: its control characters are shown escaped.
                output.write_all(escape::escape(&reply[..len]).as_bytes())?;
                output.write_all(b"\n")?;
                output.flush()?;
            }
            // Nothing listening is final: there is no point sending the next message.
            Err(error) if advice::is_refused(&error) => return Err(failures.last(error)),
            // A lost reply or an oversized line: say so, and go on with the next one.
            Err(error) => failures.failed(error),
        }
    }
    // 4. Close: dropping the socket sends nothing; the server never knew we were "connected".
    failures.finish()
}

// ANCHOR: exchange
/// Sends `message` as one datagram and waits for the reply, trying `1 + retries` times.
///
/// Returns the reply's length in `reply`.
pub fn exchange(
    socket: &UdpSocket,
    message: &[u8],
    config: &Config,
    reply: &mut [u8],
) -> Result<usize> {
    let server = socket.peer_addr()?;
    // A reply that came too late for an earlier message would be taken for this one's.
    late_replies::discard(socket, reply)?;
    for _attempt in 0..=config.retries {
        // 2. Send: `conn.Write(msg)`. One call, one datagram, delivered whole or not at all.
        socket
            .send(message)
            .map_err(|e| advice::explain(e, server))?;

        // 3. Receive the reply: `conn.Read(buf)`, waiting at most `timeout`. The connected
        //    socket only accepts datagrams from the server; anything else is dropped by the OS.
        match socket.recv(reply) {
            Ok(len) => return Ok(len),
            // Unix reports an expired timeout as WouldBlock, Windows as TimedOut: the
            // request or its reply was lost (or nobody is there). Try again, if allowed.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(advice::explain(e, server)),
        }
    }
    let tries = match config.retries {
        0 => String::new(),
        retries => format!(" ({} tries)", retries + 1),
    };
    let hint = if config.retries == 0 {
        " (--retries N sends a message again)"
    } else {
        ""
    };
    bail!(
        "no reply from {server} within {} s{tries}: UDP does not retransmit; \
         is udp-server running?{hint}",
        config.timeout.as_secs_f64(),
    )
}
// ANCHOR_END: exchange
