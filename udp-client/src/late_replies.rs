//! Replies that come after their timeout: thrown away before the next message is sent.
//!
//! This protocol has no request numbers, so a late reply cannot be matched to its message:
//! left in the queue, it would be taken for the next message's reply. Real protocols (DNS,
//! QUIC) put an identifier in each request for exactly this reason.

use std::io::{self, ErrorKind, Write};
use std::net::UdpSocket;

use anyhow::Result;

use crate::advice;

/// Throws away replies that are already waiting: they answer earlier, timed-out messages.
pub fn discard(socket: &UdpSocket, buffer: &mut [u8]) -> Result<()> {
    let server = socket.peer_addr()?;
    socket.set_nonblocking(true)?;
    let drained = loop {
        match socket.recv(buffer) {
            Ok(len) => {
                let _ = writeln!(
                    io::stderr(),
                    "note: ignored a late reply ({len} bytes) to an earlier message"
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
            Err(e) => break Err(advice::explain(e, server)),
        }
    };
    socket.set_nonblocking(false)?;
    drained
}
