//! What the proxy costs: a large download direct and through the proxy, in the same run,
//! and how many connections per second the proxy sets up; beside it, the same figures for
//! two other SOCKS servers, Dante and microsocks, when they are installed.
//!
//! Run it with optimisations, or you measure the debug build:
//!
//! ```text
//! cargo run --release -p socks-proxy --bin socks-bench
//! ```
//!
//! Everything runs on loopback: a source server that sends as many bytes as it is asked
//! for, the proxy (the lesson's own `serve`, with default settings), and a client, all in
//! this process; and Dante (`sockd`, Debian's `danted` from `dante-server`) and microsocks,
//! each started here with a minimal loopback-only configuration on a free port, and killed
//! at the end (or when the bench fails). One that is not installed is skipped with a line
//! saying so.
//!
//! Each round downloads once direct and once through each proxy, back to back (which one
//! goes first rotates from round to round), and a proxy's figure for the round is its ratio
//! to that round's direct download. The downloads of a round see nearly the same machine
//! load, so the ratio is fair even on a busy machine where the speeds themselves jump
//! about; the median of the rounds' ratios is the result. (The best direct round against
//! the best proxied round would compare moments of different load, and flatter or blacken
//! the proxy by chance.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use socks_proxy::wire::{self, Command, Greeting, Method, ReplyCode, Request, Target};

mod servers;
use servers::Started;

/// The source's and the client's read and write size: fixed, so that changing the proxy's
/// [`socks_proxy::RELAY_BUFFER`] changes only the proxy.
const IO_BUFFER: usize = 64 * 1024;

/// How long a download may go without a byte before the bench gives up on it.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Measures the throughput and connection rate of socks-proxy against a direct connection,
/// beside Dante and microsocks when they are installed.
#[derive(Debug, Parser)]
struct Args {
    /// Size of each download, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    size_mib: u64,

    /// How many rounds, each one download direct and one through each proxy; the median of
    /// the rounds' ratios is the result.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,

    /// How many connections to open, one after another, for the connections-per-second
    /// figure.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    connections: u32,

    /// Download with `nc` (netcat-openbsd: `nc -X 5 -x PROXY`, its output to /dev/null)
    /// instead of this process's own client: a real client, and the way the proxy was
    /// first measured. The source and the proxy stay the same.
    #[arg(long)]
    nc: bool,
}

/// One way to reach the source: direct (no proxy), or through a SOCKS5 server. A server
/// this bench started is killed when its peer is dropped.
struct Peer {
    name: &'static str,
    proxy: Option<SocketAddr>,
    _started: Option<Started>,
}

impl Peer {
    fn connect(&self, source: SocketAddr) -> Result<TcpStream> {
        match self.proxy {
            None => connect_direct(source),
            Some(proxy) => connect_via_proxy(proxy, source)
                .with_context(|| format!("through {} at {proxy}", self.name)),
        }
    }
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
        "source {source}, proxy {proxy}; {} MiB per download by {}; {cpus} CPUs; relay \
         buffer {} KiB{}",
        args.size_mib,
        if args.nc { "nc" } else { "the bench's client" },
        socks_proxy::RELAY_BUFFER / 1024,
        load_average().map_or(String::new(), |load| format!("; load average {load}")),
    );
    let peers = start_peers(proxy);

    // ratios[i]: peer i's speed over direct's, one per round (ratios[0] stays empty).
    let mut ratios = vec![Vec::new(); peers.len()];
    let mut ahead_of_dante = 0;
    for round in 1..=args.rounds as usize {
        // Rotate which goes first, so no peer always gets the warmer (or quieter) turn.
        let mut speeds = vec![0.0; peers.len()];
        for turn in 0..peers.len() {
            let i = (turn + round - 1) % peers.len();
            let took = if args.nc {
                download_with_nc(&peers[i], source, size)
            } else {
                download(peers[i].connect(source)?, size)
            }
            .with_context(|| format!("download {}", peers[i].name))?;
            speeds[i] = mib_per_s(size, took);
        }
        let ratio = |i: usize| speeds[i] / speeds[0];
        let mut line = format!(
            "round {round}: direct {:6.0} MiB/s   via proxy {:6.0} MiB/s   ratio {:.2}",
            speeds[0],
            speeds[1],
            ratio(1)
        );
        for (i, peer) in peers.iter().enumerate().skip(1) {
            ratios[i].push(ratio(i));
            if i > 1 {
                let (name, speed) = (peer.name, speeds[i]);
                line += &format!("   via {name} {speed:6.0} MiB/s ratio {:.2}", ratio(i));
            }
            ahead_of_dante += usize::from(peer.name == "dante" && speeds[1] > speeds[i]);
        }
        println!("{line}");
    }
    let (median, min, max) = summary(&mut ratios[1]).context("no rounds were run")?;
    println!(
        "throughput via proxy / direct, median of {} rounds: {median:.2} (min {min:.2}, \
         max {max:.2}): the proxy costs {:.0}% of direct throughput",
        args.rounds,
        (1.0 - median) * 100.0
    );

    let mut rates = Vec::new();
    for peer in &peers {
        rates.push(connection_rate(args.connections, || peer.connect(source))?);
    }
    println!(
        "connections: direct {:.0}/s, via proxy {:.0}/s \
         (each: connect, SOCKS5 handshake, 1-byte download, close)",
        rates[0], rates[1]
    );

    println!("peer          throughput / direct, median (min, max)   connections/s");
    let mut medians = vec![1.0; peers.len()];
    for (i, peer) in peers.iter().enumerate() {
        let (median, min, max) = summary(&mut ratios[i]).unwrap_or((1.0, 1.0, 1.0));
        medians[i] = median;
        let (name, rate) = (peer.name, rates[i]);
        println!("{name:<13} {median:>5.2} ({min:.2}, {max:.2}) {rate:>34.0}");
    }
    if let Some(dante) = peers.iter().position(|peer| peer.name == "dante") {
        println!(
            "socks-proxy ahead of dante in {ahead_of_dante} of {} rounds (median {:.2} against \
             {:.2}); connections/s {:.0} against {:.0}",
            args.rounds, medians[1], medians[dante], rates[1], rates[dante]
        );
    }
    Ok(())
}

/// Direct, the lesson's proxy at `proxy`, and the other servers that started.
fn start_peers(proxy: SocketAddr) -> Vec<Peer> {
    let peer = |name, proxy| Peer {
        name,
        proxy,
        _started: None,
    };
    let mut peers = vec![peer("direct", None), peer("socks-proxy", Some(proxy))];
    for started in servers::start_others() {
        let (name, proxy) = (started.name, Some(started.addr));
        peers.push(Peer {
            name,
            proxy,
            _started: Some(started),
        });
    }
    peers
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
    stream.set_read_timeout(Some(STALL_TIMEOUT))?;
    let start = Instant::now();
    stream.write_all(&size.to_be_bytes())?;
    let mut buffer = vec![0; IO_BUFFER];
    let mut received = 0;
    loop {
        match stream
            .read(&mut buffer)
            .context("the download stalled or broke")?
        {
            0 => break,
            n => received += n as u64,
        }
    }
    if received != size {
        bail!("received {received} of {size} bytes");
    }
    Ok(start.elapsed())
}

/// Downloads `size` bytes with `nc`, direct or through the peer's proxy, and returns how long
/// it took. nc sends the 8-byte request from its stdin, reads until the source closes, and
/// writes what it got to /dev/null; the source closes only after sending all `size` bytes,
/// and a relay that broke off early makes nc fail or come back too soon to count.
fn download_with_nc(peer: &Peer, source: SocketAddr, size: u64) -> Result<Duration> {
    let mut nc = std::process::Command::new("nc");
    if let Some(proxy) = peer.proxy {
        nc.args(["-X", "5", "-x", &proxy.to_string()]);
    }
    nc.args([source.ip().to_string(), source.port().to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let start = Instant::now();
    let mut child = nc
        .spawn()
        .context("cannot run nc (Debian: apt-get install netcat-openbsd)")?;
    // Written, then closed (dropped): nc's stdin ends, its download goes on.
    let mut stdin = child.stdin.take().context("nc's stdin")?;
    stdin.write_all(&size.to_be_bytes())?;
    drop(stdin);
    let status = child.wait()?;
    if !status.success() {
        bail!("nc failed ({status})");
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
