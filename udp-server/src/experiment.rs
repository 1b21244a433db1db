//! The loss-and-order experiment, the counting side (`udp-server --count`).
//!
//! `udp-client --flood N` sends N numbered datagrams as fast as it can (or at `--rate R`);
//! this side counts which numbers arrived, which twice, and which after a higher number.
//! When the sender is done it asks for the count, and both print the same summary.
//!
//! With `--delay-us` the counter plays a slow receiver: datagrams then arrive faster than
//! it takes them out of its socket's receive buffer, the buffer fills, and the OS drops
//! every datagram that does not fit. Nobody tells the sender: that is UDP. The same
//! experiment over TCP (`--tcp` on both sides) loses nothing, because TCP's receiver
//! advertises how much room is left (the sliding window) and the sender's `write` waits.
//!
//! The wire format is text, one message per datagram (or per line over TCP), so a student
//! can read it with `tcpdump -A` or send it by hand with `nc -u`:
//!
//! * `FLOOD <run> <seq> <total>` then `.` padding up to the chosen size, then `\n`: datagram
//!   number `seq` (from 0) of a run of `total`; `run` tells one run from the next.
//! * `END <run> <sent>\n`: the sender is done and sent `sent` numbered datagrams.
//! * `SUMMARY <run> sent=.. received=.. lost=.. duplicated=.. out_of_order=..\n`: the
//!   counter's answer to `END` (sent again if `END` is repeated).

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{Config, bind, is_peer_gone, log};

/// The most numbered datagrams one run may announce.
///
/// The counter keeps one bit per number (125 KB for a million), so a datagram claiming a
/// run of billions must not make it allocate gigabytes.
pub const MAX_FLOOD: u64 = 1_000_000;

/// The longest pause per line (`--delay-us`) the TCP counter accepts, in microseconds.
///
/// TCP loses nothing, so everything the sender wrote must be read: up to ~4 MB can wait in
/// the sender's kernel (Linux grows a send buffer up to `net.ipv4.tcp_wmem`'s 4 MiB). At
/// 100 µs per 48-byte line the counter reads that in 10 to 15 s; at 1000 µs it would need
/// minutes, far beyond the sender's time limit (`udp-client --time-limit`, 30 s by default).
pub const MAX_TCP_DELAY_US: u64 = 100;

/// How many runs the counter remembers at once; the oldest is forgotten first.
const MAX_RUNS: usize = 16;

/// How long the TCP counter waits for the next line before giving up on a sender.
const TCP_IDLE: Duration = Duration::from_secs(30);

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

/// One run being counted, or counted already.
#[derive(Debug)]
struct Run {
    tally: Tally,
    started: Instant,
    /// Set by the first `END`: a repeated `END` gets the same answer.
    summary: Option<Summary>,
}

impl Run {
    fn new(total: u64) -> Run {
        Run {
            tally: Tally::new(total),
            started: Instant::now(),
            summary: None,
        }
    }
}

/// Counts floods until the process is stopped: over UDP, or over TCP with `--tcp`.
pub fn run(addr: SocketAddr, config: &Config) -> Result<()> {
    let delay = Duration::from_micros(config.delay_us);
    if config.tcp && config.delay_us > MAX_TCP_DELAY_US {
        bail!(
            "--delay-us {} is too slow for --tcp: give at most {MAX_TCP_DELAY_US}. TCP loses \
             nothing, so the counter must read everything the sender wrote, and up to ~4 MB \
             can wait in the kernel's buffers: at {} µs per line that takes far longer than \
             the sender's time limit",
            config.delay_us,
            config.delay_us
        );
    }
    if config.tcp {
        return count_tcp(addr, delay);
    }
    let socket = bind(addr)?;
    let local_addr = socket
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    log(format_args!(
        "counting numbered datagrams (udp-client --flood N); {} µs per datagram",
        config.delay_us
    ));

    let mut runs: HashMap<(SocketAddr, u64), Run> = HashMap::new();
    let mut buffer = vec![0; crate::RECEIVE_BUFFER];
    let mut reply = Vec::new();
    // ANCHOR: count_loop
    loop {
        let (received, peer) = match socket.recv_from(&mut buffer) {
            Ok(datagram) => datagram,
            Err(error) if is_peer_gone(&error) => continue,
            Err(error) => return Err(error).context("could not receive a datagram"),
        };
        // The slow receiver: while we sleep, datagrams pile up in the socket's buffer.
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        match Message::parse(&buffer[..received]) {
            Some(Message::Record { run, seq, total }) => {
                if let Some(tally) = tally_for(&mut runs, peer, run, total) {
                    tally.record(seq);
                }
            }
            Some(Message::End { run, sent }) => {
                let summary = finish(&mut runs, peer, run, sent);
                reply.clear();
                let _ = writeln!(reply, "{summary}");
                // If this reply is lost, the sender asks again.
                let _ = socket.send_to(&reply, peer);
            }
            None => log(format_args!(
                "{peer}: a {received}-byte datagram that is not part of a flood; ignored"
            )),
        }
    }
    // ANCHOR_END: count_loop
}

/// The tally of `run` from `peer`, started by its first datagram.
fn tally_for(
    runs: &mut HashMap<(SocketAddr, u64), Run>,
    peer: SocketAddr,
    run: u64,
    total: u64,
) -> Option<&mut Tally> {
    let key = (peer, run);
    if !runs.contains_key(&key) {
        if total > MAX_FLOOD {
            return None; // Refused: see MAX_FLOOD. The summary will show everything lost.
        }
        forget_oldest(runs);
        log(format_args!(
            "{peer}: run {run} started, {total} datagrams announced"
        ));
    }
    let entry = runs.entry(key).or_insert_with(|| Run::new(total));
    // Datagrams that arrive after the summary was sent no longer change it.
    entry.summary.is_none().then_some(&mut entry.tally)
}

/// The summary of `run`, fixed (and logged) by the first `END`.
fn finish(
    runs: &mut HashMap<(SocketAddr, u64), Run>,
    peer: SocketAddr,
    run: u64,
    sent: u64,
) -> Summary {
    let key = (peer, run);
    if !runs.contains_key(&key) {
        forget_oldest(runs);
    }
    // A run we never saw: every numbered datagram was lost (or none was sent).
    let entry = runs.entry(key).or_insert_with(|| Run::new(0));
    if let Some(summary) = entry.summary {
        return summary;
    }
    let summary = entry.tally.summary(run, sent);
    entry.summary = Some(summary);
    log(describe_summary(peer, &summary, entry.started.elapsed()));
    summary
}

fn forget_oldest(runs: &mut HashMap<(SocketAddr, u64), Run>) {
    if runs.len() < MAX_RUNS {
        return;
    }
    let oldest = runs
        .iter()
        .min_by_key(|(_, run)| run.started)
        .map(|(key, _)| *key);
    if let Some(oldest) = oldest {
        runs.remove(&oldest);
    }
}

/// The counter's log line for a finished run.
fn describe_summary(peer: SocketAddr, summary: &Summary, elapsed: Duration) -> String {
    format!(
        "{peer}: run {} done in {:.3} s: sent {}, received {}, lost {} ({:.2} %), \
         duplicated {}, out of order {}",
        summary.run,
        elapsed.as_secs_f64(),
        summary.sent,
        summary.received,
        summary.lost,
        summary.lost_percent(),
        summary.duplicated,
        summary.out_of_order
    )
}

/// The TCP side of the comparison: the same count, over one connection at a time.
fn count_tcp(addr: SocketAddr, delay: Duration) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .with_context(|| format!("cannot listen on TCP {addr}: is another counter running?"))?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    log(format_args!(
        "counting numbered lines over TCP (udp-client --flood N --tcp); {} µs per line",
        delay.as_micros()
    ));
    for incoming in listener.incoming() {
        let Ok(stream) = incoming else { continue };
        let peer = stream
            .peer_addr()
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        if let Err(error) = count_one_stream(&stream, peer, delay) {
            log(format_args!("{peer}: {error:#}"));
        }
    }
    Ok(())
}

/// Counts one TCP flood: numbered lines, then `END`, answered with the summary.
fn count_one_stream(stream: &TcpStream, peer: SocketAddr, delay: Duration) -> Result<()> {
    stream.set_read_timeout(Some(TCP_IDLE))?;
    stream.set_write_timeout(Some(TCP_IDLE))?;
    let started = Instant::now();
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut current: Option<(u64, Tally)> = None;
    loop {
        line.clear();
        // A line is one message, at most one datagram's worth plus its newline.
        let limit = crate::RECEIVE_BUFFER as u64 + 1;
        let counted = |tally: &Option<(u64, Tally)>| tally.as_ref().map_or(0, |(_, t)| t.received);
        if reader.by_ref().take(limit).read_until(b'\n', &mut line)? == 0 {
            bail!(
                "the sender closed the connection before END, after {} numbered lines",
                counted(&current)
            );
        }
        if !line.ends_with(b"\n") && line.len() as u64 != limit {
            // It stopped in the middle of a line (say, at its time limit).
            bail!(
                "the sender closed the connection in the middle of a line, before END, after \
                 {} numbered lines",
                counted(&current)
            );
        }
        // The same slow receiver: while we sleep, TCP's receive buffer fills, its window
        // shrinks to zero, and the sender's `write` has to wait.
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        match Message::parse(&line) {
            Some(Message::Record { run, seq, total }) => {
                let (_, tally) = current.get_or_insert_with(|| (run, Tally::new(total)));
                tally.record(seq);
            }
            Some(Message::End { run, sent }) => {
                let summary = match &current {
                    Some((counted_run, tally)) if *counted_run == run => tally.summary(run, sent),
                    _ => Tally::new(0).summary(run, sent),
                };
                log(describe_summary(peer, &summary, started.elapsed()));
                let mut writer = stream;
                writeln!(writer, "{summary}").context(
                    "could not send the summary: the sender has gone (its own output says why)",
                )?;
                return Ok(());
            }
            None => bail!("a line that is not part of a flood; closing"),
        }
    }
}

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
    fn the_log_shows_two_decimals_so_nearly_all_lost_is_not_all_lost() {
        let mut tally = Tally::new(1_000_000);
        for seq in 0..327 {
            tally.record(seq);
        }
        let line = describe_summary(
            SocketAddr::from(([127, 0, 0, 1], 9)),
            &tally.summary(1, 1_000_000),
            Duration::from_secs(1),
        );
        assert!(
            line.contains("received 327, lost 999673 (99.97 %)"),
            "{line}"
        );
    }

    #[test]
    fn a_run_larger_than_the_limit_allocates_no_more_than_the_limit() {
        let tally = Tally::new(u64::MAX);
        assert_eq!(tally.total, MAX_FLOOD);
    }
}
