//! The check's own end of a TCP connection, shared by the lessons whose student program
//! dials: waiting for it to connect while it may still die first, and telling a timeout
//! from a closed connection.

use std::io::{self, ErrorKind};
use std::net::{TcpListener, TcpStream};
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Running;

/// How the wait for a program under check to connect ended.
#[derive(Debug)]
pub enum Arrival {
    /// It connected: the check's end of the connection, blocking again.
    Connected(TcpStream),
    /// `accept` itself failed: the check's trouble, not the program's.
    Failed(io::Error),
    /// The program ended without connecting.
    Ended(ExitStatus),
    /// It was still running, unconnected, when the time was up.
    Late,
}

/// Waits up to `timeout` for `program` to connect to `listener`, noticing at once when it
/// ends instead (a `todo!()`, an error) rather than waiting the whole time for it.
pub fn arrival(
    listener: &TcpListener,
    program: &mut Running,
    timeout: Duration,
) -> Result<Arrival> {
    // Non-blocking, so the loop can also watch the program.
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false)?;
                return Ok(Arrival::Connected(conn));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Ok(Arrival::Failed(e)),
        }
        if let Ok(status) = program.wait_exit(Duration::ZERO) {
            return Ok(Arrival::Ended(status));
        }
        if Instant::now() >= deadline {
            return Ok(Arrival::Late);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a read or write error is a timeout (WouldBlock on Unix, TimedOut on Windows),
/// not a closed connection.
pub fn quiet(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
