//! Benchmark of the UDP lesson: round trips per second and latency of the echo server, and
//! the flood rate the loss experiment's counter (`udp-count`, a different loop that counts
//! and never replies) sustains before its buffer overflows.
//!
//! Round trips (a release server, without its per-datagram log line), two terminals:
//!
//! ```text
//! cargo run --release -p udp-server -- --quiet
//! cargo run --release -p udp-loss --bin udp-bench
//! ```
//!
//! The sustained rate (the counter, then a sweep of flood rates):
//!
//! ```text
//! cargo run --release -p udp-loss --bin udp-count
//! cargo run --release -p udp-loss --bin udp-bench -- --sweep
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use udp_loss::flood::{FLOOD_TIME_LIMIT, flood_udp};
use udp_loss::loopback_only;

/// Measures udp-server: round trips per second and latency with 1 and 64 client sockets,
/// or (with --sweep) the datagrams per second a `udp-count` takes without loss.
#[derive(Debug, Parser)]
#[command(version)]
struct Config {
    /// Address of the server, as IP:PORT. Loopback only.
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    connect: String,

    /// Round trips per measurement, shared among the sockets.
    #[arg(long, value_name = "N", default_value_t = 50_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    round_trips: u64,

    /// Client socket counts to measure, comma-separated. Each socket runs on its own thread
    /// and keeps one request in flight.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = [1, 64],
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    sockets: Vec<u64>,

    /// Milliseconds to wait for each reply before counting it as lost.
    #[arg(long, value_name = "MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    timeout_ms: u64,

    /// Instead of round trips: flood `udp-count` at rising rates and report the
    /// highest rate below the first one that lost datagrams. This measures the counter's
    /// loop, not the echo server's.
    #[arg(long)]
    sweep: bool,
}

/// No measurement runs longer than this, whatever the arguments.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let config = Config::parse();
    common::report(if config.sweep {
        sweep(&config)
    } else {
        round_trips(&config)
    })
}

/// Round trips with each socket count in `--sockets`, one line of figures each.
fn round_trips(config: &Config) -> Result<()> {
    let server = loopback_only(&config.connect)?;
    let timeout = Duration::from_millis(config.timeout_ms);
    println!(
        "round trips to {server}: {} per measurement, {}-byte datagrams",
        config.round_trips,
        request(0, 0).len()
    );
    for &sockets in &config.sockets {
        let per_socket = config.round_trips.div_ceil(sockets);
        let start = Instant::now();
        let workers: Vec<_> = (0..sockets)
            .map(|id| thread::spawn(move || one_socket(server, id, per_socket, timeout)))
            .collect();
        let mut latencies = Vec::new();
        let mut lost = 0;
        for worker in workers {
            let Ok(result) = worker.join() else {
                bail!("a client thread failed");
            };
            let (mut times, worker_lost) = result?;
            latencies.append(&mut times);
            lost += worker_lost;
        }
        let elapsed = start.elapsed();
        latencies.sort_unstable();
        let percentile = |p: usize| {
            latencies
                .get(latencies.len() * p / 100)
                .map_or(0.0, |d| d.as_secs_f64() * 1e6)
        };
        println!(
            "{sockets:>4} socket(s): {:>8.0} round trips/s   p50 {:>7.1} µs   p99 {:>7.1} µs   \
             lost {lost} of {}",
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(50),
            percentile(99),
            latencies.len() as u64 + lost,
        );
    }
    Ok(())
}

/// One client socket: `count` request/reply round trips, one at a time.
///
/// Returns each answered round trip's time and the number of requests left unanswered.
fn one_socket(
    server: SocketAddr,
    id: u64,
    count: u64,
    timeout: Duration,
) -> Result<(Vec<Duration>, u64)> {
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    };
    let socket = UdpSocket::bind(local).context("could not create a UDP socket")?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(timeout))?;
    let mut latencies = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut lost = 0;
    let mut reply = [0; 64];
    let begun = Instant::now();
    for seq in 0..count {
        if begun.elapsed() > TIME_LIMIT {
            break;
        }
        let request = request(id, seq);
        let expected = request.to_uppercase();
        let sent_at = Instant::now();
        socket
            .send(request.as_bytes())
            .with_context(|| format!("could not send to {server}: is udp-server running?"))?;
        loop {
            match socket.recv(&mut reply) {
                Ok(len) if reply[..len] == *expected.as_bytes() => {
                    latencies.push(sent_at.elapsed());
                    break;
                }
                Ok(_) => {} // A late reply to an earlier request: keep waiting for ours.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "nothing is listening on {server}: start `cargo run --release -p \
                         udp-server -- --quiet --listen {server}`"
                    )));
                }
                Err(_) => {
                    lost += 1;
                    break;
                }
            }
        }
    }
    Ok((latencies, lost))
}

/// Request number `seq` of client socket `id`: always the same length.
///
/// Numbered, so that a late reply to an earlier request is not taken for this one's.
fn request(id: u64, seq: u64) -> String {
    format!("ping {id:>4} {seq:>12} ..........")
}

/// Floods the counter at rising rates; reports the highest rate below the first loss.
///
/// Not simply the highest lossless rate: a rate that happened to lose nothing above one that
/// lost is luck, not a rate the counter sustains.
fn sweep(config: &Config) -> Result<()> {
    let server = loopback_only(&config.connect)?;
    println!("flood sweep against the counter at {server}: 64-byte datagrams");
    println!(
        "{:>12}  {:>12}  {:>9}  {:>8}",
        "target/s", "achieved/s", "sent", "lost"
    );
    let rates = [
        Some(25_000),
        Some(50_000),
        Some(100_000),
        Some(200_000),
        Some(300_000),
        Some(400_000),
        Some(600_000),
        Some(800_000),
        None,
    ];
    // The highest rate so far without loss, and whether some rate has lost already.
    let mut sustained: Option<f64> = None;
    let mut lost_once = false;
    let begun = Instant::now();
    for rate in rates {
        if begun.elapsed() > TIME_LIMIT {
            break;
        }
        // Half a second of traffic at the target rate, at least 20,000 datagrams.
        let count = rate.map_or(200_000, |r| (r / 2).clamp(20_000, 200_000));
        let report = flood_udp(server, count, rate, 64, FLOOD_TIME_LIMIT)?;
        let target = rate.map_or("max".to_owned(), |r| r.to_string());
        println!(
            "{target:>12}  {:>12.0}  {:>9}  {:>7.2}%",
            report.rate(),
            report.sent,
            report.summary.lost_percent()
        );
        if report.summary.lost > 0 {
            lost_once = true;
        } else if !lost_once {
            sustained = Some(sustained.map_or(report.rate(), |best| best.max(report.rate())));
        }
        // Let the counter empty its buffer before the next rate.
        thread::sleep(Duration::from_millis(200));
    }
    match sustained {
        Some(rate) => println!(
            "sustained without loss: {rate:.0} datagrams/s (the highest rate below the first loss)"
        ),
        None => println!("lost datagrams already at the lowest rate tried"),
    }
    Ok(())
}
