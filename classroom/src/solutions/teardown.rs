//! Solutions for "The four-way teardown" (the `tcp-states` lab).
//!
//! * Exercise 3: a peer that "forgets" to close. [`serve_and_forget_to_close`] is the
//!   leak the chapter warns about: it reads to the end and keeps the stream. Its end stays
//!   in `CLOSE_WAIT` and the closer's in `FIN_WAIT_2` for as long as it holds the stream.
//! * Exercise 1: whichever end closes first keeps the `TIME_WAIT`, on its own port
//!   (the tests show it from both sides).
//!
//! The states are read from the kernel's table, so the tests run on Linux only.

use std::io::{self, Read};
use std::net::TcpStream;

// ANCHOR: forget
/// Reads everything the client sends, then returns the stream instead of dropping it, as a
/// server does that keeps its connections in a map and forgets to remove the finished ones.
pub fn serve_and_forget_to_close(mut stream: TcpStream) -> io::Result<(Vec<u8>, TcpStream)> {
    let mut request = Vec::new();
    stream.read_to_end(&mut request)?; // Returns at the client's FIN.
    Ok((request, stream)) // Not dropped: no FIN goes back, the end stays in CLOSE_WAIT.
}
// ANCHOR_END: forget

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::solutions::watching_states::state_of;
    use std::io::Write;
    use std::net::{Shutdown, SocketAddr, TcpListener};
    use std::thread;
    use std::time::{Duration, Instant};

    /// Waits (at most 5 s) until the kernel lists the end `local → remote` in `state`
    /// (`None`: until it is gone from the table).
    fn wait_for_state(
        local: SocketAddr,
        remote: SocketAddr,
        state: impl Into<Option<&'static str>>,
    ) {
        let state = state.into();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = state_of(local, remote).expect("/proc/net/tcp is readable");
            if now == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{local} → {remote} is {now:?}, not {state:?}"
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let client = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (client, server)
    }

    // ANCHOR: test_forget
    #[test]
    fn a_peer_that_keeps_the_stream_stays_in_close_wait_until_it_drops_it() {
        let (client, server) = connected_pair();
        let (c, s) = (
            client.local_addr().expect("a"),
            server.local_addr().expect("a"),
        );
        (&client).write_all(b"request").expect("send");
        client.shutdown(Shutdown::Write).expect("the client's FIN");
        let (request, kept) = serve_and_forget_to_close(server).expect("read to the end");
        assert_eq!(request, b"request");

        wait_for_state(s, c, "CLOSE_WAIT"); // the server's end: our program must close
        wait_for_state(c, s, "FIN_WAIT_2"); // the client's end: waiting for that FIN
        drop(kept); // At last: the server's FIN.
        wait_for_state(c, s, "TIME_WAIT");
    }
    // ANCHOR_END: test_forget

    #[test]
    fn the_end_that_closes_first_keeps_the_time_wait_on_its_own_port() {
        for server_closes_first in [false, true] {
            let (client, server) = connected_pair();
            let (c, s) = (
                client.local_addr().expect("a"),
                server.local_addr().expect("a"),
            );
            let (first, second) = if server_closes_first {
                (server, client)
            } else {
                (client, server)
            };
            let (first_end, second_end) = if server_closes_first { (s, c) } else { (c, s) };
            first.shutdown(Shutdown::Write).expect("the first FIN");
            let mut rest = Vec::new();
            (&second)
                .read_to_end(&mut rest)
                .expect("read returns 0 at the FIN");
            drop(second); // The second FIN.
            wait_for_state(first_end, second_end, "TIME_WAIT");
            wait_for_state(second_end, first_end, None); // LAST_ACK, then gone
            drop(first);
        }
    }
}
