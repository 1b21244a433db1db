//! The loss-and-order experiment, the sending side (`udp-client --flood N`).
//!
//! Sends N numbered datagrams to `udp-server --count`, as fast as it can or at `--rate R`,
//! then asks the counter what arrived and prints both sides' view. With `--tcp` the same
//! numbered messages go over one TCP connection to `udp-server --count --tcp` instead.
//!
//! The flood stays on loopback: it sends as fast as the machine can, which on a shared
//! network would hurt everyone else on it (and UDP has no congestion control to hold it
//! back). It is bounded in count ([`MAX_FLOOD`](udp_server::experiment::MAX_FLOOD)) and in time ([`MAX_FLOOD_TIME`]).

use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use udp_server::experiment::{Message, Summary};

use crate::{Config, dial};

/// The longest a flood may send before it stops early (and reports what it sent).
pub const MAX_FLOOD_TIME: Duration = Duration::from_secs(30);

/// How long to wait for the counter's summary, each time `END` is sent.
const SUMMARY_WAIT: Duration = Duration::from_secs(1);

/// How many times `END` is sent before giving up: it is a datagram too, and may be lost
/// (or wait behind a full buffer of datagrams that a slow counter still has to read).
const SUMMARY_TRIES: u32 = 10;

/// What one flood did, seen from both ends.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Numbered datagrams (or lines) handed to the OS.
    pub sent: u64,
    /// Time from the first send to the last.
    pub elapsed: Duration,
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

/// Runs the experiment for `udp-client --flood N` and prints the result on `output`.
pub fn run(config: &Config, count: u64, output: &mut impl Write) -> Result<()> {
    let server = loopback_only(&config.connect)?;
    let protocol = if config.tcp { "TCP" } else { "UDP" };
    let pace = match config.rate {
        Some(rate) => format!("at {rate} per second"),
        None => "as fast as possible".to_owned(),
    };
    writeln!(
        output,
        "flood: {count} numbered messages of {} bytes to {server} over {protocol}, {pace}",
        config.size
    )?;
    output.flush()?;
    let report = if config.tcp {
        flood_tcp(server, count, config.rate, config.size)?
    } else {
        flood_udp(server, count, config.rate, config.size)?
    };
    let summary = report.summary;
    if report.sent < count {
        writeln!(
            output,
            "stopped after {} s: sent {} of {count}",
            MAX_FLOOD_TIME.as_secs(),
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
    writeln!(
        output,
        "the server counted: received {}, lost {} ({:.1} %), duplicated {}, out of order {}",
        summary.received,
        summary.lost,
        summary.lost_percent(),
        summary.duplicated,
        summary.out_of_order
    )?;
    Ok(())
}

/// Resolves `addr` and refuses anything but a loopback address.
pub fn loopback_only(addr: &str) -> Result<SocketAddr> {
    let server = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot use {addr:?} as an address: give IP:PORT"))?
        .next()
        .with_context(|| format!("{addr} did not resolve to any IP address"))?;
    if !server.ip().is_loopback() {
        bail!(
            "the flood only runs on loopback (127.0.0.1 or [::1]), not {server}: it sends as \
             fast as it can, which would swamp a real network"
        );
    }
    Ok(server)
}

/// A fresh run number, so the counter never mixes two runs. Only 32 bits: shorter lines.
fn new_run() -> u64 {
    RandomState::new().hash_one(Instant::now()) & 0xffff_ffff
}

/// Waits until datagram `seq` is due, when sending at `rate` per second from `start`.
fn pace(rate: Option<u64>, start: Instant, seq: u64) {
    if let Some(rate) = rate {
        let due = start + Duration::from_secs_f64(seq as f64 / rate as f64);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
    }
}

// ANCHOR: flood_udp
/// Sends `count` numbered datagrams of `size` bytes to the counter at `server`.
pub fn flood_udp(server: SocketAddr, count: u64, rate: Option<u64>, size: usize) -> Result<Report> {
    let socket = dial(&server.to_string())?;
    let run = new_run();
    let mut datagram = Vec::with_capacity(size);
    let mut longest_send = Duration::ZERO;
    let start = Instant::now();
    let mut sent = 0;
    while sent < count && start.elapsed() < MAX_FLOOD_TIME {
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
    let summary = ask_summary(&socket, server, run, sent)?;
    Ok(Report {
        sent,
        elapsed,
        longest_send,
        summary,
    })
}
// ANCHOR_END: flood_udp

/// Sends `END` until the counter answers with its summary (it is a datagram: it may be lost).
fn ask_summary(socket: &UdpSocket, server: SocketAddr, run: u64, sent: u64) -> Result<Summary> {
    socket.set_read_timeout(Some(SUMMARY_WAIT))?;
    let mut end = Vec::new();
    Message::End { run, sent }.encode(0, &mut end);
    let mut reply = vec![0; udp_server::RECEIVE_BUFFER];
    for _ in 0..SUMMARY_TRIES {
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
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(e) => return Err(not_counting(e, server)),
            }
        }
    }
    bail!(
        "the counter at {server} did not answer within {} s: is it `udp-server --count`?",
        SUMMARY_WAIT.as_secs() * u64::from(SUMMARY_TRIES)
    )
}

// ANCHOR: flood_tcp
/// The same flood over TCP: numbered lines on one connection to `udp-server --count --tcp`.
pub fn flood_tcp(server: SocketAddr, count: u64, rate: Option<u64>, size: usize) -> Result<Report> {
    let stream = TcpStream::connect_timeout(&server, SUMMARY_WAIT).map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "cannot connect to {server}: is `udp-server --count --tcp` running there?"
        ))
    })?;
    // A receiver that stops reading entirely would block `write_all` for ever.
    stream.set_write_timeout(Some(MAX_FLOOD_TIME))?;
    stream.set_read_timeout(Some(MAX_FLOOD_TIME))?;
    let run = new_run();
    let mut line = Vec::with_capacity(size);
    let mut longest_send = Duration::ZERO;
    let mut writer = &stream;
    let start = Instant::now();
    let mut sent = 0;
    while sent < count && start.elapsed() < MAX_FLOOD_TIME {
        pace(rate, start, sent);
        Message::Record {
            run,
            seq: sent,
            total: count,
        }
        .encode(size, &mut line);
        let before = Instant::now();
        // When the receiver's window is full, `write_all` waits here: TCP slows the sender
        // down to the receiver's pace instead of dropping anything.
        writer
            .write_all(&line)
            .with_context(|| format!("the counter at {server} stopped reading"))?;
        longest_send = longest_send.max(before.elapsed());
        sent += 1;
    }
    let elapsed = start.elapsed();
    Message::End { run, sent }.encode(0, &mut line);
    writer.write_all(&line)?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .take(1024)
        .read_line(&mut answer)
        .with_context(|| format!("no summary from the counter at {server}"))?;
    let summary: Summary = answer
        .trim_end()
        .parse()
        .with_context(|| format!("the counter at {server} answered {answer:?}"))?;
    Ok(Report {
        sent,
        elapsed,
        longest_send,
        summary: check(summary, sent)?,
    })
}
// ANCHOR_END: flood_tcp

/// Makes sure the counter's summary is about what we sent, and adds up.
fn check(summary: Summary, sent: u64) -> Result<Summary> {
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
             with `cargo run -p udp-server -- --count --listen {server}`"
        )
    } else {
        format!("could not send to {server}")
    };
    anyhow::Error::new(error).context(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flood_refuses_addresses_off_this_machine() {
        assert!(loopback_only("127.0.0.1:8001").is_ok());
        assert!(loopback_only("[::1]:8001").is_ok());
        assert!(loopback_only("192.0.2.1:8001").is_err());
    }
}
