//! A reply is text from the network, printed on a terminal, and terminals obey control
//! characters: `ESC [ 2 J` clears the screen, `ESC ] 0 ; … BEL` renames the window. So the
//! client shows each control character other than the line ending as an escape (`\u{1b}`),
//! and each byte that is not UTF-8 as `\xff`: a hostile server can say anything, but it
//! cannot drive our terminal.
//!
//! `tcp-client` escapes the same way, copied on purpose so that each lesson reads on its
//! own. It must also join characters that TCP cut in two; a datagram arrives whole, so
//! here one call escapes one reply.

use std::fmt::Write as _;

/// The text to print for one reply.
pub fn escape(reply: &[u8]) -> String {
    let mut shown = String::with_capacity(reply.len());
    for chunk in reply.utf8_chunks() {
        push_text(&mut shown, chunk.valid());
        push_bytes(&mut shown, chunk.invalid());
    }
    shown
}

// ANCHOR: push_text
/// Appends `text`, escaping each control character except the `\n` that ends a line (with
/// the `\r` before it, in a `\r\n` ending).
fn push_text(shown: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => shown.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => shown.push('\r'),
            '\t' => shown.push_str("\\t"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_line_endings_pass_unchanged() {
        assert_eq!(
            escape("STRASSE 你好\r\nHELLO\n".as_bytes()),
            "STRASSE 你好\r\nHELLO\n"
        );
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(escape(b"HI \x1b[31mRED\x07"), "HI \\u{1b}[31mRED\\u{7}");
        assert_eq!(escape(b"A\tB\rC\x00\x7f"), "A\\tB\\rC\\u{0}\\u{7f}");
        assert_eq!(escape("\u{9b}2J".as_bytes()), "\\u{9b}2J");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(escape(b"AB\xff\xfeCD"), "AB\\xff\\xfeCD");
        // A datagram cut in the middle of a character (say, by a small buffer): hex too.
        assert_eq!(escape(b"cut \xe4\xbd"), "cut \\xe4\\xbd");
    }
}
