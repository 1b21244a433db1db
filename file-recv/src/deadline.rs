//! Deadlines: a socket timeout bounds one `read`, not a whole message, so the announcement
//! gets one deadline of its own, and the content a minimum progress: a trickling sender
//! cannot hold a thread (and a place) for ever.

use std::error::Error;
use std::fmt;
use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The least a sender must deliver, in bytes per second, averaged over each window of
/// `--idle-timeout` seconds (or the rest of the file, if that is less).
///
/// 1 KiB/s is 8 kbit/s, slower than any link still in use: only a sender stalling on
/// purpose, or one whose network is as good as gone, falls below it.
pub const MIN_RATE: u64 = 1024;

/// The sender's side of the connection, read with a deadline for the announcement and then
/// a minimum progress for the content.
///
/// A sender trickling one byte every 0.9 s never lets a 1 s read timeout expire, and would
/// hold a thread for hours with an 8 KiB announcement or for ever with a large file. So
/// the announcement has one deadline for the whole line: before each read, the timeout is
/// set to the time left. The content is then watched window by window: each window of
/// `--idle-timeout` must bring [`MIN_RATE`] bytes per second of it (or the rest of the file).
#[derive(Debug)]
pub(crate) struct Incoming<'a> {
    stream: &'a TcpStream,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// When the whole announcement must have arrived.
    Announcing(Instant),
    /// Receiving the content: the current window and what it must bring.
    Content {
        window: Duration,
        /// Bytes of content still owed when this window began (an upper bound: bytes the
        /// announcement's read already brought are not counted).
        owed: u64,
        started: Instant,
        got: u64,
    },
    /// Past the content: each read may wait the idle timeout.
    Done,
}

impl<'a> Incoming<'a> {
    /// Reads `stream`, the whole announcement due within `idle` from now.
    pub(crate) fn new(stream: &'a TcpStream, idle: Duration) -> Incoming<'a> {
        Incoming {
            stream,
            stage: Stage::Announcing(Instant::now() + idle),
        }
    }

    /// The announcement has arrived: from now on each window of `idle` must bring its share
    /// of the `size` bytes of content.
    pub(crate) fn announced(&mut self, idle: Duration, size: u64) {
        self.stage = Stage::Content {
            window: idle,
            owed: size,
            started: Instant::now(),
            got: 0,
        };
    }

    /// The content has arrived: the reads that follow (waiting for FIN) wait up to `idle`.
    pub(crate) fn content_received(&mut self, idle: Duration) -> io::Result<()> {
        self.stage = Stage::Done;
        self.stream.set_read_timeout(Some(idle))
    }

    /// The time the next read may wait, or the error that ends the transfer now.
    fn time_left(&mut self) -> io::Result<Duration> {
        let now = Instant::now();
        match &mut self.stage {
            Stage::Announcing(due) => Ok(due.saturating_duration_since(now)),
            Stage::Content {
                window,
                owed,
                started,
                got,
            } => {
                if now.duration_since(*started) >= *window {
                    let needed = MIN_RATE.saturating_mul(window.as_secs()).min(*owed);
                    if *got == 0 && needed > 0 {
                        // Silent for a whole window: stalled, as a read timeout says it.
                        return Err(ErrorKind::TimedOut.into());
                    }
                    if *got < needed {
                        return Err(io::Error::new(
                            ErrorKind::TimedOut,
                            TooSlow {
                                got: *got,
                                window: *window,
                            },
                        ));
                    }
                    *owed -= *got;
                    *started = now;
                    *got = 0;
                }
                Ok(window.saturating_sub(now.duration_since(*started)))
            }
            Stage::Done => Ok(Duration::MAX),
        }
    }
}

impl Read for Incoming<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.time_left()?;
        if left.is_zero() {
            // Checked here: `set_read_timeout` refuses a zero duration.
            return Err(ErrorKind::TimedOut.into());
        }
        if left != Duration::MAX {
            self.stream.set_read_timeout(Some(left))?;
        }
        let result = (&*self.stream).read(buf);
        match (&mut self.stage, &result) {
            (Stage::Content { got, .. }, Ok(n)) => *got += *n as u64,
            // A window that ended in silence: the sender owed bytes and sent too few.
            (Stage::Content { .. }, Err(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                return self.time_left().and(result);
            }
            _ => {}
        }
        result
    }
}

/// The error of a sender slower than [`MIN_RATE`] over a whole window.
#[derive(Debug)]
pub(crate) struct TooSlow {
    got: u64,
    window: Duration,
}

impl fmt::Display for TooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.window.as_secs();
        write!(
            f,
            "{} bytes in {secs} s, less than the minimum of {MIN_RATE} bytes per second \
             (--idle-timeout is the window)",
            self.got
        )
    }
}

impl Error for TooSlow {}
