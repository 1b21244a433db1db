//! Receive errors that are news about one client, not a reason to stop serving everyone.
//!
//! The server's one socket serves every client, so an error from `recv_from` that concerns
//! a single client must not end the loop. Linux and macOS report neither case below on an
//! unconnected socket; Windows reports both, which is why the notes' server (whose `?`
//! ends at the first error) dies there when one client goes away.

use std::io::{self, ErrorKind};

/// Whether a receive error only means "an earlier datagram's peer has gone away" (or a
/// signal interrupted the wait).
///
/// Windows turns the ICMP "port unreachable" that an earlier reply caused into a "reset"
/// (WSAECONNRESET) on the next receive. Linux tells an unconnected socket only if it asked
/// for it with the `IP_RECVERR` option, which std does not set.
pub fn is_peer_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused | ErrorKind::Interrupted
    )
}

/// Whether a receive error is Windows' way of saying "that datagram was longer than your
/// buffer" (WSAEMSGSIZE, os error 10040). Linux and macOS cut the datagram off silently.
/// std then returns the error alone: the sender's address is lost with the datagram.
pub fn is_too_long_for_the_buffer(error: &io::Error) -> bool {
    /// WSAEMSGSIZE: "a message sent on a datagram socket was larger than the buffer".
    const WSAEMSGSIZE: i32 = 10040;
    cfg!(windows) && error.raw_os_error() == Some(WSAEMSGSIZE)
}

/// The log line for a datagram Windows cut off: it does not say who sent it.
pub fn cut_off_unknown_sender(buffer_size: usize, error: &io::Error) -> String {
    format!(
        "a datagram longer than the buffer ({buffer_size} bytes) was cut off; the error \
         does not say who sent it, so it gets no reply ({error})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_windows_reports_a_datagram_too_long_for_the_buffer_as_an_error() {
        // Elsewhere 10040 means nothing special, and the error stops the server as any other.
        let error = io::Error::from_raw_os_error(10040);
        assert_eq!(is_too_long_for_the_buffer(&error), cfg!(windows));
    }

    #[test]
    fn a_vanished_peer_is_not_a_reason_to_stop() {
        assert!(is_peer_gone(&ErrorKind::ConnectionReset.into()));
        assert!(!is_peer_gone(&ErrorKind::PermissionDenied.into()));
    }
}
