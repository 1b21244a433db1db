//! The wire format of the file-transfer lesson: what `file-recv` accepts, and `file-send` speaks.
//!
//! The conversation keeps the shape of the course's notes (announce, "ok", content, close)
//! and adds what makes it correct: every message is one text line ending in `\n`, so the
//! receiver knows where the announcement ends however TCP splits or joins the bytes; the
//! announcement carries the size, so the end of the content is known; and the receiver
//! confirms what it stored, with a digest the sender can check.
//!
//! ```text
//! sender                                   receiver
//!   FILE <size> <name>\n        ───▶
//!                               ◀───       OK\n   (or error: <reason>\n or busy: <reason>\n, then close)
//!   exactly <size> bytes        ───▶
//!   FIN (shutdown(Write))       ───▶
//!                               ◀───       DONE <size> blake3:<hex>\n   (or error: <reason>\n)
//!                               ◀───       FIN
//! ```
//!
//! A refusal or failure is a notice in the form every server of the workspace uses: one line
//! that starts with a lower-case word and a colon, `error: <reason>`, or `busy: <reason>`
//! when the receiver is serving as many senders as it may.
//!
//! The lines are plain ASCII (the name is UTF-8), so a student can play either side by hand
//! with `printf` and `nc`. This module only builds and parses the lines; the lessons decide
//! what is allowed (which names, which sizes) and compute the digest.

use std::fmt;
use std::io::{self, BufRead, ErrorKind};

use crate::line::{self, Line, MAX_LINE};

/// The digest both sides compute, named on the wire (`blake3:<hex>`) so that a later version
/// can change it and an old peer says so instead of calling every file damaged.
///
/// BLAKE3 is a cryptographic hash: no one can make two different files with the same digest.
/// It is fast enough that hashing costs little next to the copy itself (`b3sum FILE` prints
/// the same hex on the command line).
pub const DIGEST: &str = "blake3";

/// How the confirmation writes a digest: `blake3:` and 64 lowercase hex digits.
pub fn digest_text(hash: &blake3::Hash) -> String {
    format!("{DIGEST}:{}", hash.to_hex())
}

/// A line that does not follow the protocol; the text says what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Malformed {}

/// The sender's first line: `FILE <size> <name>\n`.
///
/// The name comes last so that it may contain spaces: it is everything after the second
/// space. It stays raw bytes here, because it is untrusted input that the receiver must
/// check (valid UTF-8 among other things) before using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// How many bytes of content follow the receiver's `OK`.
    pub size: u64,
    /// The file's name, as the sender wrote it.
    pub name: Vec<u8>,
}

impl Announcement {
    /// The line as it goes on the wire.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = format!("FILE {} ", self.size).into_bytes();
        line.extend_from_slice(&self.name);
        line.push(b'\n');
        line
    }

    /// Reads `FILE <size> <name>` (the line without its `\n`).
    pub fn parse(line: &[u8]) -> Result<Announcement, Malformed> {
        let rest = line.strip_prefix(b"FILE ").ok_or_else(|| {
            Malformed(format!(
                "expected `FILE <size> <name>`, got {}",
                escaped(line)
            ))
        })?;
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| Malformed("expected `FILE <size> <name>`: no name".to_owned()))?;
        let size = parse_size(&rest[..space])?;
        Ok(Announcement {
            size,
            name: rest[space + 1..].to_vec(),
        })
    }
}

/// The receiver's answer to the announcement, sent before any content flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `OK`: send the content now.
    Accepted,
    /// `error: <reason>`: the receiver will not store this file; send nothing.
    Refused(String),
    /// `busy: <reason>`: the receiver serves as many senders as it may; try again later.
    Busy(String),
}

impl Answer {
    /// The line as it goes on the wire.
    pub fn to_line(&self) -> Vec<u8> {
        match self {
            Answer::Accepted => b"OK\n".to_vec(),
            Answer::Refused(reason) => text_line(ERROR, reason),
            Answer::Busy(reason) => text_line(BUSY, reason),
        }
    }

    /// Reads `OK`, `error: <reason>` or `busy: <reason>` (the line without its `\n`).
    pub fn parse(line: &[u8]) -> Result<Answer, Malformed> {
        if line == b"OK" {
            return Ok(Answer::Accepted);
        }
        if let Some(reason) = line.strip_prefix(ERROR.as_bytes()) {
            return Ok(Answer::Refused(text_from_peer(reason)));
        }
        match line.strip_prefix(BUSY.as_bytes()) {
            Some(reason) => Ok(Answer::Busy(text_from_peer(reason))),
            None => Err(Malformed(format!(
                "expected `OK`, `error: <reason>` or `busy: <reason>`, got {}",
                escaped(line)
            ))),
        }
    }
}

/// The receiver's last line, after the sender's FIN: what happened to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `DONE <size> <digest>`: the file is stored under its final name, this many bytes,
    /// with this digest: its name, a colon and lowercase hex (`blake3:` then 64 digits).
    Stored {
        /// Bytes written to the file.
        size: u64,
        /// The digest of those bytes, as [`digest_text`] writes it.
        digest: String,
    },
    /// `error: <reason>`: nothing was stored.
    Failed(String),
}

impl Outcome {
    /// The line as it goes on the wire.
    pub fn to_line(&self) -> Vec<u8> {
        match self {
            Outcome::Stored { size, digest } => format!("DONE {size} {digest}\n").into_bytes(),
            Outcome::Failed(reason) => text_line(ERROR, reason),
        }
    }

    /// Reads `DONE <size> <digest>` or `error: <reason>` (the line without its `\n`).
    ///
    /// Any digest name is accepted here (lowercase letters and digits, then `:` and 16 to
    /// 128 hex digits): whether it is the one we compute is the sender's question.
    pub fn parse(line: &[u8]) -> Result<Outcome, Malformed> {
        if let Some(reason) = line.strip_prefix(ERROR.as_bytes()) {
            return Ok(Outcome::Failed(text_from_peer(reason)));
        }
        let malformed = || {
            Malformed(format!(
                "expected `DONE <size> <digest>` or `error: <reason>`, got {}",
                escaped(line)
            ))
        };
        let rest = line.strip_prefix(b"DONE ").ok_or_else(malformed)?;
        let space = rest.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
        let size = parse_size(&rest[..space])?;
        let digest = &rest[space + 1..];
        let colon = digest
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(malformed)?;
        let (name, hex) = (&digest[..colon], &digest[colon + 1..]);
        let is_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        let is_name = |b: &u8| b.is_ascii_digit() || b.is_ascii_lowercase();
        if !(1..=16).contains(&name.len())
            || !name.iter().all(is_name)
            || !(16..=128).contains(&hex.len())
            || !hex.iter().all(is_hex)
        {
            return Err(malformed());
        }
        Ok(Outcome::Stored {
            size,
            digest: String::from_utf8_lossy(digest).into_owned(),
        })
    }
}

// ANCHOR: read_message
/// Reads one line of the protocol, however TCP cut it into pieces; returns it without its
/// line ending, or `None` when the peer closed before a line began.
///
/// The bounded reader of `line.rs` does the reading: it keeps what follows the `\n` in the
/// buffer for the content, and stores at most [`MAX_LINE`] bytes. A line cut by the end of
/// the connection, or longer than that, breaks the protocol: an `InvalidData` error.
pub fn read_message(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut buffer = Vec::new();
    let problem = match line::read_line(reader, &mut buffer)? {
        Line::End => return Ok(None), // `read` returned 0: the peer sent FIN.
        Line::Complete => return Ok(Some(line::content(&buffer).to_vec())),
        Line::Cut => "a line cut short by the end of the connection".to_owned(),
        Line::TooLong => format!("a line longer than {MAX_LINE} bytes"),
    };
    Err(io::Error::new(ErrorKind::InvalidData, problem))
}
// ANCHOR_END: read_message

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

/// Shows bytes from the network safely in a message: as text with every control character
/// escaped (so they cannot move the cursor or recolour a terminal), cut to 80 characters.
pub fn escaped(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut shown: String = text.chars().take(80).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// Whether `c` is invisible, or changes the direction of the text around it: the characters
/// that make one name look like another (`U+202E` shows `txt.exe` as `exe.txt`).
///
/// They are not control characters (`char::is_control` is false for them), so they need a
/// rule of their own: Arabic letter mark (U+061C), zero-width space, joiners and direction
/// marks (U+200B to U+200F), the direction embeddings and overrides (U+202A to U+202E),
/// the direction isolates (U+2066 to U+2069) and the byte order mark (U+FEFF).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Text the peer sent (a reason), made safe to print: invalid UTF-8 replaced, and every
/// control or invisible character written as an escape such as `\u{1b}`, so a hostile peer
/// cannot move the cursor, clear the screen or reorder the text of the terminal showing it.
fn text_from_peer(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for c in String::from_utf8_lossy(bytes).chars() {
        if c.is_control() || is_invisible(c) {
            text.extend(c.escape_unicode());
        } else {
            text.push(c);
        }
    }
    text
}

/// A decimal size: digits only (no sign, no spaces), and it must fit in 64 bits.
fn parse_size(digits: &[u8]) -> Result<u64, Malformed> {
    let bad = || {
        Malformed(format!(
            "the size must be a number of bytes, got {}",
            escaped(digits)
        ))
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    std::str::from_utf8(digits)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(bad)
}

/// The notices' first word: a failure, or a receiver at its cap of senders.
const ERROR: &str = "error: ";
const BUSY: &str = "busy: ";

/// `KEYWORD text\n` (the keyword ends in its space), with any line break in `text`
/// replaced, so it stays one line.
fn text_line(keyword: &str, text: &str) -> Vec<u8> {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{keyword}{one_line}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Read;

    /// Reads every message of `input`, through a reader that returns at most `chunk` bytes
    /// per `read`, as TCP may; stops at the end or at the first error.
    fn messages_in_chunks(input: &[u8], chunk: usize) -> Vec<io::Result<Option<Vec<u8>>>> {
        let mut reader = io::BufReader::with_capacity(chunk, input);
        let mut found = Vec::new();
        loop {
            let message = read_message(&mut reader);
            let end = matches!(message, Ok(None) | Err(_));
            found.push(message);
            if end {
                return found;
            }
        }
    }

    #[test]
    fn announcement_round_trips_and_keeps_spaces_in_the_name() {
        let sent = Announcement {
            size: 42,
            name: "my report 報告.txt".as_bytes().to_vec(),
        };
        let line = sent.to_line();
        assert_eq!(line, "FILE 42 my report 報告.txt\n".as_bytes());
        let received = Announcement::parse(&line[..line.len() - 1]).expect("valid");
        assert_eq!(received, sent);
    }

    #[test]
    fn announcement_rejects_bad_sizes_and_other_protocols() {
        for line in [
            &b"GET / HTTP/1.1"[..],
            b"FILE",
            b"FILE 12",
            b"FILE -1 x",
            b"FILE +1 x",
            b"FILE 1e3 x",
            b"FILE  x",
            b"FILE 18446744073709551616 x",
        ] {
            assert!(
                Announcement::parse(line).is_err(),
                "accepted {}",
                escaped(line)
            );
        }
        let biggest = Announcement::parse(b"FILE 18446744073709551615 x").expect("fits u64");
        assert_eq!(biggest.size, u64::MAX);
    }

    #[test]
    fn answer_and_outcome_round_trip() {
        for answer in [
            Answer::Accepted,
            Answer::Refused("file exists".into()),
            Answer::Busy("already receiving 32 files".into()),
        ] {
            let line = answer.to_line();
            assert_eq!(Answer::parse(&line[..line.len() - 1]), Ok(answer));
        }
        let stored = Outcome::Stored {
            size: 6,
            digest: digest_text(&blake3::hash(b"hello\n")),
        };
        for outcome in [stored, Outcome::Failed("disk full".into())] {
            let line = outcome.to_line();
            assert_eq!(Outcome::parse(&line[..line.len() - 1]), Ok(outcome));
        }
    }

    #[test]
    fn outcome_rejects_a_digest_without_a_name_or_with_bad_hex() {
        assert!(Outcome::parse(b"DONE 6 abc").is_err());
        let unnamed = format!("DONE 6 {}", "a".repeat(64));
        assert!(Outcome::parse(unnamed.as_bytes()).is_err());
        let upper = format!("DONE 6 blake3:{}", "A".repeat(64));
        assert!(Outcome::parse(upper.as_bytes()).is_err());
        let short = format!("DONE 6 blake3:{}", "a".repeat(8));
        assert!(Outcome::parse(short.as_bytes()).is_err());
        let shouting = format!("DONE 6 BLAKE3:{}", "a".repeat(64));
        assert!(Outcome::parse(shouting.as_bytes()).is_err());
        assert!(Outcome::parse(b"OK").is_err());
        assert!(Answer::parse(b"NO old form").is_err());
    }

    #[test]
    fn the_digest_is_named_and_matches_b3sum() {
        // `printf 'hello\n' | b3sum` prints this hex.
        let text = digest_text(&blake3::hash(b"hello\n"));
        assert_eq!(
            text,
            "blake3:8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99"
        );
        // Another digest name parses: the sender decides what to make of it.
        let other = format!("DONE 6 sha256:{}", "a".repeat(64));
        assert!(Outcome::parse(other.as_bytes()).is_ok());
    }

    #[test]
    fn a_reason_with_a_line_break_stays_one_line() {
        let line = Answer::Refused("bad\nname\r".into()).to_line();
        assert_eq!(line, b"error: bad name \n");
    }

    #[test]
    fn read_message_finds_the_end_however_the_bytes_are_cut() {
        let input = b"FILE 5 a b.txt\r\nhello";
        for chunk in 1..=input.len() {
            let mut reader = io::BufReader::with_capacity(chunk, &input[..]);
            let line = read_message(&mut reader).expect("a whole line");
            assert_eq!(line, Some(b"FILE 5 a b.txt".to_vec()));
            // The content behind the line is still there, none of it swallowed.
            let mut content = Vec::new();
            reader.read_to_end(&mut content).expect("reading a slice");
            assert_eq!(content, b"hello", "chunks of {chunk}");
        }
    }

    #[test]
    fn read_message_refuses_a_line_too_long_or_cut_and_sees_the_end() {
        let mut long = vec![b'x'; MAX_LINE * 3];
        long.push(b'\n');
        let found = messages_in_chunks(&long, 64);
        let error = found[0].as_ref().expect_err("too long");
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert!(error.to_string().contains("longer than 8192"), "{error}");

        let exactly = [vec![b'x'; MAX_LINE], b"\n".to_vec()].concat();
        let found = messages_in_chunks(&exactly, 64);
        assert!(matches!(&found[0], Ok(Some(l)) if l.len() == MAX_LINE));

        let found = messages_in_chunks(b"FILE 3 x", 4);
        let error = found[0].as_ref().expect_err("cut");
        assert!(error.to_string().contains("cut short"), "{error}");

        assert!(matches!(messages_in_chunks(b"", 4)[0], Ok(None)));
    }

    #[test]
    fn reasons_from_the_peer_arrive_with_control_and_invisible_characters_escaped() {
        assert_eq!(
            Answer::parse(b"error: \x1b[2J evil"),
            Ok(Answer::Refused(r"\u{1b}[2J evil".into()))
        );
        assert_eq!(
            Outcome::parse("error: bell\x07 and \u{202e}txt.exe".as_bytes()),
            Ok(Outcome::Failed(r"bell\u{7} and \u{202e}txt.exe".into()))
        );
        // Ordinary text, quotes and accents included, is left as it is.
        assert_eq!(
            Answer::parse("error: a file named \"résumé.txt\" exists".as_bytes()),
            Ok(Answer::Refused("a file named \"résumé.txt\" exists".into()))
        );
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn escaped_hides_control_characters() {
        assert_eq!(escaped(b"a\x1b[2Jb\n"), r#""a\u{1b}[2Jb\n""#);
    }
}
