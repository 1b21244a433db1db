//! The loss-and-order experiment: the notes' "TCP is reliable, UDP is not", measured.
//!
//! Two programs, run on loopback only:
//!
//! * `udp-count` ([`count`]) binds a socket and counts the numbered datagrams that arrive,
//!   optionally pausing after each one to play a receiver slower than its sender;
//! * `udp-flood` ([`flood`]) sends N numbered datagrams to it, as fast as it can or at a
//!   chosen rate, then asks for the count and prints both sides' view.
//!
//! With `--tcp` on both, the same numbered messages go over one TCP connection instead, and
//! nothing is lost: the sender waits ([`tcp_flood`]). [`protocol`] is the message format the
//! two share. `udp-bench` measures the UDP lesson's server and the counter.
//!
//! The experiment is not part of the lessons `udp-server` and `udp-client`: those stay the
//! notes' four steps, and this crate holds everything that only measures.

pub mod count;
pub mod flood;
pub mod protocol;
pub mod tcp_flood;

use std::fmt::Display;
use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{Context, Result, bail};

/// A receive buffer of 65,535 bytes holds any datagram, over IPv4 or IPv6.
pub const RECEIVE_BUFFER: usize = 65_535;

/// Resolves `addr` and refuses anything but a loopback address.
///
/// The flood sends as fast as the machine can, which on a shared network would hurt
/// everyone else on it (UDP has no congestion control to hold it back); the counter binds
/// loopback only, so no flood can reach it from elsewhere.
pub fn loopback_only(addr: &str) -> Result<SocketAddr> {
    let resolved = resolve(addr)?;
    if !resolved.ip().is_loopback() {
        bail!(
            "the experiment runs on loopback only (127.0.0.1 or [::1]), not {resolved}: the \
             flood sends as fast as it can, which would swamp a real network"
        );
    }
    Ok(resolved)
}

/// Turns `text` into one socket address (the first, if a name resolves to several).
pub fn resolve(text: &str) -> Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| format!("cannot use {text:?} as an address: give IP:PORT"))?
        .next()
        .with_context(|| format!("{text} did not resolve to any IP address"))
}

/// Whether an I/O error is an expired timeout: `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Prints one line of the server's log on stdout, ignoring a closed stdout.
///
/// Unlike `println!`, it does not panic when stdout is gone (say, piped into `head`): a
/// server must not crash because nobody reads its log. Every server of the workspace has
/// this same function, copied on purpose, so that each lesson reads on its own.
pub fn log(message: impl Display) {
    let _ = writeln!(io::stdout().lock(), "{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flood_refuses_addresses_off_this_machine() {
        assert!(loopback_only("127.0.0.1:8001").is_ok());
        assert!(loopback_only("[::1]:8001").is_ok());
        assert!(loopback_only("192.0.2.1:8001").is_err());
    }
}
