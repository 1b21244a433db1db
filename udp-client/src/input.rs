//! Where the messages come from: each `--message`, or else each line typed (or piped).

use std::io::{self, BufRead};
use std::time::Duration;

/// The messages to send: the `--message` texts if there are any, else the lines of `input`.
///
/// A line is split at `\n`, and its `\r` (a Windows line ending) is dropped: the datagram
/// itself marks where a message ends. The bytes need not be UTF-8.
pub fn messages(
    given: &[String],
    input: Box<dyn BufRead + Send>,
) -> Box<dyn Iterator<Item = io::Result<Vec<u8>>>> {
    if given.is_empty() {
        Box::new(input.split(b'\n').map(|line| line.map(strip_line_ending)))
    } else {
        let given: Vec<io::Result<Vec<u8>>> =
            given.iter().map(|m| Ok(m.as_bytes().to_vec())).collect();
        Box::new(given.into_iter())
    }
}

/// A typed line (already split at `\n`) without the `\r` of a Windows line ending.
fn strip_line_ending(mut line: Vec<u8>) -> Vec<u8> {
    if line.ends_with(b"\r") {
        line.pop();
    }
    line
}

/// Reads a positive number of seconds, such as `1` or `0.25` (for `--timeout`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.001..=3600.0).contains(&seconds) {
        return Err("give between 0.001 and 3600 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_accept_decimals_and_refuse_zero() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("1"), Ok(Duration::from_secs(1)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("soon").is_err());
    }

    #[test]
    fn line_endings_are_not_part_of_the_message() {
        let typed = io::Cursor::new(b"hi\r\n\nlast".to_vec());
        let lines: Vec<Vec<u8>> = messages(&[], Box::new(typed))
            .map(|line| line.expect("a slice reads"))
            .collect();
        assert_eq!(lines, [&b"hi"[..], b"", b"last"]);
    }

    #[test]
    fn given_messages_come_before_the_keyboard() {
        let typed = io::Cursor::new(b"typed\n".to_vec());
        let given = ["one".to_owned()];
        let lines: Vec<Vec<u8>> = messages(&given, Box::new(typed))
            .map(|line| line.expect("no I/O"))
            .collect();
        assert_eq!(lines, [b"one"]);
    }
}
