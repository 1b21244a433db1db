//! The peers the bench runs, each under GNU time: the lesson pair, `nc` (with and without a
//! `sync` of the copy) and the notes' pair. Each returns the same [`Row`] of figures.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const GNU_TIME: &str = "/usr/bin/time";

/// The figures of one transfer.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// From starting the sender until it exited (for file-send: until it was confirmed).
    pub wall: f64,
    /// file-send only: from `OK` until our FIN, before the receiver saved the file.
    pub streamed: Option<f64>,
    pub send: Usage,
    pub recv: Usage,
}

/// What GNU time reported about one process.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub peak_kib: u64,
    pub cpu_seconds: f64,
}

/// The release builds the bench runs.
pub struct Binaries {
    pub file_send: PathBuf,
    pub file_recv: PathBuf,
    pub notes_send: PathBuf,
    pub notes_recv: PathBuf,
}

/// Builds both lessons and both notes versions in release mode; returns their paths.
pub fn build_release() -> Result<Binaries> {
    if !Path::new(GNU_TIME).exists() {
        bail!("{GNU_TIME} is missing: install GNU time (Debian: apt-get install time)");
    }
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
        .args(["--bin", "file-send", "--bin", "file-recv"])
        .args([
            "--example",
            "notes-file-send",
            "--example",
            "notes-file-recv",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let here = std::env::current_exe()?;
    let dir = here.parent().context("the benchmark's own directory")?;
    let exe = std::env::consts::EXE_SUFFIX;
    Ok(Binaries {
        file_send: dir.join(format!("file-send{exe}")),
        file_recv: dir.join(format!("file-recv{exe}")),
        notes_send: dir.join("examples").join(format!("notes-file-send{exe}")),
        notes_recv: dir.join("examples").join(format!("notes-file-recv{exe}")),
    })
}

/// Writes `size` bytes of a pattern that changes every MiB (not zeros: no file system or
/// network trick may shortcut it).
pub fn write_test_file(path: &Path, size: u64) -> Result<()> {
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

pub fn file_send_once(binaries: &Binaries, file: &Path, target: &Path, work: &Path) -> Result<Row> {
    let recv_report = work.join("recv.time");
    let send_report = work.join("send.time");
    let target_arg = target.to_str().context("UTF-8 path")?;
    let mut recv = timed(
        &binaries.file_recv,
        &["--listen", "127.0.0.1:0", "--dir", target_arg],
        &recv_report,
    )
    .stdout(Stdio::piped())
    .spawn()
    .context("cannot start file-recv")?;
    let addr = listening_address(&mut recv, "file-recv")?;

    let started = Instant::now();
    let mut send = timed(
        &binaries.file_send,
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
pub fn nc_once(file: &Path, target: &Path, work: &Path) -> Result<(Row, Row)> {
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
    let copy_path = target.join("nc-copy.bin");
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

/// The notes' pair: `notes-file-recv` (stores into its working directory, then exits) and
/// `notes-file-send`, 4 KiB buffers, no check, no fsync. Done when the receiver exits.
pub fn notes_once(binaries: &Binaries, file: &Path, target: &Path, work: &Path) -> Result<Row> {
    let recv_report = work.join("notes-recv.time");
    let send_report = work.join("notes-send.time");
    let mut recv = timed(&binaries.notes_recv, &["127.0.0.1:0"], &recv_report)
        .current_dir(target)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start notes-file-recv")?;
    let addr = listening_address(&mut recv, "notes-file-recv")?;
    let started = Instant::now();
    let send = timed(
        &binaries.notes_send,
        &[file.to_str().context("UTF-8 path")?, &addr],
        &send_report,
    )
    .stdout(Stdio::null())
    .spawn()
    .context("cannot start notes-file-send")?;
    wait(send, "notes-file-send")?;
    wait(recv, "notes-file-recv")?;
    let wall = started.elapsed().as_secs_f64();
    let name = file.file_name().context("a file name")?;
    let copied = fs::metadata(target.join(name))?.len();
    if copied != fs::metadata(file)?.len() {
        bail!("the notes' pair copied only {copied} bytes");
    }
    Ok(Row {
        wall,
        streamed: None,
        send: usage(&send_report)?,
        recv: usage(&recv_report)?,
    })
}

/// Reads a server's first line, `listening on ADDR`, and keeps draining its log after it so
/// that it never blocks on a full pipe.
fn listening_address(server: &mut Child, name: &str) -> Result<String> {
    let mut lines = BufReader::new(server.stdout.take().context("piped")?).lines();
    let first = lines
        .next()
        .with_context(|| format!("{name} printed nothing"))??;
    let addr = first
        .strip_prefix(common::LISTENING_PREFIX)
        .with_context(|| format!("{name} printed no listening line: {first:?}"))?
        .to_owned();
    thread::spawn(move || lines.for_each(drop));
    Ok(addr)
}

/// Flushes every dirty page to disk, so that no run pays for the previous run's writeback.
pub fn settle() -> Result<()> {
    wait(
        Command::new("sync").spawn().context("cannot run sync")?,
        "sync",
    )
}
