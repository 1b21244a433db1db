//! The server's log line about one datagram and its reply.
//!
//! It shows sizes and the sender's address, never the datagram's bytes: text a peer sent
//! does not reach the terminal.

use std::io;
use std::net::SocketAddr;

/// One log line about one datagram and its reply.
pub fn datagram(
    peer: SocketAddr,
    kept: usize,
    truncated: bool,
    buffer_size: usize,
    sent: &io::Result<usize>,
) -> String {
    let received = if truncated {
        format!(
            "more than {buffer_size} bytes (truncated: the buffer holds {buffer_size}, \
             the OS threw the rest away)"
        )
    } else {
        format!("{kept} bytes")
    };
    match sent {
        Ok(n) => format!("{peer}: received {received}, replied {n} bytes"),
        Err(error) => format!("{peer}: received {received}, reply failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_datagram_says_so() {
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        let line = datagram(peer, 8, true, 8, &Ok(8));
        assert!(line.contains("more than 8 bytes (truncated"), "{line}");
        assert_eq!(
            datagram(peer, 5, false, 8, &Ok(5)),
            "127.0.0.1:9: received 5 bytes, replied 5 bytes"
        );
    }
}
