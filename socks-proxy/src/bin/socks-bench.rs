//! What the proxy costs: a large download direct and through the proxy, in the same run,
//! and how many connections per second the proxy sets up.
//!
//! Run it with optimisations, or you measure the debug build:
//!
//! ```text
//! cargo run --release -p socks-proxy --bin socks-bench
//! ```
//!
//! Everything runs in this process, on loopback: a source server that sends as many bytes
//! as it is asked for, the proxy (the lesson's own `serve`, with default settings), and a
//! client.
//!
//! Each round is a pair: one download direct, one through the proxy, back to back (which
//! goes first alternates), and the pair's ratio is the round's figure. The two halves of a
//! pair see nearly the same machine load, so the ratio is fair even on a busy machine where
//! the speeds themselves jump about; the median of the rounds' ratios is the result. (The
//! best direct round against the best proxied round would compare moments of different
//! load, and flatter or blacken the proxy by chance.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use socks_proxy::wire::{self, Command, Greeting, Method, ReplyCode, Request, Target};

/// The source's and the client's read and write size: fixed, so that changing the proxy's
/// [`socks_proxy::RELAY_BUFFER`] changes only the proxy.
const IO_BUFFER: usize = 64 * 1024;

/// Measures the throughput and connection rate of socks-proxy against a direct connection.
#[derive(Debug, Parser)]
struct Args {
    /// Size of each download, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    size_mib: u64,

    /// How many rounds, each one download direct and one through the proxy; the median of
    /// the rounds' ratios is the result.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,

    /// How many connections to open, one after another, for the connections-per-second
    /// figure.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    connections: u32,
}

fn main() -> ExitCode {
    common::report(run(&Args::parse()))
}

fn run(args: &Args) -> Result<()> {
    let source = start_source()?;
    let proxy = start_proxy()?;
    let size = args.size_mib * 1024 * 1024;
    let cpus = thread::available_parallelism().map_or(0, usize::from);
    println!(
        "source {source}, proxy {proxy}; {} MiB per download; {cpus} CPUs; relay buffer {} KiB{}",
        args.size_mib,
        socks_proxy::RELAY_BUFFER / 1024,
        load_average().map_or(String::new(), |load| format!("; load average {load}")),
    );

    let mut ratios = Vec::new();
    for round in 1..=args.rounds {
        let direct =
            || -> Result<f64> { Ok(mib_per_s(size, download(connect_direct(source)?, size)?)) };
        let proxied = || -> Result<f64> {
            Ok(mib_per_s(
                size,
                download(connect_via_proxy(proxy, source)?, size)?,
            ))
        };
        // Alternate which goes first, so neither always gets the warmer (or quieter) turn.
        let (direct, proxied) = if round % 2 == 1 {
            let d = direct()?;
            (d, proxied()?)
        } else {
            let p = proxied()?;
            (direct()?, p)
        };
        let ratio = proxied / direct;
        println!(
            "round {round}: direct {direct:6.0} MiB/s   via proxy {proxied:6.0} MiB/s   \
             ratio {ratio:.2}"
        );
        ratios.push(ratio);
    }
    let (median, min, max) = summary(&mut ratios).context("no rounds were run")?;
    println!(
        "throughput via proxy / direct, median of {} rounds: {median:.2} (min {min:.2}, \
         max {max:.2}): the proxy costs {:.0}% of direct throughput",
        ratios.len(),
        (1.0 - median) * 100.0
    );

    let direct_rate = connection_rate(args.connections, || connect_direct(source))?;
    let proxied_rate = connection_rate(args.connections, || connect_via_proxy(proxy, source))?;
    println!(
        "connections: direct {direct_rate:.0}/s, via proxy {proxied_rate:.0}/s \
         (each: connect, SOCKS5 handshake, 1-byte download, close)"
    );
    Ok(())
}

/// A server that reads an 8-byte size, sends that many bytes, and closes.
fn start_source() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind the source server")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            thread::spawn(move || send_requested(stream));
        }
    });
    Ok(addr)
}

fn send_requested(mut stream: TcpStream) -> io::Result<()> {
    let mut size = [0; 8];
    stream.read_exact(&mut size)?;
    let mut left = u64::from_be_bytes(size);
    let chunk = vec![0x5A; IO_BUFFER];
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// The lesson's proxy, with its default settings (but `--quiet`), on a free loopback port.
fn start_proxy() -> Result<SocketAddr> {
    let config =
        socks_proxy::Config::try_parse_from(["socks-proxy", "--listen", "127.0.0.1:0", "--quiet"])?;
    let listener = socks_proxy::listen("127.0.0.1:0".parse()?)?;
    let addr = listener.local_addr()?;
    thread::spawn(move || socks_proxy::serve(&listener, Arc::new(config)));
    Ok(addr)
}

fn connect_direct(source: SocketAddr) -> Result<TcpStream> {
    TcpStream::connect(source).context("cannot connect to the source")
}

/// Connects to `target` through the SOCKS5 proxy at `proxy`, with the lesson's encoders.
fn connect_via_proxy(proxy: SocketAddr, target: SocketAddr) -> Result<TcpStream> {
    let mut stream = TcpStream::connect(proxy).context("cannot connect to the proxy")?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&wire::encode_greeting(&Greeting {
        methods: vec![Method::NO_AUTH],
    })?)?;
    let method = read_message(&mut stream, wire::parse_method_selection)?;
    if method != Method::NO_AUTH {
        bail!("the proxy chose method {:#04x}", method.0);
    }
    stream.write_all(&wire::encode_request(&Request {
        command: Command::Connect,
        target: Target::Addr(target),
    }))?;
    let reply = read_message(&mut stream, wire::parse_reply)?;
    if reply.code != ReplyCode::Succeeded {
        bail!("the proxy refused: {:?}", reply.code);
    }
    stream.set_read_timeout(None)?;
    Ok(stream)
}

/// Reads one message byte by byte, so no byte after it is taken from the stream.
fn read_message<T>(stream: &mut TcpStream, parse: fn(&[u8]) -> wire::Parsed<T>) -> Result<T> {
    let mut bytes = Vec::new();
    loop {
        match parse(&bytes) {
            Ok((message, _)) => return Ok(message),
            Err(wire::WireError::Incomplete) => {}
            Err(error) => bail!("bad message from the proxy: {error}"),
        }
        let mut byte = [0];
        stream.read_exact(&mut byte).context("the proxy closed")?;
        bytes.push(byte[0]);
    }
}

/// Asks for `size` bytes on `stream`, reads them all, and returns how long that took.
fn download(mut stream: TcpStream, size: u64) -> Result<Duration> {
    let start = Instant::now();
    stream.write_all(&size.to_be_bytes())?;
    let mut buffer = vec![0; IO_BUFFER];
    let mut received = 0;
    loop {
        match stream.read(&mut buffer)? {
            0 => break,
            n => received += n as u64,
        }
    }
    if received != size {
        bail!("received {received} of {size} bytes");
    }
    Ok(start.elapsed())
}

/// The median, smallest and largest of `values`; `None` if there are none.
fn summary(values: &mut [f64]) -> Option<(f64, f64, f64)> {
    values.sort_by(f64::total_cmp);
    let (&min, &max) = (values.first()?, values.last()?);
    let middle = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    };
    Some((median, min, max))
}

/// The 1-minute load average (Linux): how many threads wanted a CPU, on average. Above the
/// CPU count, the benchmark's own threads had to wait their turn.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

fn mib_per_s(size: u64, took: Duration) -> f64 {
    size as f64 / (1024.0 * 1024.0) / took.as_secs_f64()
}

/// Opens `count` connections one after another, each downloading one byte.
fn connection_rate(count: u32, mut open: impl FnMut() -> Result<TcpStream>) -> Result<f64> {
    let start = Instant::now();
    for _ in 0..count {
        download(open()?, 1)?;
    }
    Ok(f64::from(count) / start.elapsed().as_secs_f64())
}
