//! The experiment's messages, shared by both binaries: what `udp-flood` sends and what
//! `udp-count` answers, and the tally that counts them.
//!
//! The wire format is text, one message per datagram (or per line over TCP), so a student
//! can read it with `tcpdump -A` or send it by hand with `nc -u`:
//!
//! * `FLOOD <run> <seq> <total>` then `.` padding up to the chosen size, then `\n`: datagram
//!   number `seq` (from 0) of a run of `total`; `run` tells one run from the next.
//! * `END <run> <sent>\n`: the sender is done and sent `sent` numbered datagrams.
//! * `SUMMARY <run> sent=.. received=.. lost=.. duplicated=.. out_of_order=..\n`: the
//!   counter's answer to `END` (sent again if `END` is repeated).

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use anyhow::{Context, Result, bail};

/// The most numbered datagrams one run may announce.
///
/// The counter keeps one bit per number (125 KB for a million), so a datagram claiming a
/// run of billions must not make it allocate gigabytes.
pub const MAX_FLOOD: u64 = 1_000_000;

/// One message of the experiment's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Numbered datagram `seq` of `total`, in run `run`.
    Record { run: u64, seq: u64, total: u64 },
    /// The sender is done: it sent `sent` numbered datagrams in run `run`.
    End { run: u64, sent: u64 },
}

impl Message {
    /// Reads a message; `None` for anything that is not one.
    pub fn parse(bytes: &[u8]) -> Option<Message> {
        // The header is ASCII; the padding ('.') and the newline are not part of it.
        let end = bytes
            .iter()
            .position(|&b| b == b'.' || b == b'\n')
            .unwrap_or(bytes.len());
        let header = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut words = header.split_ascii_whitespace();
        let message = match words.next()? {
            "FLOOD" => Message::Record {
                run: words.next()?.parse().ok()?,
                seq: words.next()?.parse().ok()?,
                total: words.next()?.parse().ok()?,
            },
            "END" => Message::End {
                run: words.next()?.parse().ok()?,
                sent: words.next()?.parse().ok()?,
            },
            _ => return None,
        };
        words.next().is_none().then_some(message)
    }

    /// The message as bytes, padded with `.` to at least `size` bytes (newline included).
    pub fn encode(&self, size: usize, out: &mut Vec<u8>) {
        out.clear();
        // Writing into a Vec cannot fail.
        let _ = match self {
            Message::Record { run, seq, total } => write!(out, "FLOOD {run} {seq} {total}"),
            Message::End { run, sent } => write!(out, "END {run} {sent}"),
        };
        let padding = size.saturating_sub(out.len() + 1);
        out.resize(out.len() + padding, b'.');
        out.push(b'\n');
    }
}

/// What the counter saw in one run: the experiment's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub run: u64,
    /// Numbered datagrams the sender says it sent.
    pub sent: u64,
    /// Distinct numbers that arrived.
    pub received: u64,
    /// Numbers that never arrived: `sent - received`.
    pub lost: u64,
    /// Extra copies of a number that had arrived already.
    pub duplicated: u64,
    /// Datagrams that arrived after a datagram with a higher number.
    pub out_of_order: u64,
}

impl Summary {
    /// The share of the sent datagrams that were lost, in percent.
    pub fn lost_percent(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            // Counts below 2^53 convert exactly.
            100.0 * self.lost as f64 / self.sent as f64
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SUMMARY {} sent={} received={} lost={} duplicated={} out_of_order={}",
            self.run, self.sent, self.received, self.lost, self.duplicated, self.out_of_order
        )
    }
}

impl FromStr for Summary {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Summary> {
        let mut words = text.split_ascii_whitespace();
        if words.next() != Some("SUMMARY") {
            bail!("not a summary: {text:?}");
        }
        let run = words.next().context("no run number")?.parse()?;
        let mut field = |name: &str| -> Result<u64> {
            let word = words.next().with_context(|| format!("no {name}"))?;
            let value = word
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .with_context(|| format!("expected {name}=N, got {word:?}"))?;
            Ok(value.parse()?)
        };
        Ok(Summary {
            run,
            sent: field("sent")?,
            received: field("received")?,
            lost: field("lost")?,
            duplicated: field("duplicated")?,
            out_of_order: field("out_of_order")?,
        })
    }
}

// ANCHOR: tally
/// The count of one run, number by number.
#[derive(Debug, Clone)]
pub struct Tally {
    total: u64,
    /// One bit per number: has it arrived yet?
    seen: Vec<u64>,
    received: u64,
    duplicated: u64,
    out_of_order: u64,
    highest: Option<u64>,
}

impl Tally {
    /// An empty count for a run of `total` numbered datagrams (at most [`MAX_FLOOD`]).
    pub fn new(total: u64) -> Tally {
        let total = total.min(MAX_FLOOD);
        Tally {
            total,
            seen: vec![0; total.div_ceil(64) as usize],
            received: 0,
            duplicated: 0,
            out_of_order: 0,
            highest: None,
        }
    }

    /// Counts the arrival of datagram number `seq`.
    pub fn record(&mut self, seq: u64) {
        if seq >= self.total {
            return; // Not a number of this run: ignore it rather than count nonsense.
        }
        let (word, bit) = ((seq / 64) as usize, 1 << (seq % 64));
        if self.seen[word] & bit != 0 {
            self.duplicated += 1; // The network delivered a copy (never on loopback).
            return;
        }
        self.seen[word] |= bit;
        self.received += 1;
        match self.highest {
            // A higher number arrived before this one: the datagrams overtook each other.
            Some(highest) if seq < highest => self.out_of_order += 1,
            _ => self.highest = Some(seq),
        }
    }

    /// How many distinct numbers have arrived so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The result, once the sender says it sent `sent` datagrams.
    pub fn summary(&self, run: u64, sent: u64) -> Summary {
        // Only numbers below `sent` can have been sent; `received` never exceeds `sent`.
        let received = self.received.min(sent);
        Summary {
            run,
            sent,
            received,
            lost: sent - received,
            duplicated: self.duplicated,
            out_of_order: self.out_of_order,
        }
    }
}
// ANCHOR_END: tally

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_pad_to_the_size() {
        let mut bytes = Vec::new();
        let record = Message::Record {
            run: 7,
            seq: 41,
            total: 100,
        };
        record.encode(64, &mut bytes);
        assert_eq!(bytes.len(), 64);
        assert!(bytes.ends_with(b".\n"));
        assert_eq!(Message::parse(&bytes), Some(record));

        let end = Message::End { run: 7, sent: 100 };
        end.encode(0, &mut bytes);
        assert_eq!(bytes, b"END 7 100\n");
        assert_eq!(Message::parse(&bytes), Some(end));
    }

    #[test]
    fn anything_else_is_not_a_message() {
        for junk in [
            &b""[..],
            b"hello",
            b"FLOOD 1 2",
            b"FLOOD 1 2 3 4",
            b"END x 1",
            b"\xff",
        ] {
            assert_eq!(Message::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_tally_counts_lost_duplicated_and_out_of_order() {
        let mut tally = Tally::new(10);
        for seq in [0, 1, 3, 2, 2, 5, 4, 9, 42] {
            tally.record(seq);
        }
        let summary = tally.summary(1, 10);
        assert_eq!(
            summary,
            Summary {
                run: 1,
                sent: 10,
                received: 7,
                lost: 3,
                duplicated: 1,
                out_of_order: 2,
            }
        );
        assert_eq!(summary.received + summary.lost, summary.sent);
    }

    #[test]
    fn a_summary_reads_back_what_it_prints() {
        let summary = Summary {
            run: 3,
            sent: 10,
            received: 8,
            lost: 2,
            duplicated: 1,
            out_of_order: 4,
        };
        assert_eq!(summary.to_string().parse::<Summary>().ok(), Some(summary));
        assert!("SUMMARY 3 sent=1".parse::<Summary>().is_err());
    }

    #[test]
    fn a_run_larger_than_the_limit_allocates_no_more_than_the_limit() {
        let tally = Tally::new(u64::MAX);
        assert_eq!(tally.total, MAX_FLOOD);
    }
}
