//! Turning away a client over the cap: it gets one `busy:` line and a clean close, instead
//! of a connection that the kernel completed and nobody will ever serve.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

// ANCHOR: refuse
/// Tells a client over the cap that the server is busy, then closes.
///
/// This runs on the accept loop, so nothing here may block for long.
pub fn refuse(stream: TcpStream, max_clients: usize) {
    let line =
        format!("busy: the server is serving {max_clients} clients already; try again later\n");
    say_and_close(stream, &line);
}

/// Writes `line`, sends FIN, and reads away what the client sent, without blocking for long.
fn say_and_close(stream: TcpStream, line: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = (&stream).write_all(line.as_bytes());
    // Send FIN after the line, then throw away anything the client already sent: closing a
    // socket with unread data makes the OS send RST, which can destroy our line in transit.
    let _ = stream.shutdown(Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0; 1024];
        // A few reads at most: a client that keeps sending must not hold up the accept loop.
        for _ in 0..8 {
            if !matches!((&stream).read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
    }
}
// ANCHOR_END: refuse

/// Tells a client whose address has `--max-per-address` clients already that it must wait.
pub fn refuse_address(stream: TcpStream, max: usize) {
    let line = format!("busy: your address has {max} clients here already; try again later\n");
    say_and_close(stream, &line);
}
