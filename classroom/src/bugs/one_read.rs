//! Bug 3: taking one `read` as one message.
//!
//! TCP carries a stream of bytes and keeps no trace of where one `write` ended. A `read`
//! returns whatever has arrived: part of a message (it was cut into several segments, or
//! the reader was faster than the sender), or several messages glued together (they were
//! sent quickly, and all waited in the buffer). A protocol must mark where a message ends
//! (here: a newline) and the reader must collect bytes until it sees the mark.

use std::io::{self, BufRead, Read};

/// The longest message either function returns, in bytes: a message is held in memory
/// until its end arrives, so it must be bounded.
pub const MAX_MESSAGE: usize = 1024;

// ANCHOR: buggy
/// Reads the next message, a line of text. (Find the bug.)
pub fn read_message_buggy(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut buf = [0; MAX_MESSAGE];
    let n = reader.read(&mut buf)?;
    Ok(buf[..n].to_vec())
}
// ANCHOR_END: buggy

// ANCHOR: fixed
/// Reads the next message, a line of text, with its `\n`; `None` when the peer closed.
///
/// The reader must be the same `BufRead` for every call: bytes read past this message's
/// newline wait in its buffer, and they are the start of the next message.
pub fn read_message_fixed(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    // `take` bounds what one message may store; `read_until` calls `read` as often as it
    // takes to see the newline.
    let n = reader
        .by_ref()
        .take(MAX_MESSAGE as u64)
        .read_until(b'\n', &mut message)?;
    match n {
        0 => Ok(None), // The peer closed, and no message had begun.
        _ if message.ends_with(b"\n") => Ok(Some(message)),
        _ if n == MAX_MESSAGE => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a message longer than {MAX_MESSAGE} bytes"),
        )),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the peer closed in the middle of a message",
        )),
    }
}
// ANCHOR_END: fixed

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doubles::ChunkedReader;
    use std::io::{BufReader, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    // ANCHOR: test
    #[test]
    fn one_read_returns_part_of_a_message_when_it_arrives_in_pieces() {
        let mut buggy = ChunkedReader::new(b"hello\n", 2);
        assert_eq!(read_message_buggy(&mut buggy).expect("reads"), b"he");

        let mut fixed = BufReader::new(ChunkedReader::new(b"hello\n", 2));
        assert_eq!(
            read_message_fixed(&mut fixed).expect("reads"),
            Some(b"hello\n".to_vec())
        );
    }

    #[test]
    fn one_read_returns_two_messages_glued_when_both_have_arrived() {
        let mut buggy = ChunkedReader::new(b"one\ntwo\n", 100);
        assert_eq!(
            read_message_buggy(&mut buggy).expect("reads"),
            b"one\ntwo\n"
        );

        let mut fixed = BufReader::new(ChunkedReader::new(b"one\ntwo\n", 100));
        let first = read_message_fixed(&mut fixed).expect("reads");
        let second = read_message_fixed(&mut fixed).expect("reads");
        let end = read_message_fixed(&mut fixed).expect("reads");
        assert_eq!(
            (first, second, end),
            (Some(b"one\n".to_vec()), Some(b"two\n".to_vec()), None)
        );
    }
    // ANCHOR_END: test

    /// On a real connection: two `write`s, both arrived before the reader looks, one `read`.
    #[test]
    fn on_a_real_socket_two_writes_can_come_out_of_one_read() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let client = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (&client).write_all(b"one\n").expect("first write");
        (&client).write_all(b"two\n").expect("second write");
        client.shutdown(Shutdown::Write).expect("half-close");
        // Wait (bounded) until both writes are in the server's receive buffer.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut peek = [0; 16];
        while server.peek(&mut peek).expect("peek") < 8 {
            assert!(Instant::now() < deadline, "the 8 bytes never arrived");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            read_message_buggy(&mut &server).expect("reads"),
            b"one\ntwo\n"
        );
    }

    #[test]
    fn the_fixed_reader_reports_a_cut_message_and_bounds_a_long_one() {
        let mut cut = BufReader::new(ChunkedReader::new(b"hel", 1));
        let error = read_message_fixed(&mut cut).expect_err("cut in the middle");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);

        let endless = vec![b'a'; MAX_MESSAGE * 3];
        let mut long = BufReader::new(ChunkedReader::new(&endless, 100));
        let error = read_message_fixed(&mut long).expect_err("too long");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
