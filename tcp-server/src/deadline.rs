//! A deadline for a whole line: a socket timeout bounds one `read`, so a client dripping a
//! byte just inside it would keep its thread and slot for ever.

use std::error::Error;
use std::fmt;
use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The client's side of the connection, read with one deadline per line.
///
/// Before each `read` the socket's timeout is set to the time left until the line is due,
/// so the line as a whole must arrive within the window, however the bytes trickle in.
#[derive(Debug)]
pub struct LineDeadline<'a> {
    stream: &'a TcpStream,
    window: Duration,
    due: Instant,
    /// Bytes of the current line received so far: a silent client and a dripping one end
    /// with different words in the log.
    received: usize,
}

impl<'a> LineDeadline<'a> {
    /// Reads `stream`, each line due within `window` of the call to [`next_line`](Self::next_line).
    pub fn new(stream: &'a TcpStream, window: Duration) -> LineDeadline<'a> {
        LineDeadline {
            stream,
            window,
            due: Instant::now() + window,
            received: 0,
        }
    }

    /// Starts the clock for the next line.
    pub fn next_line(&mut self) {
        self.due = Instant::now() + self.window;
        self.received = 0;
    }
}

impl Read for LineDeadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // Checked here: `set_read_timeout` refuses a zero duration.
            return Err(LineTooSlow::error(self.window));
        }
        self.stream.set_read_timeout(Some(left))?;
        match (&*self.stream).read(buf) {
            Ok(n) => {
                self.received += n;
                Ok(n)
            }
            // Unix reports an expired timeout as WouldBlock, Windows as TimedOut.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if self.received > 0 {
                    Err(LineTooSlow::error(self.window))
                } else {
                    Err(e) // Silent all along: an idle client, not a slow line.
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The error of a line that began but did not end within the window.
#[derive(Debug)]
pub struct LineTooSlow {
    /// The window the line had.
    pub window: Duration,
}

impl LineTooSlow {
    fn error(window: Duration) -> io::Error {
        io::Error::new(ErrorKind::TimedOut, LineTooSlow { window })
    }
}

impl fmt::Display for LineTooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out: no whole line within {} s (--idle-timeout)",
            self.window.as_secs()
        )
    }
}

impl Error for LineTooSlow {}
