//! The UDP server lesson: one socket and one thread answer every client.
//!
//! The notes' Go server in Rust, step by step (`examples/notes-udp-server.rs` is the same
//! four steps as the notes have them, weaknesses included):
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
//! The machinery lives in modules: [`datagram`] (how big a datagram can be), [`reply`] (the
//! upper-cased answer), [`receive_errors`] (errors that must not stop the server),
//! [`advice`] (what to do when `bind` fails) and [`describe`] (the log line).

pub mod advice;
pub mod datagram;
pub mod describe;
pub mod receive_errors;
pub mod reply;

use std::fmt::Display;
use std::io::{self, Write};
use std::net::{ToSocketAddrs, UdpSocket};

use anyhow::{Context, Result};
use clap::Parser;
use clap::builder::TypedValueParser as _;

use crate::datagram::RECEIVE_BUFFER;

/// A UDP server that answers each datagram it receives in upper case.
///
/// Run it, then in a second terminal: cargo run -p udp-client
#[derive(Debug, Clone, Parser)]
#[command(version)]
// The doc comments are the --help text: "[::1]:0" there is an address, not a rustdoc link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct Config {
    /// Address to bind, as IP:PORT. Port 0 asks the OS for any free port;
    /// [::1]:0 binds IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    pub listen: String,

    /// Size of the receive buffer, in bytes (1 to 65535). A datagram longer than the
    /// buffer is cut off: the OS delivers the first BYTES and throws the rest away.
    /// Try `--buffer 8` to watch it happen.
    #[arg(long, value_name = "BYTES", default_value_t = RECEIVE_BUFFER,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub buffer: usize,

    /// Do not log each datagram. A log line costs more than the reply itself, so the
    /// benchmark runs the server with this.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the server until the process is stopped (Ctrl-C).
pub fn run(config: &Config) -> Result<()> {
    // ANCHOR: resolve
    // 1. Resolve the address: text such as "127.0.0.1:8001" or "localhost:8001" becomes an
    //    IP address and a port, the pair that names a UDP endpoint.
    let addr = config
        .listen
        .to_socket_addrs()
        .with_context(|| advice::not_an_address(&config.listen))?
        .next()
        .with_context(|| format!("{} did not resolve to any IP address", config.listen))?;
    // ANCHOR_END: resolve

    // ANCHOR: bind
    // 2. Bind the socket. From now on the OS queues every datagram sent to this address, from
    //    anyone. There is no `listen` and no `accept`: UDP has no connections to set up.
    let socket = UdpSocket::bind(addr).map_err(|error| advice::bind_failed(error, addr))?;
    let local_addr = socket
        .local_addr()
        .context("could not read the bound address")?;
    // Print the address actually bound: with port 0 only the OS knows which port it chose.
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: bind

    // ANCHOR: serve
    // One byte more than we keep: if a datagram fills it, the datagram was longer than
    // `--buffer`, and we know the OS cut it off (std does not report MSG_TRUNC).
    let mut buffer = vec![0; config.buffer + 1];
    loop {
        // 3. Receive one datagram and the address of whoever sent it. One call, one
        //    datagram: never two glued together, never the rest of an earlier one (unlike
        //    TCP's byte stream). This one socket serves every client, in turn.
        let (received, peer) = match socket.recv_from(&mut buffer) {
            Ok(datagram) => datagram,
            // Errors that are news about one client must not stop the server for everyone:
            // Windows reports an earlier reply's "port unreachable" here...
            Err(error) if receive_errors::is_peer_gone(&error) => continue,
            // ...and a datagram longer than the buffer, without saying who sent it.
            Err(error) if receive_errors::is_too_long_for_the_buffer(&error) => {
                if !config.quiet {
                    log(receive_errors::cut_off_unknown_sender(
                        config.buffer,
                        &error,
                    ));
                }
                continue;
            }
            Err(error) => return Err(error).context("could not receive a datagram"),
        };
        let truncated = received > config.buffer;
        let datagram = &buffer[..received.min(config.buffer)];
        let reply = reply::reply_to(datagram, peer);

        // 4. Send the reply to the address the datagram came from. Each client is just an
        //    address here: the next datagram may come from someone else entirely.
        let sent = socket.send_to(&reply, peer);

        if !config.quiet {
            log(describe::datagram(
                peer,
                datagram.len(),
                truncated,
                config.buffer,
                &sent,
            ));
        }
    }
    // ANCHOR_END: serve
}

/// Prints one line of the server's log on stdout, ignoring a closed stdout.
///
/// Unlike `println!`, it does not panic when stdout is gone (say, piped into `head`): a
/// server must not crash because nobody reads its log. Every server of the workspace has
/// this same function, copied on purpose so that each lesson reads on its own.
fn log(message: impl Display) {
    let _ = writeln!(io::stdout().lock(), "{message}");
}
