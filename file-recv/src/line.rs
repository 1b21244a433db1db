//! Reading one line from a TCP stream, with a bound on how much of it is kept in memory.
//!
//! TCP delivers bytes, not messages: one `read` may return half a line, or a line and the
//! first bytes of the next. A line protocol therefore reads until `\n`, and a server that
//! does so must bound the line, or one peer sending an endless line could fill the memory.
//!
//! The same file is in `tcp-server` and `file-recv`, copied on purpose so that each lesson
//! reads on its own; a test in `testkit` checks that the copies stay identical.

use std::io::{self, BufRead, Read};

/// The longest line read, in bytes, not counting the line ending (`\n` or `\r\n`).
///
/// Far longer than anyone types, or than `FILE <size> <name>` with a name of 255 bytes
/// (the limit of most file systems), and small enough that a thread per peer can hold one.
pub const MAX_LINE: usize = 8 * 1024;

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The peer closed its side (a FIN: `read` returned 0) before the line began.
    End,
    /// A line, ending in `\n`; the buffer holds it with its line ending.
    Complete,
    /// The peer closed in the middle of a line: the buffer holds what came, without `\n`.
    Cut,
    /// A line longer than [`MAX_LINE`]: it was read to its end and thrown away, not stored.
    TooLong,
}

// ANCHOR: read_line
/// Reads one line into `line` (cleared first), keeping at most [`MAX_LINE`] bytes of it.
///
/// Bytes after the `\n` stay in the reader's buffer for the next call, so however TCP cut
/// the stream into pieces, no byte is lost or taken for part of the line.
pub fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Line> {
    line.clear();
    // `take` bounds what `read_until` may store: the line plus a "\r\n" ending.
    let limit = MAX_LINE as u64 + 2;
    let n = reader.by_ref().take(limit).read_until(b'\n', line)?;
    if n == 0 {
        return Ok(Line::End); // `read` returned 0: the peer sent FIN.
    }
    if line.ends_with(b"\n") {
        let content = line.len() - if line.ends_with(b"\r\n") { 2 } else { 1 };
        return Ok(if content <= MAX_LINE {
            Line::Complete
        } else {
            Line::TooLong
        });
    }
    if (n as u64) < limit {
        return Ok(Line::Cut); // FIN before the newline.
    }
    // Too long: skip the rest of the line chunk by chunk, storing none of it.
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break; // The peer closed in the middle of the long line.
        }
        if let Some(newline) = chunk.iter().position(|&b| b == b'\n') {
            reader.consume(newline + 1);
            break;
        }
        let len = chunk.len();
        reader.consume(len);
    }
    Ok(Line::TooLong)
}
// ANCHOR_END: read_line

/// The line without its ending: `b"hi\r\n"` and `b"hi\n"` give `b"hi"`.
pub fn content(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => line, // A cut line: a lone "\r" at its end is content, not a line ending.
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    /// Every line of `input`, read through a 16-byte buffer so lines arrive in pieces.
    fn read_all(input: &[u8]) -> Vec<(Line, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(16, input);
        let mut found = Vec::new();
        loop {
            let mut line = Vec::new();
            let kind = read_line(&mut reader, &mut line).expect("reading a slice never fails");
            if kind == Line::End {
                return found;
            }
            found.push((kind, line));
        }
    }

    #[test]
    fn lines_are_split_at_newlines_and_a_last_line_without_one_is_cut() {
        let lines = read_all(b"one\ntwo\r\nthree");
        assert_eq!(
            lines,
            [
                (Line::Complete, b"one\n".to_vec()),
                (Line::Complete, b"two\r\n".to_vec()),
                (Line::Cut, b"three".to_vec()),
            ]
        );
        assert_eq!(content(&lines[1].1), b"two");
    }

    #[test]
    fn a_line_of_max_line_is_kept_and_a_longer_one_skipped_without_storing_it() {
        let mut input = vec![b'a'; MAX_LINE];
        input.extend_from_slice(b"\r\n");
        input.extend(vec![b'b'; MAX_LINE + 1]);
        input.extend_from_slice(b"\nafter\n");
        let lines = read_all(&input);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].0, Line::Complete);
        assert_eq!(lines[0].1.len(), MAX_LINE + 2);
        assert_eq!(lines[1].0, Line::TooLong);
        assert!(lines[1].1.len() <= MAX_LINE + 2, "stored at most the bound");
        assert_eq!(lines[2], (Line::Complete, b"after\n".to_vec()));
    }

    #[test]
    fn an_endless_line_cut_by_the_peer_is_too_long_and_stored_only_to_the_bound() {
        let lines = read_all(&vec![b'x'; MAX_LINE * 3]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0, Line::TooLong);
        assert!(lines[0].1.len() <= MAX_LINE + 2);
    }
}
