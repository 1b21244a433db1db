//! Reading the handshake from a byte stream under one deadline, and refusing a client
//! without destroying the refusal: the machinery under steps 3 to 7.

use std::fmt::{self, Display};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

use crate::relay::is_timeout;
use crate::wire::{self, WireError};

/// How long a failure reply is given to reach the client before the socket is closed.
pub const LINGER: Duration = Duration::from_secs(1);

/// The address sent in failure replies: the field is required, and nothing is bound.
pub(crate) const UNSPECIFIED: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// Why the handshake stopped.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// The bytes can never become a valid message: the caller replies with the right code.
    Wire(WireError),
    /// The client closed before finishing its message.
    Closed,
    /// The whole-handshake deadline passed.
    TimedOut(Duration),
    Io(io::Error),
}

impl Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Wire(error) => write!(f, "{error}"),
            HandshakeError::Closed => write!(f, "the client closed in the middle of the handshake"),
            HandshakeError::TimedOut(limit) => write!(
                f,
                "the handshake took longer than {} s (--handshake-timeout)",
                limit.as_secs()
            ),
            HandshakeError::Io(error) => write!(f, "I/O error during the handshake: {error}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

// ANCHOR: handshake
/// The handshake's reading side: the bytes received but not yet used, and a deadline for
/// the whole handshake (not per read: a client trickling one byte a second must not last).
pub(crate) struct Handshake<'a> {
    pub(crate) client: &'a TcpStream,
    pub(crate) peer: SocketAddr,
    received: Vec<u8>,
    started: Instant,
    limit: Duration,
}

impl<'a> Handshake<'a> {
    pub(crate) fn new(client: &'a TcpStream, limit: Duration) -> io::Result<Handshake<'a>> {
        client.set_write_timeout(Some(limit))?;
        Ok(Handshake {
            client,
            peer: crate::dual_stack::peer_addr(client)?,
            received: Vec::new(),
            started: Instant::now(),
            limit,
        })
    }

    /// Reads until `parse` finds a whole message at the start of the received bytes.
    ///
    /// The buffer stays small: each parser decides within its message's maximum size, so
    /// it holds at most that plus one read.
    pub(crate) fn read<T>(
        &mut self,
        parse: impl Fn(&[u8]) -> wire::Parsed<T>,
    ) -> Result<T, HandshakeError> {
        let mut chunk = [0; 512];
        loop {
            match parse(&self.received) {
                Ok((message, used)) => {
                    self.received.drain(..used);
                    return Ok(message);
                }
                Err(WireError::Incomplete) => {}
                Err(error) => return Err(HandshakeError::Wire(error)),
            }
            let left = self.limit.saturating_sub(self.started.elapsed());
            if left.is_zero() {
                return Err(HandshakeError::TimedOut(self.limit));
            }
            self.client
                .set_read_timeout(Some(left))
                .map_err(HandshakeError::Io)?;
            match (&*self.client).read(&mut chunk) {
                Ok(0) => return Err(HandshakeError::Closed), // FIN before a whole message.
                Ok(n) => self.received.extend_from_slice(&chunk[..n]),
                Err(error) if is_timeout(&error) => {
                    return Err(HandshakeError::TimedOut(self.limit));
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(HandshakeError::Io(error)),
            }
        }
    }

    /// What is left of the whole handshake's time.
    pub(crate) fn time_left(&self) -> Duration {
        self.limit.saturating_sub(self.started.elapsed())
    }

    /// Sends one message of the handshake: all of it (`write_all`, never a bare `write`).
    pub(crate) fn send(&self, message: &[u8]) -> io::Result<()> {
        (&*self.client).write_all(message)
    }

    /// The bytes the client sent after its request: the beginning of its data.
    pub(crate) fn into_leftover(self) -> Vec<u8> {
        self.received
    }
}
// ANCHOR_END: handshake

// ANCHOR: refuse
/// Sends a failure reply, then closes in a way that does not destroy it.
pub(crate) fn refuse(client: &TcpStream, reply: &[u8]) {
    let _ = client.set_write_timeout(Some(LINGER));
    let _ = (&*client).write_all(reply);
    close_gently(client);
}

/// Closes after our last bytes: FIN first, then wait (briefly) for the client's FIN.
///
/// Closing a socket while bytes from the peer sit unread in its receive buffer makes the
/// kernel send RST instead of FIN. Our kernel then discards what it has not sent yet of the
/// reply, and a Windows client discards what it received but has not read: either way the
/// client sees "connection reset" instead of the reason. So read and discard until the
/// client closes too, for at most [`LINGER`] and a bounded number of bytes.
pub(crate) fn close_gently(client: &TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0; 4096];
    let mut discarded = 0;
    while discarded < 64 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || client.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*client).read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
}
// ANCHOR_END: refuse
