//! The sending side of the experiment (`udp-flood N`); over TCP see [`crate::tcp_flood`].
//!
//! Sends N numbered datagrams to `udp-count`, as fast as it can or at `--rate R`, then asks
//! the counter what arrived and prints both sides' view. With `--tcp` the same numbered
//! messages go over one TCP connection to `udp-count --tcp` instead.
//!
//! The flood stays on loopback: it sends as fast as the machine can, which on a shared
//! network would hurt everyone else on it (and UDP has no congestion control to hold it
//! back). It is bounded in count ([`MAX_FLOOD`](crate::protocol::MAX_FLOOD)) and in
//! time: the whole run, sending and waiting for the summary, ends by one deadline
//! (`--time-limit`, [`FLOOD_TIME_LIMIT`] by default). It sends for at most a third of that
//! time ([`sending_time`]); the rest is for the counter to read what still waits in the
//! buffers.

use std::hash::{BuildHasher, RandomState};
use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::protocol::{Message, Summary};
use crate::{RECEIVE_BUFFER, is_timeout, loopback_only};

/// The default time limit of a whole flood: sending, then waiting for the summary.
pub const FLOOD_TIME_LIMIT: Duration = Duration::from_secs(30);

/// How long a flood with `time_limit` may send: a third of it.
///
/// The rest is for the counter to catch up. Over TCP up to ~4 MB can still wait in the
/// kernel's buffers when the sender stops; a counter pausing 100 µs per 48-byte line (the
/// slowest `udp-count --tcp` allows) needs about 15 s to read that on a busy
/// 2-core machine.
pub fn sending_time(time_limit: Duration) -> Duration {
    time_limit / 3
}

/// How long to wait for the counter's summary each time `END` is sent over UDP (`END` is a
/// datagram too, and may be lost), and for the TCP connection to be set up.
pub(crate) const SUMMARY_WAIT: Duration = Duration::from_secs(1);

/// What one flood did, seen from both ends.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Numbered datagrams (or lines) handed to the OS.
    pub sent: u64,
    /// Time from the first send to the last.
    pub elapsed: Duration,
    /// Time from the first send until the counter's summary arrived: only then had it read
    /// everything.
    pub finished: Duration,
    /// The longest a single send had to wait: how hard the receiver pushed back.
    pub longest_send: Duration,
    /// What the counter saw.
    pub summary: Summary,
}

impl Report {
    /// Sending rate, in datagrams per second.
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// One flood, as `udp-flood`'s arguments describe it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The counter's address (loopback only).
    pub connect: String,
    /// How many numbered messages to send.
    pub count: u64,
    /// Messages per second; `None`: as fast as possible.
    pub rate: Option<u64>,
    /// Bytes per message.
    pub size: usize,
    /// Over TCP instead of UDP.
    pub tcp: bool,
    /// The whole run ends within this.
    pub time_limit: Duration,
}

/// Runs the flood that `plan` describes and prints the result on `output`.
pub fn run(plan: &Plan, output: &mut impl Write) -> Result<()> {
    let (count, limit) = (plan.count, plan.time_limit);
    let server = loopback_only(&plan.connect)?;
    let protocol = if plan.tcp { "TCP" } else { "UDP" };
    let pace = match plan.rate {
        Some(rate) => format!("at {rate} per second"),
        None => "as fast as possible".to_owned(),
    };
    writeln!(
        output,
        "flood: {count} numbered messages of {} bytes to {server} over {protocol}, {pace}",
        plan.size
    )?;
    output.flush()?;
    let report = if plan.tcp {
        crate::tcp_flood::flood_tcp(server, count, plan.rate, plan.size, limit)?
    } else {
        flood_udp(server, count, plan.rate, plan.size, limit)?
    };
    let summary = report.summary;
    if report.sent < count {
        writeln!(
            output,
            "stopped sending after {:.1} s (a third of the --time-limit of {:.1} s): sent {} of \
             {count}",
            sending_time(limit).as_secs_f64(),
            limit.as_secs_f64(),
            report.sent
        )?;
    }
    writeln!(
        output,
        "sent {} in {:.3} s ({:.0} per second); longest single send: {:.1} ms",
        report.sent,
        report.elapsed.as_secs_f64(),
        report.rate(),
        report.longest_send.as_secs_f64() * 1000.0
    )?;
    if plan.tcp {
        // `write` returned when the kernel had the bytes, not when the counter read them.
        writeln!(
            output,
            "the counter had read them all after {:.3} s ({:.0} per second)",
            report.finished.as_secs_f64(),
            report.sent as f64 / report.finished.as_secs_f64().max(1e-9)
        )?;
    }
    writeln!(
        output,
        "the server counted: received {}, lost {} ({:.2} %), duplicated {}, out of order {}",
        summary.received,
        summary.lost,
        summary.lost_percent(),
        summary.duplicated,
        summary.out_of_order
    )?;
    Ok(())
}

/// A fresh run number, so the counter never mixes two runs. Only 32 bits: shorter lines.
pub(crate) fn new_run() -> u64 {
    RandomState::new().hash_one(Instant::now()) & 0xffff_ffff
}

/// Waits until datagram `seq` is due, when sending at `rate` per second from `start`.
pub(crate) fn pace(rate: Option<u64>, start: Instant, seq: u64) {
    if let Some(rate) = rate {
        let due = start + Duration::from_secs_f64(seq as f64 / rate as f64);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
    }
}

// ANCHOR: flood_udp
/// Sends `count` numbered datagrams of `size` bytes to the counter at `server`, and gets
/// its summary, all within `time_limit`.
pub fn flood_udp(
    server: SocketAddr,
    count: u64,
    rate: Option<u64>,
    size: usize,
    time_limit: Duration,
) -> Result<Report> {
    let socket = dial(server)?;
    let run = new_run();
    let mut datagram = Vec::with_capacity(size);
    let mut longest_send = Duration::ZERO;
    let start = Instant::now();
    let (stop_sending, deadline) = (start + sending_time(time_limit), start + time_limit);
    let mut sent = 0;
    while sent < count && Instant::now() < stop_sending {
        pace(rate, start, sent);
        Message::Record {
            run,
            seq: sent,
            total: count,
        }
        .encode(size, &mut datagram);
        let before = Instant::now();
        // `send` returns as soon as the datagram is queued. Whether the receiver had room
        // for it, the sender never learns: a full receive buffer drops it silently.
        socket
            .send(&datagram)
            .map_err(|e| not_counting(e, server))?;
        longest_send = longest_send.max(before.elapsed());
        sent += 1;
    }
    let elapsed = start.elapsed();
    let summary = ask_summary(&socket, server, run, sent, deadline)?;
    Ok(Report {
        sent,
        elapsed,
        finished: start.elapsed(),
        longest_send,
        summary,
    })
}
// ANCHOR_END: flood_udp

/// Sends `END` until the counter answers with its summary (it is a datagram: it may be lost,
/// or wait behind a full buffer of datagrams that a slow counter still has to read).
fn ask_summary(
    socket: &UdpSocket,
    server: SocketAddr,
    run: u64,
    sent: u64,
    deadline: Instant,
) -> Result<Summary> {
    let mut end = Vec::new();
    Message::End { run, sent }.encode(0, &mut end);
    let mut reply = vec![0; RECEIVE_BUFFER];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        socket.set_read_timeout(Some(left.min(SUMMARY_WAIT)))?;
        socket.send(&end).map_err(|e| not_counting(e, server))?;
        loop {
            match socket.recv(&mut reply) {
                Ok(len) => {
                    let text = String::from_utf8_lossy(&reply[..len]);
                    match text.trim_end().parse::<Summary>() {
                        Ok(summary) if summary.run == run => return check(summary, sent),
                        // Something else (an answer to an earlier END): keep waiting.
                        _ => {}
                    }
                }
                Err(e) if is_timeout(&e) => break,
                Err(e) => return Err(not_counting(e, server)),
            }
        }
    }
    bail!(
        "the counter at {server} did not answer END before the time limit: is it \
         `udp-count`?"
    )
}

/// Makes sure the counter's summary is about what we sent, and adds up.
pub(crate) fn check(summary: Summary, sent: u64) -> Result<Summary> {
    if summary.sent != sent || summary.received + summary.lost != summary.sent {
        bail!("the counter's summary does not add up: {summary} (we sent {sent})");
    }
    Ok(summary)
}

/// Explains a send or receive error during the flood.
fn not_counting(error: std::io::Error, server: SocketAddr) -> anyhow::Error {
    let message = if error.kind() == ErrorKind::ConnectionRefused {
        format!(
            "nothing is listening on {server} (ICMP port unreachable): start the counter \
             with `cargo run -p udp-loss --bin udp-count -- --listen {server}`"
        )
    } else {
        format!("could not send to {server}")
    };
    anyhow::Error::new(error).context(message)
}

/// A UDP socket on a free port of our own, connected to `server`: `send` and `recv` then
/// talk to the counter alone.
fn dial(server: SocketAddr) -> Result<UdpSocket> {
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    };
    let socket = UdpSocket::bind(local).context("could not create a UDP socket")?;
    socket
        .connect(server)
        .with_context(|| format!("cannot send to {server}"))?;
    Ok(socket)
}
