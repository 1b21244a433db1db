//! Solutions for "UDP: a server and a client" (crates `udp-server` and `udp-client`).
//!
//! * Exercise 1: request numbers. Every request starts with a 4-byte number that the
//!   server copies into its reply ([`answer_one`]); the client ([`NumberedClient`]) throws
//!   away every reply whose number is not the one it waits for. A late reply to an earlier
//!   request can then never be taken for the answer to the current one. DNS does the same
//!   with its 16-bit query id. Without the numbers, as in the notes' client and
//!   `udp-client`, the same slow server's late reply *is* taken for the current one (the
//!   last test shows it).

use std::io::{self, ErrorKind};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// The size of the request number at the start of every datagram, big-endian.
pub const NUMBER_LEN: usize = 4;

// ANCHOR: server
/// Answers one request on `socket`: the same number, then the payload upper-cased.
pub fn answer_one(socket: &UdpSocket) -> io::Result<()> {
    let mut buf = [0; 65_535];
    let (n, peer) = socket.recv_from(&mut buf)?;
    let Some((number, payload)) = buf[..n].split_at_checked(NUMBER_LEN) else {
        return Ok(()); // Too short to carry a number: not our protocol; no reply.
    };
    let mut reply = number.to_vec(); // The number goes back untouched.
    reply.extend(payload.to_ascii_uppercase());
    socket.send_to(&reply, peer)?;
    Ok(())
}
// ANCHOR_END: server

// ANCHOR: client
/// A UDP client that numbers its requests and accepts only the reply with the right number.
#[derive(Debug)]
pub struct NumberedClient {
    socket: UdpSocket,
    next: u32,
    /// Replies thrown away so far because their number was not the awaited one.
    pub discarded: usize,
}

impl NumberedClient {
    /// A client on `socket`, which must already be connected to the server.
    pub fn new(socket: UdpSocket) -> NumberedClient {
        NumberedClient {
            socket,
            next: 1,
            discarded: 0,
        }
    }

    /// Sends `payload` under a new number and waits up to `timeout` for *its* reply.
    pub fn request(&mut self, payload: &[u8], timeout: Duration) -> io::Result<Vec<u8>> {
        let number = self.next.to_be_bytes();
        self.next = self.next.wrapping_add(1);
        let mut datagram = number.to_vec();
        datagram.extend_from_slice(payload);
        self.socket.send(&datagram)?;

        let deadline = Instant::now() + timeout;
        let mut buf = [0; 65_535];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "no reply with our number",
                ));
            }
            self.socket.set_read_timeout(Some(left))?;
            let n = match self.socket.recv(&mut buf) {
                Ok(n) => n,
                // Unix says WouldBlock when a read timeout expires, Windows TimedOut.
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue; // The loop's deadline check decides.
                }
                Err(e) => return Err(e),
            };
            match buf[..n].split_at_checked(NUMBER_LEN) {
                Some((got, reply)) if got == number => return Ok(reply.to_vec()),
                _ => self.discarded += 1, // A late reply to an earlier request, or junk.
            }
        }
    }
}
// ANCHOR_END: client

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// A server socket and a client socket connected to it, both on loopback port 0.
    fn pair() -> (UdpSocket, UdpSocket) {
        let server = UdpSocket::bind("127.0.0.1:0").expect("bind the server");
        server.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        let client = UdpSocket::bind("127.0.0.1:0").expect("bind the client");
        client
            .connect(server.local_addr().expect("address"))
            .expect("connect");
        (server, client)
    }

    #[test]
    fn the_server_echoes_the_number_and_upper_cases_the_rest() {
        let (server, client) = pair();
        let answering = thread::spawn(move || answer_one(&server));
        let mut client = NumberedClient::new(client);
        assert_eq!(
            client.request(b"hello", TIMEOUT).expect("a reply"),
            b"HELLO"
        );
        answering.join().expect("no panic").expect("answered");
        assert_eq!(client.discarded, 0);
    }

    // ANCHOR: test
    #[test]
    fn a_late_reply_to_an_earlier_request_is_never_taken_for_the_current_one() {
        let (server, client) = pair();
        // A slow server: it answers request 1 only once request 2 has arrived, too late.
        let slow = thread::spawn(move || -> io::Result<()> {
            let mut buf = [0; 64];
            let (n1, peer) = server.recv_from(&mut buf)?;
            let first = buf[..n1].to_vec();
            let (n2, _) = server.recv_from(&mut buf)?;
            let second = buf[..n2].to_vec();
            server.send_to(&[&first[..NUMBER_LEN], b"ONE"].concat(), peer)?;
            server.send_to(&[&second[..NUMBER_LEN], b"TWO"].concat(), peer)?;
            Ok(())
        });
        let mut client = NumberedClient::new(client);
        let error = client
            .request(b"one", Duration::from_millis(100))
            .expect_err("too slow");
        assert_eq!(error.kind(), ErrorKind::TimedOut);
        // The reply to "one" arrives first, while we wait for "two": it is thrown away.
        assert_eq!(client.request(b"two", TIMEOUT).expect("a reply"), b"TWO");
        assert_eq!(client.discarded, 1);
        slow.join().expect("no panic").expect("the slow server ran");
    }
    // ANCHOR_END: test

    #[test]
    fn without_numbers_the_late_reply_is_taken_for_the_current_one() {
        // The same slow server, and a client that just sends and receives, as the notes'
        // client does (with a timeout added): "two" gets the answer to "one".
        let (server, client) = pair();
        let slow = thread::spawn(move || -> io::Result<()> {
            let mut buf = [0; 64];
            let (n1, peer) = server.recv_from(&mut buf)?;
            let first = buf[..n1].to_ascii_uppercase();
            server.recv_from(&mut buf)?;
            server.send_to(&first, peer)?;
            Ok(())
        });
        client
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        let mut buf = [0; 64];
        client.send(b"one").expect("send");
        assert!(client.recv(&mut buf).is_err(), "the first reply is late");
        client.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        client.send(b"two").expect("send");
        let n = client.recv(&mut buf).expect("a reply");
        assert_eq!(
            &buf[..n],
            b"ONE",
            "the late reply was taken for the second one"
        );
        slow.join().expect("no panic").expect("the slow server ran");
    }
}
