//! The UDP client lesson: connect without a handshake, send datagrams, wait with a deadline.
//!
//! The notes' Go client in Rust, step by step:
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
//! [`flood`] is the sending half of the loss-and-order experiment (`--flood N`).

pub mod flood;

use std::io::{self, BufRead, ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use clap::builder::TypedValueParser as _;
use udp_server::experiment::MAX_FLOOD;
use udp_server::{RECEIVE_BUFFER, max_payload};

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
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// How many times to send a message again when its reply does not come in time.
    /// UDP never retransmits by itself; this is the application doing it.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,

    /// Loss experiment: send N numbered datagrams to `udp-server --count` and print what
    /// it counted (received, lost, duplicated, out of order). Loopback addresses only.
    #[arg(long, value_name = "N", conflicts_with = "messages",
          value_parser = clap::value_parser!(u64).range(1..=MAX_FLOOD))]
    pub flood: Option<u64>,

    /// With --flood: datagrams per second. Without it, as fast as the sender can.
    #[arg(long, value_name = "R", requires = "flood",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub rate: Option<u64>,

    /// With --flood: bytes per datagram (48 to 65507).
    #[arg(long, value_name = "BYTES", default_value_t = 64, requires = "flood",
          value_parser = clap::value_parser!(u16).range(48..=65_507).map(usize::from))]
    pub size: usize,

    /// With --flood: send the same numbered messages over TCP, to `udp-server --count
    /// --tcp`, for the TCP-versus-UDP comparison.
    #[arg(long, requires = "flood")]
    pub tcp: bool,

    /// With --flood: the whole run, sending and waiting for the counter's summary, ends
    /// within this many seconds (0.1 to 300). The flood sends for at most a third of it;
    /// the rest is for the counter to read what still waits in the buffers (over TCP up to
    /// ~4 MB, which a slow counter needs seconds to read).
    #[arg(long, value_name = "SECS", default_value = "30", requires = "flood",
          value_parser = parse_time_limit)]
    pub time_limit: Duration,
}

/// Reads a positive number of seconds, such as `1` or `0.25`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.001..=3600.0).contains(&seconds) {
        return Err("give between 0.001 and 3600 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Reads a flood's time limit: between 0.1 and 300 seconds.
fn parse_time_limit(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.1..=300.0).contains(&seconds) {
        return Err("give between 0.1 and 300 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs the client: messages come from `--message` or from `input`, replies go to `output`.
pub fn run(config: &Config, input: Box<dyn BufRead + Send>, output: &mut impl Write) -> Result<()> {
    if let Some(count) = config.flood {
        return flood::run(config, count, output);
    }
    // 1. Dial: a socket of our own on any free port, connected to the server.
    let socket = dial(&config.connect)?;
    let server = socket
        .peer_addr()
        .context("could not read the server's address")?;
    // Every wait for a reply ends after `timeout`: a lost datagram is never reported.
    socket
        .set_read_timeout(Some(config.timeout))
        .context("could not set the reply timeout")?;

    // Check every --message before sending any, so a bad one loses nothing.
    for message in &config.messages {
        check_size(message.as_bytes(), server)?;
    }
    let messages: Box<dyn Iterator<Item = io::Result<Vec<u8>>>> = if config.messages.is_empty() {
        Box::new(input.split(b'\n').map(|line| line.map(strip_line_ending)))
    } else {
        Box::new(
            config
                .messages
                .clone()
                .into_iter()
                .map(|m| Ok(m.into_bytes())),
        )
    };

    let mut reply = vec![0; RECEIVE_BUFFER];
    let (mut total, mut failed) = (0, 0);
    // The latest failure, printed once we know whether it is the only message.
    let mut unreported: Option<anyhow::Error> = None;
    for message in messages {
        let message = message.context("could not read the input")?;
        total += 1;
        let result = check_size(&message, server)
            .and_then(|()| exchange(&socket, &message, config, &mut reply));
        match result {
            Ok(len) => {
                // Print only the `len` bytes received, never the whole buffer.
                output.write_all(&reply[..len])?;
                output.write_all(b"\n")?;
                output.flush()?;
            }
            // Nothing listening is final: there is no point sending the next message. An
            // earlier failure still waiting to be reported comes first, in order.
            Err(error) if is_refused(&error) => {
                if let Some(previous) = unreported.take() {
                    print_error(&previous);
                }
                return Err(error);
            }
            Err(error) => {
                // A lost reply or an oversized line: say so, and go on with the next one.
                failed += 1;
                report_later(&mut unreported, error);
            }
        }
    }
    // 4. Close: dropping the socket sends nothing; the server never knew we were "connected".
    match unreported {
        Some(error) if total == 1 => Err(error),
        Some(error) => {
            print_error(&error);
            bail!("{failed} of {total} messages failed")
        }
        None => Ok(()),
    }
}

/// Prints the failure waiting in `unreported` (if any) on stderr, and keeps `error` there.
fn report_later(unreported: &mut Option<anyhow::Error>, error: anyhow::Error) {
    if let Some(previous) = unreported.replace(error) {
        print_error(&previous);
    }
}

/// Prints a failure that does not end the client, the way `common::report` prints one that does.
fn print_error(error: &anyhow::Error) {
    let _ = writeln!(io::stderr(), "error: {error:#}");
}

// ANCHOR: dial_fn
/// Creates a UDP socket connected to `addr`.
///
/// For UDP, `connect` sends no packet and waits for nobody: there is no handshake. It only
/// records a default destination (so `send` needs no address) and installs a filter: from
/// now on the OS drops datagrams that come from any other address.
pub fn dial(addr: &str) -> Result<UdpSocket> {
    let server = addr
        .to_socket_addrs()
        .with_context(|| {
            format!("cannot use {addr:?} as a server address: give IP:PORT, e.g. 127.0.0.1:8001")
        })?
        .next()
        .with_context(|| format!("{addr} did not resolve to any IP address"))?;
    // Port 0: the OS picks a free port, which the server sees as our address.
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(local).context("could not create a UDP socket")?;
    socket
        .connect(server)
        .with_context(|| format!("cannot send to {server}: is the address right?"))?;
    Ok(socket)
}
// ANCHOR_END: dial_fn

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
    discard_late_replies(socket, reply)?;
    for _attempt in 0..=config.retries {
        // 2. Send: one call, one datagram, delivered whole or not at all.
        socket.send(message).map_err(|e| explain(e, server))?;

        // 3. Receive the reply, waiting at most `timeout`. The connected socket only
        //    accepts datagrams from the server; anything else is dropped by the OS.
        match socket.recv(reply) {
            Ok(len) => return Ok(len),
            // Unix reports an expired timeout as WouldBlock, Windows as TimedOut: the
            // request or its reply was lost (or nobody is there). Try again, if allowed.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(explain(e, server)),
        }
    }
    let tries = match config.retries {
        0 => String::new(),
        retries => format!(" ({} tries)", retries + 1),
    };
    let advice = if config.retries == 0 {
        " (--retries N sends a message again)"
    } else {
        ""
    };
    bail!(
        "no reply from {server} within {} s{tries}: UDP does not retransmit; \
         is udp-server running?{advice}",
        config.timeout.as_secs_f64(),
    )
}
// ANCHOR_END: exchange

/// Throws away replies that are already waiting: they answer earlier, timed-out messages.
///
/// This protocol has no request numbers, so a late reply cannot be matched to its message.
/// Real protocols (DNS, QUIC) put an identifier in each request for exactly this reason.
fn discard_late_replies(socket: &UdpSocket, buffer: &mut [u8]) -> Result<()> {
    let server = socket.peer_addr()?;
    socket.set_nonblocking(true)?;
    let drained = loop {
        match socket.recv(buffer) {
            Ok(len) => {
                let _ = writeln!(
                    io::stderr(),
                    "note: ignored a late reply ({len} bytes) to an earlier message"
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
            Err(e) => break Err(explain(e, server)),
        }
    };
    socket.set_nonblocking(false)?;
    drained
}

/// Refuses a message that cannot fit in one datagram to `server`.
fn check_size(message: &[u8], server: SocketAddr) -> Result<()> {
    let limit = max_payload(server);
    if message.len() > limit {
        bail!(
            "the message is {} bytes, but one UDP datagram carries at most {limit} bytes \
             over {}: nothing was sent; split it",
            message.len(),
            if server.is_ipv4() { "IPv4" } else { "IPv6" }
        );
    }
    Ok(())
}

/// Explains an error of `send` or `recv` on the socket connected to `server`.
fn explain(error: io::Error, server: SocketAddr) -> anyhow::Error {
    let start_hint = if server.to_string() == common::UDP_ADDR {
        "cargo run -p udp-server".to_owned()
    } else {
        format!("cargo run -p udp-server -- --listen {server}")
    };
    let message = match error.kind() {
        ErrorKind::ConnectionRefused => format!(
            "nothing is listening on {server}: the OS there answered our datagram with an ICMP \
             \"port unreachable\", which a connected UDP socket reports as \"connection \
             refused\" on its next send or receive. Is udp-server running? Start it with \
             `{start_hint}`"
        ),
        _ => format!("could not exchange datagrams with {server}"),
    };
    anyhow::Error::new(error).context(message)
}

/// Whether an error means that nothing listens at the server's address.
fn is_refused(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == ErrorKind::ConnectionRefused)
}

/// A typed line (already split at `\n`) without the `\r` of a Windows line ending: the
/// datagram itself marks where a message ends.
fn strip_line_ending(mut line: Vec<u8>) -> Vec<u8> {
    if line.ends_with(b"\r") {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_accept_decimals_and_refuse_zero() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("1"), Ok(Duration::from_secs(1)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("soon").is_err());
    }

    #[test]
    fn a_flood_time_limit_lies_between_a_tenth_of_a_second_and_five_minutes() {
        assert_eq!(parse_time_limit("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_time_limit("300"), Ok(Duration::from_secs(300)));
        assert!(parse_time_limit("0.05").is_err());
        assert!(parse_time_limit("301").is_err());
        assert!(parse_time_limit("NaN").is_err());
    }

    #[test]
    fn line_endings_are_not_part_of_the_message() {
        let typed = io::Cursor::new(b"hi\r\n\nlast".to_vec());
        let lines: Vec<Vec<u8>> = typed
            .split(b'\n')
            .map(|line| strip_line_ending(line.expect("a slice reads")))
            .collect();
        assert_eq!(lines, [&b"hi"[..], b"", b"last"]);
    }

    #[test]
    fn a_message_larger_than_one_datagram_is_refused() {
        let v4 = SocketAddr::from(([127, 0, 0, 1], 1));
        assert!(check_size(&vec![0; 65_507], v4).is_ok());
        assert!(check_size(&vec![0; 65_508], v4).is_err());
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 1));
        assert!(check_size(&vec![0; 65_527], v6).is_ok());
    }
}
