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
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = (&stream).write_all(
        format!("busy: the server is serving {max_clients} clients already; try again later\n")
            .as_bytes(),
    );
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
