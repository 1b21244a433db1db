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
//! client. Direct and proxied rounds alternate, so both see the same machine load.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use socks_proxy::wire::{self, Command, Greeting, Method, ReplyCode, Request, Target};

/// Measures the throughput and connection rate of socks-proxy against a direct connection.
#[derive(Debug, Parser)]
struct Args {
    /// Size of each download, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    size_mib: u64,

    /// How many direct and proxied downloads each (alternating); the best of each counts.
    #[arg(long, value_name = "N", default_value_t = 3)]
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
    println!(
        "source {source}, proxy {proxy}; {} MiB per download",
        args.size_mib
    );

    let (mut direct_best, mut proxied_best) = (0.0_f64, 0.0_f64);
    for round in 1..=args.rounds {
        let direct = mib_per_s(size, download(connect_direct(source)?, size)?);
        let proxied = mib_per_s(size, download(connect_via_proxy(proxy, source)?, size)?);
        println!("round {round}: direct {direct:8.0} MiB/s   via proxy {proxied:8.0} MiB/s");
        direct_best = direct_best.max(direct);
        proxied_best = proxied_best.max(proxied);
    }
    let ratio = proxied_best / direct_best;
    println!(
        "throughput: direct {direct_best:.0} MiB/s, via proxy {proxied_best:.0} MiB/s: \
         the proxy keeps {:.0}% (costs {:.0}%)",
        ratio * 100.0,
        (1.0 - ratio) * 100.0
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
    let chunk = vec![0x5A; socks_proxy::RELAY_BUFFER];
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
    let mut buffer = vec![0; socks_proxy::RELAY_BUFFER];
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
