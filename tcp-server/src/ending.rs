//! Why a client's connection ended, in words for the log: a FIN, a reset, a deadline.
//! Each is a different TCP event, and telling them apart is half of debugging a server.

use std::io::{self, ErrorKind};
use std::time::Duration;

use crate::deadline::LineTooSlow;

/// Says in words why a client's connection ended with `error`.
pub fn why(error: &io::Error, idle_timeout: Duration) -> String {
    if let Some(slow) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<LineTooSlow>())
    {
        return slow.to_string(); // A line begun and never finished: a dripping client.
    }
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

/// The log's words for a client that closed its side: `read` returned 0.
pub const PEER_CLOSED: &str = "the peer closed the connection (read returned 0)";
