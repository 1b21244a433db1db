//! The UDP server lesson: one socket and one thread answer every client.
//!
//! The notes' Go server in Rust, step by step:
//!
//! | step | Go                                  | Rust                                  |
//! |------|-------------------------------------|---------------------------------------|
//! | 1    | `net.ResolveUDPAddr("udp", a)`      | [`ToSocketAddrs::to_socket_addrs`]    |
//! | 2    | `net.ListenUDP("udp", addr)`        | [`UdpSocket::bind`]                   |
//! | 3    | `conn.ReadFromUDP(buf)`             | [`UdpSocket::recv_from`]              |
//! | 4    | `conn.WriteToUDP(reply, peer)`      | [`UdpSocket::send_to`]                |
//!
//! The protocol is one datagram in, one datagram out: the server answers each datagram
//! upper-cased, like `tcp-server` answers each line, so the two lessons compare side by side.
//! There is no `accept` and no thread per client: UDP has no connections, every datagram
//! arrives on the one socket with its sender's address, and the reply goes back to that
//! address. That is why "a UDP server is concurrent by default".
//!
//! [`experiment`] is the other half of the loss-and-order experiment (`--count`): instead of
//! answering, the server counts the numbered datagrams that `udp-client --flood` sends.

pub mod experiment;

use std::fmt::Display;
use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use anyhow::{Context, Result, bail};
use clap::Parser;
use clap::builder::TypedValueParser as _;

/// The receive buffer's default size: 65,535 bytes, the most a UDP length field can say.
///
/// The UDP header's length field is 16 bits, so no datagram is longer. After the IPv4 (20
/// bytes) and UDP (8 bytes) headers, the largest payload is [`MAX_PAYLOAD_V4`]; over IPv6,
/// whose 40-byte header is not counted in its 65,535-byte payload length,
/// [`MAX_PAYLOAD_V6`]. A buffer of 65,535 bytes holds either, so nothing is ever cut off.
pub const RECEIVE_BUFFER: usize = 65_535;

/// The largest UDP payload over IPv4: 65,535 - 20 (IPv4 header) - 8 (UDP header).
pub const MAX_PAYLOAD_V4: usize = 65_507;

/// The largest UDP payload over IPv6: 65,535 - 8 (UDP header). (Jumbograms aside.)
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// The largest payload one datagram can carry to `peer`.
pub fn max_payload(peer: SocketAddr) -> usize {
    match peer {
        SocketAddr::V4(_) => MAX_PAYLOAD_V4,
        // An IPv4 client of a dual-stack socket shows up as ::ffff:a.b.c.d, but its
        // datagrams still travel in IPv4 packets.
        SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some() => MAX_PAYLOAD_V4,
        SocketAddr::V6(_) => MAX_PAYLOAD_V6,
    }
}

/// A UDP server that answers each datagram it receives in upper case.
///
/// Run it, then in a second terminal: cargo run -p udp-client
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to bind, as IP:PORT. Port 0 asks the OS for any free port;
    /// [::1]:0 binds IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    pub listen: String,

    /// Size of the receive buffer, in bytes (1 to 65535). A datagram longer than the
    /// buffer is cut off: the OS delivers the first BYTES and throws the rest away.
    /// Try `--buffer 8` to watch it happen.
    #[arg(long, value_name = "BYTES", default_value_t = RECEIVE_BUFFER, conflicts_with = "count",
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub buffer: usize,

    /// Do not log each datagram. A log line costs more than the reply itself, so the
    /// benchmark runs the server with this.
    #[arg(long)]
    pub quiet: bool,

    /// Loss experiment: count the numbered datagrams that `udp-client --flood N` sends,
    /// instead of answering them, and report what arrived: received, lost, duplicated,
    /// out of order.
    #[arg(long)]
    pub count: bool,

    /// With --count: pause this many microseconds after each datagram, to play a receiver
    /// slower than its sender. At most 10000; with --tcp at most 100, because TCP loses
    /// nothing: the counter must read all that waits in the buffers (up to ~4 MB) before
    /// the sender's time limit.
    #[arg(long, value_name = "MICROS", default_value_t = 0, requires = "count",
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub delay_us: u64,

    /// With --count: listen on TCP instead (same port number, TCP's own port space)
    /// and count a `udp-client --flood N --tcp`, for the TCP-versus-UDP comparison.
    #[arg(long, requires = "count")]
    pub tcp: bool,
}

/// Runs the server until the process is stopped (Ctrl-C).
pub fn run(config: &Config) -> Result<()> {
    // ANCHOR: resolve
    // 1. Resolve the address: text such as "127.0.0.1:8001" or "localhost:8001" becomes an
    //    IP address and a port, the pair that names a UDP endpoint.
    let addr = resolve(&config.listen)?;
    // ANCHOR_END: resolve
    if config.count {
        return experiment::run(addr, config);
    }
    // ANCHOR: bind
    // 2. Bind the socket. From now on the OS queues every datagram sent to this address, from
    //    anyone. There is no `listen` and no `accept`: UDP has no connections to set up.
    let socket = bind(addr)?;
    let local_addr = socket
        .local_addr()
        .context("could not read the bound address")?;
    // Print the address actually bound: with port 0 only the OS knows which port it chose.
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: bind
    serve(&socket, config.buffer, config.quiet)
}

/// Turns `text` into one socket address (the first one, if a name resolves to several).
pub fn resolve(text: &str) -> Result<SocketAddr> {
    let mut addrs = text.to_socket_addrs().with_context(|| {
        format!("cannot use {text:?} as an address: give IP:PORT, e.g. 127.0.0.1:8001 or [::1]:0")
    })?;
    match addrs.next() {
        Some(addr) => Ok(addr),
        None => bail!("{text} did not resolve to any IP address"),
    }
}

/// Binds a UDP socket to `addr`, turning the usual failures into advice.
pub fn bind(addr: SocketAddr) -> Result<UdpSocket> {
    UdpSocket::bind(addr).map_err(|error| {
        let hint = match error.kind() {
            ErrorKind::AddrInUse => {
                "another program (perhaps another udp-server) is bound there: stop it, \
                 or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
            }
            ErrorKind::PermissionDenied => {
                "ports below 1024 need administrator rights: choose a port above 1024, \
                 e.g. `--listen 127.0.0.1:8001`"
            }
            ErrorKind::AddrNotAvailable => {
                "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
            }
            _ => "give the address as IP:PORT, e.g. 127.0.0.1:8001 or [::1]:0",
        };
        anyhow::Error::new(error).context(format!("cannot bind {addr}: {hint}"))
    })
}

// ANCHOR: serve
/// Answers datagrams for ever, from whoever sends them, on this one thread.
///
/// `buffer_size` bytes of each datagram are kept; the rest of a longer one is lost.
pub fn serve(socket: &UdpSocket, buffer_size: usize, quiet: bool) -> Result<()> {
    // One byte more than we keep: if a datagram fills it, the datagram was longer than
    // `buffer_size`, and we know the OS cut it off (std does not report MSG_TRUNC).
    let mut buffer = vec![0; buffer_size + 1];
    loop {
        // 3. Receive one datagram and the address of whoever sent it. One call, one
        //    datagram: never two glued together, never the rest of an earlier one (unlike
        //    TCP's byte stream).
        let (received, peer) = match socket.recv_from(&mut buffer) {
            Ok(datagram) => datagram,
            // Windows reports a port unreachable (ICMP) caused by an earlier reply as a
            // "reset" on the next receive. One vanished client must not stop the server.
            Err(error) if is_peer_gone(&error) => continue,
            // Windows reports a datagram longer than the buffer as an error, not by cutting
            // it off silently, and keeps its sender to itself: log it, and go on serving.
            Err(error) if is_too_long_for_the_buffer(&error) => {
                if !quiet {
                    log(format_args!(
                        "a datagram longer than the buffer ({buffer_size} bytes) was cut off; \
                         Windows does not say who sent it, so it gets no reply ({error})"
                    ));
                }
                continue;
            }
            Err(error) => return Err(error).context("could not receive a datagram"),
        };
        let truncated = received > buffer_size;
        let datagram = &buffer[..received.min(buffer_size)];
        let reply = reply_to(datagram, peer);

        // 4. Send the reply to the address the datagram came from. Each client is just an
        //    address here: the next datagram may come from someone else entirely.
        let sent = socket.send_to(&reply, peer);

        if !quiet {
            log(describe(
                peer,
                datagram.len(),
                truncated,
                buffer_size,
                &sent,
            ));
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: reply
/// The reply to one datagram: the datagram upper-cased, if the result fits in a datagram.
pub fn reply_to(datagram: &[u8], peer: SocketAddr) -> Vec<u8> {
    let reply = shout(datagram);
    // Upper case can be longer than lower case ("ΐ" has 2 bytes, its upper case 6). A reply
    // that does not fit in one datagram cannot be sent at all: say so instead.
    let limit = max_payload(peer);
    if reply.len() > limit {
        return format!(
            "ERROR the upper-cased reply would be {} bytes; one datagram carries at most {limit}",
            reply.len()
        )
        .into_bytes();
    }
    reply
}

/// A datagram upper-cased.
///
/// Valid UTF-8 is upper-cased by Unicode rules ("straße" becomes "STRASSE"). Any other bytes
/// are not text we can interpret, so only the ASCII letters among them are upper-cased and
/// every other byte is sent back unchanged: the server never rejects or crashes on input.
/// An empty datagram is a valid message too, and gets an empty reply.
pub fn shout(datagram: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(datagram) {
        Ok(text) => text.to_uppercase().into_bytes(),
        Err(_) => datagram.to_ascii_uppercase(),
    }
}
// ANCHOR_END: reply

/// Whether a receive error only means "an earlier datagram's peer has gone away" (or a
/// signal interrupted the wait): nothing that should stop the server.
fn is_peer_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused | ErrorKind::Interrupted
    )
}

/// Whether a receive error is Windows' way of saying "that datagram was longer than your
/// buffer" (WSAEMSGSIZE, os error 10040). Linux and macOS cut the datagram off silently.
fn is_too_long_for_the_buffer(error: &io::Error) -> bool {
    /// WSAEMSGSIZE: "a message sent on a datagram socket was larger than the buffer".
    const WSAEMSGSIZE: i32 = 10040;
    cfg!(windows) && error.raw_os_error() == Some(WSAEMSGSIZE)
}

/// One log line about one datagram and its reply.
fn describe(
    peer: SocketAddr,
    kept: usize,
    truncated: bool,
    buffer_size: usize,
    sent: &io::Result<usize>,
) -> String {
    let received = if truncated {
        format!(
            "more than {buffer_size} bytes (truncated: the buffer holds {buffer_size}, \
             the OS threw the rest away)"
        )
    } else {
        format!("{kept} bytes")
    };
    match sent {
        Ok(n) => format!("{peer}: received {received}, replied {n} bytes"),
        Err(error) => format!("{peer}: received {received}, reply failed: {error}"),
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

    fn v4_peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5000))
    }

    #[test]
    fn shout_uppercases_unicode() {
        assert_eq!(shout(b"hello"), b"HELLO");
        assert_eq!(shout("straße 你好".as_bytes()), "STRASSE 你好".as_bytes());
    }

    #[test]
    fn shout_passes_invalid_utf8_through_and_uppercases_ascii() {
        assert_eq!(shout(b"ab\xff\xfecd"), b"AB\xff\xfeCD");
    }

    #[test]
    fn an_empty_datagram_gets_an_empty_reply() {
        assert_eq!(reply_to(b"", v4_peer()), b"");
    }

    #[test]
    fn only_windows_reports_a_datagram_too_long_for_the_buffer_as_an_error() {
        // Elsewhere 10040 means nothing special, and the error stops the server as any other.
        let error = io::Error::from_raw_os_error(10040);
        assert_eq!(is_too_long_for_the_buffer(&error), cfg!(windows));
    }

    #[test]
    fn a_maximum_size_datagram_gets_a_maximum_size_reply() {
        let datagram = vec![b'a'; MAX_PAYLOAD_V4];
        assert_eq!(reply_to(&datagram, v4_peer()), vec![b'A'; MAX_PAYLOAD_V4]);
    }

    #[test]
    fn a_reply_that_grows_past_one_datagram_becomes_an_error_message() {
        // "ΐ" is 2 bytes; its upper case, three code points, is 6.
        let datagram = "ΐ".repeat(MAX_PAYLOAD_V4 / 2);
        let reply = reply_to(datagram.as_bytes(), v4_peer());
        let text = String::from_utf8(reply).expect("the error is text");
        assert!(
            text.starts_with("ERROR the upper-cased reply would be"),
            "{text}"
        );
        assert!(text.ends_with("at most 65507"), "{text}");
    }
}
