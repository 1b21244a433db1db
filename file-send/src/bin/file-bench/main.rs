//! Benchmark: sends a 1 GiB file over loopback with the release builds of `file-send` and
//! `file-recv`, three times, then pipes the same file through `nc` for comparison, and
//! prints wall time, MB/s, and each side's peak memory and CPU time.
//!
//! Run it with: `cargo run --release -p file-send --bin file-bench`
//!
//! Peak memory and CPU time come from GNU time (`/usr/bin/time -f`), which asks the kernel
//! (`wait4`'s resource usage) when each process ends: exact, and the same for every tool.
//! Before the end-to-end runs, an in-process sweep over buffer sizes shows why the lessons
//! use 128 KiB, and a hashing run shows what SHA-256 costs on this CPU.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use sha2::{Digest, Sha256};

const GNU_TIME: &str = "/usr/bin/time";

/// Measures file-send + file-recv against nc on a large file over loopback.
#[derive(Debug, Parser)]
struct Options {
    /// Size of the test file in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,

    /// How many times to send it with file-send.
    #[arg(long, default_value_t = 3)]
    runs: u32,

    /// Directory for the test file and the received copies (removed at the end).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The figures of one transfer.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// From starting the sender until it exited (for file-send: until it was confirmed).
    wall: f64,
    /// file-send only: from `OK` until our FIN, before the receiver saved the file.
    streamed: Option<f64>,
    send: Usage,
    recv: Usage,
}

/// What GNU time reported about one process.
#[derive(Debug, Clone, Copy)]
struct Usage {
    peak_kib: u64,
    cpu_seconds: f64,
}

fn main() -> std::process::ExitCode {
    common::report(run(&Options::parse()))
}

fn run(options: &Options) -> Result<()> {
    if !Path::new(GNU_TIME).exists() {
        bail!("{GNU_TIME} is missing: install GNU time (Debian: apt-get install time)");
    }
    let (sender, receiver) = build_release_binaries()?;
    let work = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .context("cannot create a working directory")?;
    let size = options.size_mib << 20;

    println!("== SHA-256 on this CPU (in memory, 256 MiB)");
    hashing_speed();
    println!("\n== buffer size: in-process loopback copy of 512 MiB, SHA-256 on both sides");
    for buffer in [8 << 10, 32 << 10, 128 << 10, 512 << 10, 2 << 20] {
        buffer_sweep(buffer, 512 << 20)?;
    }

    println!(
        "\n== end to end: {} MiB file, release builds",
        options.size_mib
    );
    let path = work.path().join("bench.bin");
    let written = Instant::now();
    write_test_file(&path, size)?;
    println!(
        "(wrote the test file in {:.1} s; the page cache holds it, so the disk is not measured)",
        written.elapsed().as_secs_f64()
    );
    println!(
        "{:<10} {:>3} {:>7} {:>7} {:>10} {:>12} {:>12} {:>9} {:>9}",
        "tool",
        "run",
        "wall s",
        "MB/s",
        "stream MB/s",
        "send peak",
        "recv peak",
        "send CPU",
        "recv CPU"
    );
    for run in 1..=options.runs {
        let target = work.path().join(format!("received-{run}"));
        fs::create_dir(&target)?;
        let figures = file_send_once(&sender, &receiver, &path, &target, work.path())?;
        print_row("file-send", run, size, figures);
        fs::remove_dir_all(&target)?;
    }
    match nc_once(&path, work.path()) {
        Ok((plain, synced)) => {
            print_row("nc", 1, size, plain);
            print_row("nc + sync", 1, size, synced);
        }
        Err(error) => println!("nc: not measured: {error:#}"),
    }
    println!(
        "\nfile-send: 128 KiB buffers on both sides, SHA-256 checked end to end, the copy \
         synced every 64 MiB while it arrives and fsynced before the confirmation.\nnc: no \
         check, no fsync; `nc + sync` adds `sync FILE` after nc, for the same durability."
    );
    // `work` is removed here, with the test file and the copies.
    Ok(())
}

fn print_row(tool: &str, run: u32, size: u64, row: Row) {
    let rate = |seconds: f64| format!("{:.0}", size as f64 / seconds / 1e6);
    println!(
        "{tool:<10} {run:>3} {:>7.2} {:>7} {:>11} {:>8.1} MiB {:>8.1} MiB {:>7.2} s {:>7.2} s",
        row.wall,
        rate(row.wall),
        row.streamed.map_or_else(|| "-".to_owned(), rate),
        row.send.peak_kib as f64 / 1024.0,
        row.recv.peak_kib as f64 / 1024.0,
        row.send.cpu_seconds,
        row.recv.cpu_seconds,
    )
}

/// Builds both lesson binaries in release mode and returns their paths.
fn build_release_binaries() -> Result<(PathBuf, PathBuf)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "file-send",
            "-p",
            "file-recv",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let here = std::env::current_exe()?;
    let dir = here.parent().context("the benchmark's own directory")?;
    let exe = std::env::consts::EXE_SUFFIX;
    Ok((
        dir.join(format!("file-send{exe}")),
        dir.join(format!("file-recv{exe}")),
    ))
}

/// Writes `size` bytes of a pattern that changes every MiB (not zeros: no file system or
/// network trick may shortcut it).
fn write_test_file(path: &Path, size: u64) -> Result<()> {
    let mut file = File::create(path)?;
    let mut block: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut written = 0;
    while written < size {
        block[..8].copy_from_slice(&written.to_le_bytes());
        let n = block.len().min(usize::try_from(size - written)?);
        file.write_all(&block[..n])?;
        written += n as u64;
    }
    file.sync_all()?;
    Ok(())
}

/// Starts `program args` under GNU time, which writes its figures to `report`.
fn timed(program: &Path, args: &[&str], report: &Path) -> Command {
    let mut command = Command::new(GNU_TIME);
    command
        .args(["-f", "%M %U %S", "-o"])
        .arg(report)
        .arg(program)
        .args(args);
    command
}

fn usage(report: &Path) -> Result<Usage> {
    let text = fs::read_to_string(report)?;
    // GNU time prints "Command exited with non-zero status N" first when it failed.
    let last = text.lines().last().context("empty time report")?;
    let fields: Vec<f64> = last
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unexpected time report {text:?}"))?;
    let [peak, user, system] = fields[..] else {
        bail!("unexpected time report {text:?}");
    };
    Ok(Usage {
        peak_kib: peak as u64,
        cpu_seconds: user + system,
    })
}

fn wait(mut child: Child, what: &str) -> Result<()> {
    let status = child.wait()?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn file_send_once(
    sender: &Path,
    receiver: &Path,
    file: &Path,
    target: &Path,
    work: &Path,
) -> Result<Row> {
    let recv_report = work.join("recv.time");
    let send_report = work.join("send.time");
    let target_arg = target.to_str().context("UTF-8 path")?;
    let mut recv = timed(
        receiver,
        &["--listen", "127.0.0.1:0", "--dir", target_arg],
        &recv_report,
    )
    .stdout(Stdio::piped())
    .spawn()
    .context("cannot start file-recv")?;
    let mut lines = BufReader::new(recv.stdout.take().context("piped")?).lines();
    let first = lines.next().context("file-recv printed nothing")??;
    let addr = first
        .strip_prefix(common::LISTENING_PREFIX)
        .context("no listening line")?
        .to_owned();
    // Keep draining the receiver's log so it never blocks on a full pipe.
    thread::spawn(move || lines.for_each(drop));

    let started = Instant::now();
    let mut send = timed(
        sender,
        &[file.to_str().context("UTF-8 path")?, "--to", &addr],
        &send_report,
    )
    .stdout(Stdio::piped())
    .spawn()
    .context("cannot start file-send")?;
    let mut summary = String::new();
    send.stdout
        .take()
        .context("piped")?
        .read_to_string(&mut summary)?;
    wait(send, "file-send")?;
    let wall = started.elapsed().as_secs_f64();
    wait(recv, "file-recv")?;
    // "... (1234.5 MB/s; streaming 0.87 s, saving ..."
    let streamed = summary
        .split("streaming ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|seconds| seconds.parse().ok());
    Ok(Row {
        wall,
        streamed,
        send: usage(&send_report)?,
        recv: usage(&recv_report)?,
    })
}

/// `nc -l` into a file, `nc -N` from the file: a plain copy that checks nothing.
/// Returns nc alone, and nc followed by `sync FILE` (the durability file-recv gives).
fn nc_once(file: &Path, work: &Path) -> Result<(Row, Row)> {
    let nc = Path::new("/usr/bin/nc");
    if !nc.exists() {
        bail!("/usr/bin/nc is missing (Debian: apt-get install netcat-openbsd)");
    }
    let port = TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port()
        .to_string();
    let recv_report = work.join("nc-recv.time");
    let send_report = work.join("nc-send.time");
    let copy_path = work.join("nc-copy.bin");
    let copy = File::create(&copy_path)?;
    let recv = timed(nc, &["-l", "127.0.0.1", &port], &recv_report)
        .stdin(Stdio::null())
        .stdout(copy)
        .spawn()?;
    // nc -l prints nothing when ready; wait until its port accepts (a connection attempt
    // would use up its one accept, so look at the listening sockets instead).
    wait_until_listening(&port)?;
    let started = Instant::now();
    let send = timed(nc, &["-N", "127.0.0.1", &port], &send_report)
        .stdin(File::open(file)?)
        .stdout(Stdio::null())
        .spawn()?;
    wait(send, "nc (sending)")?;
    let wall = started.elapsed().as_secs_f64();
    wait(recv, "nc -l (receiving)")?;
    let wall = wall.max(started.elapsed().as_secs_f64());
    let copied = fs::metadata(&copy_path)?.len();
    if copied != fs::metadata(file)?.len() {
        bail!("nc copied only {copied} bytes");
    }
    let plain = Row {
        wall,
        streamed: None,
        send: usage(&send_report)?,
        recv: usage(&recv_report)?,
    };
    let syncing = Instant::now();
    wait(Command::new("sync").arg(&copy_path).spawn()?, "sync")?;
    let synced = Row {
        wall: wall + syncing.elapsed().as_secs_f64(),
        ..plain
    };
    Ok((plain, synced))
}

/// Polls `/proc/net/tcp` (Linux) until a socket listens on `port`.
fn wait_until_listening(port: &str) -> Result<()> {
    let port: u16 = port.parse()?;
    let wanted = format!(":{port:04X} 00000000:0000 0A");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if fs::read_to_string("/proc/net/tcp")?.contains(&wanted) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(10));
    }
    bail!("nc -l did not start listening on port {port}")
}

fn hashing_speed() {
    let block = vec![0x5a_u8; 1 << 20];
    let started = Instant::now();
    let mut digest = Sha256::new();
    for _ in 0..256 {
        digest.update(&block);
    }
    let _ = digest.finalize();
    let seconds = started.elapsed().as_secs_f64();
    println!("sha256: {:.0} MB/s", 256.0 * 1048576.0 / seconds / 1e6);
}

/// Copies `total` bytes from one thread to another over loopback with `buffer`-sized
/// reads and writes, hashing on both sides as the lessons do; prints MB/s.
fn buffer_sweep(buffer: usize, total: u64) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let receiving = thread::spawn(move || -> std::io::Result<u64> {
        let (mut stream, _) = listener.accept()?;
        let mut chunk = vec![0; buffer];
        let mut digest = Sha256::new();
        let mut received = 0;
        loop {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                let _ = digest.finalize();
                return Ok(received);
            }
            digest.update(&chunk[..n]);
            received += n as u64;
        }
    });
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr)?;
    let chunk = vec![0xa5; buffer];
    let mut digest = Sha256::new();
    let mut sent = 0;
    while sent < total {
        digest.update(&chunk);
        stream.write_all(&chunk)?;
        sent += buffer as u64;
    }
    stream.shutdown(Shutdown::Write)?;
    let _ = digest.finalize();
    let received = receiving
        .join()
        .map_err(|_| anyhow::anyhow!("receiving thread panicked"))??;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "buffer {:>5} KiB: {:>6.0} MB/s",
        buffer / 1024,
        received as f64 / seconds / 1e6
    );
    Ok(())
}
