//! Saying a last line and closing: a refusal or failure must reach the sender, and a close
//! with unread bytes would send RST instead of FIN, which can cost the sender that line.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::protocol::{Answer, Outcome};

/// Before our `OK`: sends `error: <reason>` and closes; the sender sends no content.
pub(crate) fn refuse(stream: &TcpStream, reason: &str) {
    say_last_line(stream, &Answer::Refused(reason.to_owned()).to_line());
}

/// After our `OK`: sends `error: <reason>` and closes; the content we took is not stored.
pub(crate) fn fail(stream: &TcpStream, reason: &str) {
    say_last_line(stream, &Outcome::Failed(reason.to_owned()).to_line());
}

/// Before our `OK`: sends `busy: <reason>` and closes; the sender may try again later.
pub(crate) fn busy(stream: &TcpStream, reason: &str) {
    say_last_line(stream, &Answer::Busy(reason.to_owned()).to_line());
}

/// Tells a sender over the `--max-senders` cap that we are busy, without ever blocking the
/// accept loop: a short write timeout, and only what has already arrived is read away.
pub(crate) fn refuse_busy(stream: &TcpStream, max_senders: usize) {
    let reason = format!("already receiving {max_senders} files, try again later");
    busy_now(stream, &reason);
}

/// Tells a sender whose address has `--max-per-address` senders already that it must wait.
pub(crate) fn refuse_address(stream: &TcpStream, max: usize) {
    busy_now(
        stream,
        &format!("your address is sending {max} files already, try again later"),
    );
}

/// Sends `busy: <reason>` and closes, without ever blocking the accept loop.
fn busy_now(stream: &TcpStream, reason: &str) {
    let reason = reason.to_owned();
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = (&*stream).write_all(&Answer::Busy(reason).to_line());
    let _ = stream.shutdown(Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        // At most 64 reads (512 KiB): a sender that keeps pushing must not hold this loop.
        let mut sink = [0; 8 * 1024];
        for _ in 0..64 {
            if !matches!((&*stream).read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
    }
}

/// Writes a last line, sends FIN, and reads away what the sender already sent.
///
/// Closing a socket that still holds unread bytes makes the OS send RST instead of FIN. The
/// RST discards what is still in our send queue, and a Windows sender drops what it
/// received but had not read yet: either way our line can be lost. So: write, half-close,
/// then read and discard until the sender closes too, for at most a second.
fn say_last_line(stream: &TcpStream, line: &[u8]) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = (&*stream).write_all(line);
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(1);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut sink = [0; 8 * 1024];
    while Instant::now() < deadline {
        match (&*stream).read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}
