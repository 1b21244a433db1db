//! What an error means for a UDP client, and what to do about it.
//!
//! The surprising one: "connection refused" from a protocol without connections. When our
//! datagram reaches a machine where no socket is bound to the port, that machine answers
//! with an ICMP "port unreachable", and the OS hands it to our socket because it is
//! connected; the next `send` or `recv` fails with it.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;

/// The message for text that is not a server address.
pub fn not_an_address(text: &str) -> String {
    format!("cannot use {text:?} as a server address: give IP:PORT, e.g. 127.0.0.1:8001")
}

/// Explains an error of `send` or `recv` on the socket connected to `server`.
pub fn explain(error: io::Error, server: SocketAddr) -> anyhow::Error {
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
pub fn is_refused(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == ErrorKind::ConnectionRefused)
}
