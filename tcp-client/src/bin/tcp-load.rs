//! A load generator for tcp-server: many connections, each doing request/reply round trips.
//!
//! Not a lesson, a measuring tool. Run a release server in one terminal and this in another:
//!
//! ```text
//! cargo run --release -p tcp-server -- --max-clients 2000
//! cargo run --release -p tcp-client --bin tcp-load -- --connections 1000 --seconds 5
//! ```
//!
//! Every connection connects first; then all of them start together and each does
//! "write one line, read its reply" as fast as it can until the time is up. It prints the
//! round trips per second and the latency of one round trip (p50, p99, max).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
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
    let workers = (0..connections)
        .map(|id| {
            let start_line = Arc::clone(&start_line);
            thread::Builder::new()
                .stack_size(256 * 1024) // a few buffers each: no need for the 2 MiB default
                .spawn(move || one_connection(id, addr, &start_line, duration))
                .context("could not start a thread per connection: try fewer --connections")
        })
        .collect::<Result<Vec<_>>>()?;
    start_line.wait();
    let started = Instant::now();

    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for worker in workers {
        let report = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a connection thread panicked"))?;
        latencies.extend(report.latencies_us);
        errors.extend(report.errors);
    }
    let elapsed = started.elapsed().as_secs_f64();

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

fn one_connection(id: usize, addr: SocketAddr, start_line: &Barrier, duration: Duration) -> Report {
    let mut report = Report::default();
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).and_then(|stream| {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        // Small request/reply messages: send each at once instead of waiting to fill a
        // packet (Nagle's algorithm), as any interactive protocol should.
        stream.set_nodelay(true)?;
        Ok(stream)
    });
    start_line.wait();
    let stream = match stream {
        Ok(stream) => stream,
        Err(e) => {
            report.errors.push(format!("connection {id}: connect: {e}"));
            return report;
        }
    };

    let request = format!("ping from connection {id}\n");
    let expected = request.to_uppercase();
    let mut reader = BufReader::new(&stream);
    let mut writer = &stream;
    let mut reply = String::new();
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let sent_at = Instant::now();
        reply.clear();
        let result = writer
            .write_all(request.as_bytes())
            .and_then(|()| reader.read_line(&mut reply));
        match result {
            Ok(_) if reply == expected => {
                let micros = sent_at.elapsed().as_micros();
                report
                    .latencies_us
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            Ok(_) => {
                report
                    .errors
                    .push(format!("connection {id}: unexpected reply {reply:?}"));
                break;
            }
            Err(e) => {
                report.errors.push(format!("connection {id}: {e}"));
                break;
            }
        }
    }
    report
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
