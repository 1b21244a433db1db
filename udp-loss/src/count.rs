//! The counting side of the experiment (`udp-count`): which numbers arrived, which twice,
//! and which after a higher number.
//!
//! With `--delay-us` the counter plays a slow receiver: datagrams then arrive faster than
//! it takes them out of its socket's receive buffer, the buffer fills, and the OS drops
//! every datagram that does not fit. Nobody tells the sender: that is UDP. The same
//! experiment over TCP (`--tcp` on both sides) loses nothing, because TCP's receiver
//! advertises how much room is left (the sliding window) and the sender's `write` waits.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::log;
use crate::protocol::{MAX_FLOOD, Message, Summary, Tally};

/// The longest pause per message (`--delay-us`) the counter accepts over UDP: whatever does
/// not fit in its buffer is simply dropped, so any pause up to this ends in time.
pub const MAX_DELAY_US: u64 = 10_000;

/// The longest pause per line (`--delay-us`) the TCP counter accepts, in microseconds.
///
/// TCP loses nothing, so everything the sender wrote must be read: up to ~4 MB can wait in
/// the sender's kernel (Linux grows a send buffer up to `net.ipv4.tcp_wmem`'s 4 MiB). At
/// 100 µs per 48-byte line the counter reads that in 10 to 15 s; at 1000 µs it would need
/// minutes, far beyond the sender's time limit (`udp-flood --time-limit`, 30 s by default).
pub const MAX_TCP_DELAY_US: u64 = 100;

/// How many runs the counter remembers at once; the oldest is forgotten first.
const MAX_RUNS: usize = 16;

/// How long the TCP counter waits for the next line before giving up on a sender.
const TCP_IDLE: Duration = Duration::from_secs(30);

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

/// Counts floods until the process is stopped: over UDP, or over TCP with `tcp`, pausing
/// `delay_us` microseconds after each message.
pub fn run(addr: SocketAddr, delay_us: u64, tcp: bool) -> Result<()> {
    let delay = Duration::from_micros(delay_us);
    if tcp && delay_us > MAX_TCP_DELAY_US {
        bail!(
            "--delay-us {delay_us} is too slow for --tcp: give at most {MAX_TCP_DELAY_US}. TCP \
             loses nothing, so the counter must read everything the sender wrote, and up to \
             ~4 MB can wait in the kernel's buffers: at {delay_us} µs per line that takes far \
             longer than the sender's time limit"
        );
    }
    if tcp {
        return count_tcp(addr, delay);
    }
    let socket = UdpSocket::bind(addr).with_context(|| {
        format!(
            "cannot bind {addr}: is another counter (or udp-server) bound there? Choose \
             another port, e.g. `--listen 127.0.0.1:0` for any free port"
        )
    })?;
    let local_addr = socket
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    log(format_args!(
        "counting numbered datagrams (udp-flood N); {delay_us} µs per datagram"
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
        "counting numbered lines over TCP (udp-flood N --tcp); {} µs per line",
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
        let counted =
            |tally: &Option<(u64, Tally)>| tally.as_ref().map_or(0, |(_, t)| t.received());
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

/// Whether a receive error only means "an earlier datagram's peer has gone away" (Windows
/// reports an ICMP port unreachable on the next receive) or a signal interrupted the wait.
fn is_peer_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused | ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
