//! BIND's wait for the target's connection: std's `accept` has no timeout, so the wait
//! polls, gives up at the deadline, stops when the client leaves, and closes connections
//! from any host but the expected one.

use std::io::ErrorKind;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::handshake::UNSPECIFIED;
use crate::log;

/// How often a BIND looks for the target's connection while it waits.
pub const BIND_POLL: Duration = Duration::from_millis(50);

/// Waits on `listener` for a connection from one of `expected`, for at most `limit`, and
/// only while the client is still there.
pub(crate) fn accept_from(
    listener: &TcpListener,
    expected: &[IpAddr],
    client: &TcpStream,
    limit: Duration,
) -> Result<TcpStream, String> {
    // `accept` has no timeout in std, so poll: a non-blocking accept, then a look at the
    // client (if it has gone, nobody wants the connection any more), then a short nap.
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("could not poll the listener: {e}"))?;
    let deadline = Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((incoming, peer)) if expected.contains(&peer.ip().to_canonical()) => {
                // Some systems pass the listener's non-blocking mode on to accepted sockets.
                incoming
                    .set_nonblocking(false)
                    .map_err(|e| format!("could not use the connection: {e}"))?;
                return Ok(incoming);
            }
            Ok((stray, peer)) => {
                log(format_args!(
                    "BIND on {}: closed a connection from {peer}, not the expected host",
                    listener.local_addr().unwrap_or(UNSPECIFIED)
                ));
                drop(stray);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => return Err(format!("accept failed: {error}")),
        }
        if client_left(client) {
            return Err("the client closed its connection while waiting".to_owned());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "nobody connected within {} s (--idle-timeout)",
                limit.as_secs()
            ));
        }
        thread::sleep(BIND_POLL);
    }
}

/// Whether the client has closed (or reset) its connection, without waiting or reading.
fn client_left(client: &TcpStream) -> bool {
    if client.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0];
    let left = match client.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false, // Early data for the relay: the client is very much there.
        Err(error) => error.kind() != ErrorKind::WouldBlock,
    };
    let _ = client.set_nonblocking(false);
    left
}
