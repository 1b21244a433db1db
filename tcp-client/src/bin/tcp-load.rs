//! A load generator for tcp-server: many connections, each doing request/reply round trips.
//!
//! Not a lesson, a measuring tool. Run a release server in one terminal and this in another:
//!
//! ```text
//! cargo run --release -p tcp-server -- --max-clients 2000
//! cargo run --release -p tcp-client --bin tcp-load -- --connections 1000 --seconds 5
//! ```
//!
//! Every connection connects first and makes one round trip, so it is known to be accepted
//! (a `connect` can succeed while the server's accept queue is full and the connection is
//! never served). Connections open at most [`OPEN_AT_ONCE`] at a time, because std's listen
//! backlog is 128. Then all of them start together and each does "write one line, read its
//! reply" as fast as it can until the time is up. It prints the round trips per second and
//! the latency of one round trip (p50, p99, max).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;

/// Opens many connections to a tcp-server and measures round trips per second and latency.
#[derive(Debug, Parser)]
#[command(version)]
struct Config {
    /// Address of the tcp-server; only loopback addresses are accepted.
    #[arg(long, value_name = "ADDR", default_value = common::TCP_ADDR)]
    connect: String,

    /// Connections open at the same time (1 to 5000).
    #[arg(long, value_name = "C", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=5000))]
    connections: u32,

    /// Seconds of round trips after every connection is open (1 to 60).
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    seconds: u64,
}

/// How many connections are opened at the same time, below std's listen backlog of 128.
const OPEN_AT_ONCE: usize = 100;

/// How long one connect or one reply may take before it counts as an error.
const PATIENCE: Duration = Duration::from_secs(10);

/// What one connection measured.
#[derive(Debug, Default)]
struct Report {
    /// The duration of each round trip, in microseconds.
    latencies_us: Vec<u32>,
    errors: Vec<String>,
}

fn main() -> ExitCode {
    common::report(run(&Config::parse()))
}

fn run(config: &Config) -> Result<()> {
    let addr = loopback_addr(&config.connect)?;
    let connections = config.connections as usize;
    let duration = Duration::from_secs(config.seconds);
    println!(
        "{connections} connections to {addr}, {} s of round trips each",
        config.seconds
    );

    // Everyone connects, then waits here, so the measured seconds have all C connections.
    let start_line = Arc::new(Barrier::new(connections + 1));
    let (ready_tx, ready_rx) = mpsc::channel();
    let mut workers = Vec::with_capacity(connections);
    let mut opening = 0; // started, first round trip not reported yet
    for id in 0..connections {
        let start_line = Arc::clone(&start_line);
        let ready = ready_tx.clone();
        let worker = thread::Builder::new()
            .stack_size(256 * 1024) // a few buffers each: no need for the 2 MiB default
            .spawn(move || one_connection(id, addr, &ready, &start_line, duration))
            .context("could not start a thread per connection: try fewer --connections")?;
        workers.push(worker);
        opening += 1;
        // Let each group finish its handshake and first round trip before the next opens.
        if opening == OPEN_AT_ONCE || id + 1 == connections {
            for _ in 0..opening {
                ready_rx
                    .recv_timeout(2 * PATIENCE)
                    .context("a connection neither opened nor failed in time")?;
            }
            opening = 0;
        }
    }
    start_line.wait();

    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for worker in workers {
        let report = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a connection thread panicked"))?;
        latencies.extend(report.latencies_us);
        errors.extend(report.errors);
    }
    // Round trips are counted only if they ended within the time, so this is the rate.
    let elapsed = duration.as_secs_f64();

    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(index).copied().unwrap_or(0)
    };
    println!(
        "round trips: {} in {elapsed:.2} s = {:.0} per second",
        latencies.len(),
        latencies.len() as f64 / elapsed
    );
    println!(
        "latency: p50 {} us, p99 {} us, max {} us",
        percentile(0.50),
        percentile(0.99),
        latencies.last().copied().unwrap_or(0)
    );
    println!("errors: {}", errors.len());
    for error in errors.iter().take(5) {
        println!("  {error}");
    }
    ensure!(
        errors.is_empty(),
        "{} of {connections} connections had errors",
        errors.len()
    );
    Ok(())
}

fn one_connection(
    id: usize,
    addr: SocketAddr,
    ready: &mpsc::Sender<()>,
    start_line: &Barrier,
    duration: Duration,
) -> Report {
    let mut report = Report::default();
    let request = format!("ping from connection {id}\n");
    let expected = request.to_uppercase();
    // Connect, then one round trip: only a served connection takes part in the measurement.
    let opened = TcpStream::connect_timeout(&addr, PATIENCE)
        .and_then(|stream| {
            stream.set_read_timeout(Some(PATIENCE))?;
            stream.set_write_timeout(Some(PATIENCE))?;
            // Small request/reply messages: send each at once instead of waiting to fill a
            // packet (Nagle's algorithm), as any interactive protocol should.
            stream.set_nodelay(true)?;
            Ok(stream)
        })
        .map_err(|e| format!("connection {id}: connect: {e}"))
        .and_then(|stream| {
            let mut reply = String::new();
            round_trip(
                &mut BufReader::new(&stream),
                &request,
                &expected,
                &mut reply,
            )
            .map(|()| stream)
            .map_err(|e| format!("connection {id}: first round trip: {e}"))
        });
    let _ = ready.send(());
    start_line.wait();
    let stream = match opened {
        Ok(stream) => stream,
        Err(error) => {
            report.errors.push(error);
            return report;
        }
    };

    let mut reader = BufReader::new(&stream);
    let mut reply = String::new();
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let sent_at = Instant::now();
        if let Err(e) = round_trip(&mut reader, &request, &expected, &mut reply) {
            report.errors.push(format!("connection {id}: {e}"));
            break;
        }
        if Instant::now() <= deadline {
            let micros = sent_at.elapsed().as_micros();
            report
                .latencies_us
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
        }
    }
    report
}

/// Writes `request` and reads one line, which must be `expected`.
fn round_trip(
    reader: &mut BufReader<&TcpStream>,
    request: &str,
    expected: &str,
    reply: &mut String,
) -> Result<(), String> {
    let mut writer = *reader.get_ref();
    writer
        .write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    reply.clear();
    reader.read_line(reply).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no reply within {} s", PATIENCE.as_secs())
        }
        _ => format!("read: {e}"),
    })?;
    if reply == expected {
        Ok(())
    } else {
        Err(format!("unexpected reply {reply:?}"))
    }
}

/// Resolves `addr` and refuses anything but loopback: a load generator aimed at someone
/// else's machine is an attack, not a benchmark.
fn loopback_addr(addr: &str) -> Result<SocketAddr> {
    let resolved = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot use {addr:?}: give IP:PORT, e.g. 127.0.0.1:8000"))?
        .next()
        .with_context(|| format!("{addr} resolved to no address"))?;
    if !resolved.ip().is_loopback() {
        bail!(
            "{resolved} is not a loopback address: tcp-load only measures servers on this machine"
        );
    }
    Ok(resolved)
}
