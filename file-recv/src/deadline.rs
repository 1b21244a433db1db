//! Deadlines: a socket timeout bounds one `read`, not a whole message, so the announcement
//! gets one deadline of its own, and a trickling sender cannot hold a thread for ever.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The sender's side of the connection, read with a deadline for the announcement.
///
/// A sender trickling one byte every 0.9 s never lets a 1 s read timeout expire, and would
/// hold a thread for hours with an 8 KiB announcement. So the announcement has one deadline
/// for the whole line: before each read, the timeout is set to the time left. The content
/// then has the idle timeout per read: a slow sender that keeps sending is fine, a silent
/// one is dropped.
#[derive(Debug)]
pub(crate) struct Incoming<'a> {
    stream: &'a TcpStream,
    /// When the whole announcement must have arrived; `None` once it has.
    announce_by: Option<Instant>,
}

impl<'a> Incoming<'a> {
    /// Reads `stream`, the whole announcement due within `idle` from now.
    pub(crate) fn new(stream: &'a TcpStream, idle: Duration) -> Incoming<'a> {
        Incoming {
            stream,
            announce_by: Some(Instant::now() + idle),
        }
    }

    /// The announcement has arrived: from now on each read may wait up to `idle`.
    pub(crate) fn announced(&mut self, idle: Duration) -> io::Result<()> {
        self.announce_by = None;
        self.stream.set_read_timeout(Some(idle))
    }
}

impl Read for Incoming<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(deadline) = self.announce_by {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Checked here: `set_read_timeout` refuses a zero duration.
                return Err(ErrorKind::TimedOut.into());
            }
            self.stream.set_read_timeout(Some(left))?;
        }
        self.stream.read(buf)
    }
}
