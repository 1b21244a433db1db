//! Solutions for "The three-way handshake".
//!
//! * Exercise 3: fill the accept queue. A listener that never calls `accept` still
//!   completes handshakes, until its queue is full; then Linux drops new SYNs, and the
//!   clients wait in `SYN_SENT`. [`fill_accept_queue`] counts who got in. The exercise
//!   uses std's backlog of 128 and 200 clients; the solution takes a backlog of its own
//!   (with `socket2`, as std's `bind` has no parameter for it), so the test needs only a
//!   handful of connections.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// What happened to the clients of a listener that never accepts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct QueueFill {
    /// Clients whose `connect` returned: the kernel finished their handshake.
    pub connected: usize,
    /// Clients whose `connect` gave up: their SYN was dropped.
    pub timed_out: usize,
}

// ANCHOR: listen_with_backlog
/// A loopback listener on a free port with an accept queue of `backlog` connections.
pub fn listen_with_backlog(backlog: i32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    socket.listen(backlog)?; // std's `TcpListener::bind` always asks for 128
    Ok(socket.into())
}
// ANCHOR_END: listen_with_backlog

// ANCHOR: fill
/// Connects `clients` times, one after the other, to `listener`, which never accepts, each
/// connect bounded by `timeout`. Returns who got in, and keeps the connections open while it
/// counts (a closed one would leave the queue).
pub fn fill_accept_queue(
    listener: &TcpListener,
    clients: usize,
    timeout: Duration,
) -> io::Result<QueueFill> {
    let address = listener.local_addr()?;
    let mut fill = QueueFill::default();
    let mut open = Vec::new();
    for _ in 0..clients {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => {
                fill.connected += 1;
                open.push(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => fill.timed_out += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(fill)
}
// ANCHOR_END: fill

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: test
    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_that_never_accepts_takes_backlog_plus_one_then_drops_syns() {
        let listener = listen_with_backlog(2).expect("listen on loopback");
        let fill = fill_accept_queue(&listener, 5, Duration::from_millis(300)).expect("connects");
        // Linux counts "full" as "more than the backlog": backlog + 1 fit in the queue.
        assert_eq!(
            fill,
            QueueFill {
                connected: 3,
                timed_out: 2
            }
        );
    }
    // ANCHOR_END: test

    #[test]
    fn the_queued_connections_are_there_to_accept_later() {
        let listener = listen_with_backlog(2).expect("listen on loopback");
        let fill = fill_accept_queue(&listener, 2, Duration::from_secs(5)).expect("connects");
        assert_eq!(fill.connected, 2);
        // The clients' connections were closed when `fill_accept_queue` returned, but they
        // are still in the queue: `accept` hands them out, already finished.
        for _ in 0..2 {
            common::testing::accept(&listener); // bounded by STEP_TIMEOUT
        }
    }
}
