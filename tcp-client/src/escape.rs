//! Replies are text from the network, printed on a terminal, and terminals obey control
//! characters: `ESC [ 2 J` clears the screen, `ESC ] 0 ; … BEL` renames the window. So the
//! client shows each control character other than the line ending as an escape (`\u{1b}`),
//! and each byte that is not UTF-8 as `\xff`: a hostile server can say anything, but it
//! cannot drive our terminal.
//!
//! Replies arrive in whatever pieces TCP delivers, so a character (or the `\r` of a `\r\n`)
//! may be cut in two: the [`Escaper`] holds such a tail back until the next piece decides it.

use std::fmt::Write as _;

/// Escapes a stream of bytes, one `read` at a time.
#[derive(Debug, Default)]
pub struct Escaper {
    /// The end of the last piece, not shown yet: the first bytes of a character cut by TCP,
    /// or a `\r` that may be the start of a `\r\n` line ending.
    held: Vec<u8>,
}

impl Escaper {
    /// The text to print for `bytes`, the next piece of the stream.
    pub fn escape(&mut self, bytes: &[u8]) -> String {
        self.held.extend_from_slice(bytes);
        let pending = std::mem::take(&mut self.held);
        let mut shown = String::with_capacity(pending.len());
        let mut chunks = pending.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let mut text = chunk.valid();
            if last && chunk.invalid().is_empty() && text.ends_with('\r') {
                text = &text[..text.len() - 1];
                self.held.push(b'\r'); // `\r\n` or a lone `\r`? The next piece tells.
            }
            push_text(&mut shown, text);
            let cut = chunk.invalid();
            if last && is_start_of_character(cut) {
                self.held.extend_from_slice(cut); // The rest of it is in the next piece.
            } else {
                push_bytes(&mut shown, cut);
            }
        }
        shown
    }

    /// What is still held back when the stream ends: shown as it is, escaped.
    pub fn finish(&mut self) -> String {
        let mut shown = String::new();
        for &byte in &std::mem::take(&mut self.held) {
            match byte {
                b'\r' => shown.push_str("\\r"),
                _ => push_bytes(&mut shown, &[byte]),
            }
        }
        shown
    }
}

// ANCHOR: push_text
/// Appends `text`, escaping each control character except the `\n` that ends a line (with
/// the `\r` before it, in a `\r\n` ending) and the tab, which moves the cursor only to the
/// next column stop: a reply may hold the tabs its user typed.
fn push_text(shown: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => shown.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => shown.push('\r'),
            '\t' => shown.push('\t'),
            '\r' => shown.push_str("\\r"),
            // The C0 controls (ESC among them), DEL, and the C1 controls (U+0080 to U+009F,
            // which some terminals obey as well).
            c if c.is_control() => shown.extend(c.escape_unicode()),
            c => shown.push(c),
        }
    }
}
// ANCHOR_END: push_text

/// Appends bytes that are not UTF-8 as `\xNN` each.
fn push_bytes(shown: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(shown, "\\x{byte:02x}"); // Writing to a String cannot fail.
    }
}

/// Whether `bytes` are the first bytes of a UTF-8 character whose other bytes have not come.
fn is_start_of_character(bytes: &[u8]) -> bool {
    !bytes.is_empty() && std::str::from_utf8(bytes).is_err_and(|e| e.error_len().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escapes `pieces` as one stream, as the client does with consecutive reads.
    fn shown(pieces: &[&[u8]]) -> String {
        let mut escaper = Escaper::default();
        let mut text: String = pieces.iter().map(|piece| escaper.escape(piece)).collect();
        text.push_str(&escaper.finish());
        text
    }

    #[test]
    fn text_and_line_endings_pass_unchanged() {
        assert_eq!(
            shown(&[b"HELLO\n", "STRASSE 你好\r\n".as_bytes()]),
            "HELLO\nSTRASSE 你好\r\n"
        );
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(
            shown(&[b"HI \x1b[31mRED\x07\n"]),
            "HI \\u{1b}[31mRED\\u{7}\n"
        );
        assert_eq!(shown(&[b"A\tB\rC\x00\x7f\n"]), "A\tB\\rC\\u{0}\\u{7f}\n");
        assert_eq!(shown(&["\u{9b}2J\n".as_bytes()]), "\\u{9b}2J\n");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(shown(&[b"AB\xff\xfeCD\n"]), "AB\\xff\\xfeCD\n");
        assert_eq!(
            shown(&[b"cut \xe4\xbd"]),
            "cut \\xe4\\xbd",
            "a cut character at the end"
        );
    }

    #[test]
    fn a_character_or_a_line_ending_cut_by_tcp_is_joined_again() {
        // 你 is e4 bd a0: cut after its first and after its second byte.
        assert_eq!(shown(&[b"\xe4", b"\xbd", b"\xa0\n"]), "你\n");
        assert_eq!(shown(&[b"ONE\r", b"\nTWO\r", b"X\n"]), "ONE\r\nTWO\\rX\n");
    }
}
