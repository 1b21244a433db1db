//! Stand-ins for a socket that make TCP's rare cases happen on every call.
//!
//! On loopback, with short messages, a `write` takes everything and a `read` returns what one
//! `write` sent: the buggy code passes every casual test. A real network (or a full buffer, or
//! a signal) is less kind, but not on demand. These doubles are: [`ShortWriter`] takes at
//! most a few bytes per `write`, [`ChunkedReader`] hands out a few bytes per `read`. Both are
//! allowed by the contracts of [`Write::write`] and [`Read::read`], which is the whole point.

use std::io::{self, Read, Write};

// ANCHOR: short_writer
/// A writer that accepts at most `max_per_call` bytes per `write`, as a socket with an almost
/// full send buffer does. Everything it accepted is kept in `written`.
#[derive(Debug, Default)]
pub struct ShortWriter {
    /// How many bytes one `write` call takes, at most.
    pub max_per_call: usize,
    /// Every byte accepted so far, in order.
    pub written: Vec<u8>,
}

impl Write for ShortWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max_per_call);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n) // Fewer than asked: legal, and the caller must look at it.
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
// ANCHOR_END: short_writer

// ANCHOR: chunked_reader
/// A reader that returns at most `chunk` bytes per `read`, as TCP may when a message was cut
/// into several segments, or arrives while the reader is already waiting.
#[derive(Debug)]
pub struct ChunkedReader {
    bytes: Vec<u8>,
    position: usize,
    chunk: usize,
}

impl ChunkedReader {
    /// A reader over `bytes` that hands them out `chunk` at a time (at least one).
    pub fn new(bytes: &[u8], chunk: usize) -> ChunkedReader {
        ChunkedReader {
            bytes: bytes.to_vec(),
            position: 0,
            chunk: chunk.max(1),
        }
    }
}

impl Read for ChunkedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.bytes[self.position..];
        let n = rest.len().min(self.chunk).min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.position += n;
        Ok(n) // 0 only at the end: like a socket whose peer sent FIN.
    }
}
// ANCHOR_END: chunked_reader

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_writer_takes_at_most_its_limit_per_call() {
        let mut writer = ShortWriter {
            max_per_call: 3,
            ..ShortWriter::default()
        };
        assert_eq!(writer.write(b"hello").expect("never fails"), 3);
        assert_eq!(writer.write(b"lo").expect("never fails"), 2);
        assert_eq!(writer.written, b"hello");
    }

    #[test]
    fn chunked_reader_returns_every_byte_in_pieces_then_zero() {
        let mut reader = ChunkedReader::new(b"hello", 2);
        let mut buf = [0; 16];
        let pieces: Vec<usize> = (0..4)
            .map(|_| reader.read(&mut buf).expect("never fails"))
            .collect();
        assert_eq!(pieces, [2, 2, 1, 0]);
    }
}
