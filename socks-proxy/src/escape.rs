//! Makes text a client sent safe to print: a host or user name must not be able to end a
//! log line and forge the next one, or send escape codes to the terminal showing the log.

use std::fmt::{self, Display, Write};

/// Text from a peer, shown with every character that could change how a log reads escaped.
///
/// Printable characters (letters of any script too) pass through. Written as `\n`, `\r`,
/// `\t`, `\\` or `\u{..}`: control characters (newline, carriage return, ESC, which starts
/// terminal escape codes), and the invisible formatting characters that reorder or hide
/// text (the bidirectional controls such as U+202E RIGHT-TO-LEFT OVERRIDE, zero-width
/// characters, line and paragraph separators). A backslash is doubled, so an escape cannot
/// be faked either.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str(r"\\")?,
                '\n' => f.write_str(r"\n")?,
                '\r' => f.write_str(r"\r")?,
                '\t' => f.write_str(r"\t")?,
                c if c.is_control() || is_invisible_format(c) => {
                    write!(f, "\\u{{{:x}}}", u32::from(c))?;
                }
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Shows bytes that should be text (an RFC 1929 user name may be any bytes): invalid UTF-8
/// becomes U+FFFD, then everything is escaped as by [`Escaped`].
pub fn escape_bytes(bytes: &[u8]) -> String {
    Escaped(&String::from_utf8_lossy(bytes)).to_string()
}

/// The formatting characters (Unicode category Cf, and the two separators) that change
/// how the text around them is shown without being visible themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        Escaped(text).to_string()
    }

    #[test]
    fn ordinary_names_pass_through_unchanged() {
        for name in ["example.com", "bücher.de", "例子.中国", "a-b_c:80"] {
            assert_eq!(show(name), name);
        }
    }

    #[test]
    fn line_breaks_cannot_start_a_forged_line() {
        assert_eq!(show("a\nb\rc\td"), r"a\nb\rc\td");
        assert_eq!(show("x\r\n1.2.3.4 done: ok"), r"x\r\n1.2.3.4 done: ok");
        assert_eq!(
            show("a\u{2028}b\u{2029}c\u{85}d"),
            r"a\u{2028}b\u{2029}c\u{85}d"
        );
    }

    #[test]
    fn terminal_escape_codes_lose_their_esc() {
        assert_eq!(
            show("\u{1b}[2J\u{1b}]0;t\u{7}"),
            r"\u{1b}[2J\u{1b}]0;t\u{7}"
        );
        assert_eq!(show("\0\u{7f}\u{9b}"), r"\u{0}\u{7f}\u{9b}");
    }

    #[test]
    fn bidirectional_and_invisible_controls_are_shown() {
        assert_eq!(show("a\u{202e}gnp.exe"), r"a\u{202e}gnp.exe");
        for c in [
            '\u{200b}', '\u{200e}', '\u{202a}', '\u{2066}', '\u{2069}', '\u{feff}',
        ] {
            let shown = show(&c.to_string());
            assert_eq!(shown, format!("\\u{{{:x}}}", u32::from(c)));
        }
    }

    #[test]
    fn a_backslash_is_doubled_so_escapes_cannot_be_faked() {
        assert_eq!(show(r"a\nb"), r"a\\nb");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced_then_escaped() {
        assert_eq!(escape_bytes(b"bob\xff\n"), "bob\u{fffd}\\n");
    }
}
