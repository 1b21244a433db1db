//! Bug 1: a bare `write` whose count is ignored.
//!
//! [`Write::write`] may take fewer bytes than it was given and says how many it took. On
//! loopback, with short replies and a reader that keeps up, it always takes everything, so
//! the bug survives every demo. A send buffer that is nearly full (a slow reader, a big
//! reply) makes it take part, and the rest is silently never sent.

use std::io::{self, Write};

// Clippy recognises this bug (`unused_io_amount`, denied by default): the buggy version
// has to silence it to compile here. Outside the anchor, so the book does not give it away.
#[expect(clippy::unused_io_amount, reason = "the bug this module teaches")]
// ANCHOR: buggy
/// Sends one reply. (Find the bug.)
pub fn send_reply_buggy(writer: &mut impl Write, reply: &[u8]) -> io::Result<()> {
    writer.write(reply)?;
    Ok(())
}
// ANCHOR_END: buggy

// ANCHOR: fixed
/// Sends one reply, all of it: `write_all` calls `write` until every byte is taken.
pub fn send_reply_fixed(writer: &mut impl Write, reply: &[u8]) -> io::Result<()> {
    writer.write_all(reply)
}
// ANCHOR_END: fixed

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doubles::ShortWriter;
    use std::io::ErrorKind;
    use std::net::{TcpListener, TcpStream};

    // ANCHOR: test
    #[test]
    fn a_bare_write_loses_what_the_writer_did_not_take() {
        let mut buggy = ShortWriter {
            max_per_call: 3,
            ..ShortWriter::default()
        };
        send_reply_buggy(&mut buggy, b"HELLO\n").expect("ShortWriter never fails");
        assert_eq!(
            buggy.written, b"HEL",
            "only the first write's bytes were sent"
        );

        let mut fixed = ShortWriter {
            max_per_call: 3,
            ..ShortWriter::default()
        };
        send_reply_fixed(&mut fixed, b"HELLO\n").expect("ShortWriter never fails");
        assert_eq!(fixed.written, b"HELLO\n");
    }
    // ANCHOR_END: test

    /// The same on a real socket: a peer that does not read fills both kernel buffers, and
    /// then one non-blocking `write` of 64 MiB takes only what still fits. (Unix only:
    /// Windows may buffer a whole non-blocking send beyond `SO_SNDBUF`.)
    #[cfg(unix)]
    #[test]
    fn a_real_socket_takes_part_of_a_big_write() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let writer = TcpStream::connect(listener.local_addr().expect("bound address"))
            .expect("connect on loopback");
        let (_reader, _) = listener.accept().expect("accept the connection"); // never reads
        writer.set_nonblocking(true).expect("non-blocking");
        let big = vec![b'x'; 64 * 1024 * 1024]; // more than any default buffers hold
        let taken = match (&writer).write(&big) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(e) => panic!("write failed: {e}"),
        };
        assert!(
            taken < big.len(),
            "write took {taken} of {} bytes: a caller ignoring the count loses the rest",
            big.len()
        );
    }
}
