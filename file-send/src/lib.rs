//! The file sender lesson: announce a file, wait for the answer, stream it, half-close, and
//! exit successfully only when the receiver confirms it stored exactly what was sent.
//!
//! The course's Go sender in Rust, step by step, with what each step adds:
//!
//! | step | Go                            | Rust                                                 |
//! |------|-------------------------------|------------------------------------------------------|
//! | 1    | `os.Args[1]`                  | [`Config::path`] (clap)                              |
//! | 2    | `os.Stat`: `Name()`, `Size()` | [`File::metadata`] on the opened file; the size is *used* |
//! | 3    | `net.Dial("tcp", a)`          | [`TcpStream::connect_timeout`]                       |
//! | 4    | `conn.Write(name)`            | one line, `FILE <size> <name>\n`                      |
//! | 5    | `conn.Read`: is it "ok"?      | [`protocol::read_line`]: `OK`, or `NO <reason>` printed as the error |
//! | 6    | read the file, write each chunk | the same, hashing each chunk with SHA-256          |
//! | 7    | `conn.Close()`                | [`TcpStream::shutdown`]`(Write)`: FIN, "that was all" |
//! | 8    | (nothing)                     | read `DONE <size> <sha256>` and compare with ours    |
//!
//! The wire format lives in [`file_recv::protocol`]; this file is the sender's side of it.

use std::fs::{self, File};
use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use file_recv::protocol::{self, Announcement, Answer, Line, Outcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

/// How many bytes are read from the file and written to the socket at a time.
///
/// Each chunk costs a `read` and a `write` system call; at 128 KiB a 1 GiB file takes 8192
/// of each, few enough that the copy is limited by hashing and by the loopback itself, not
/// by system calls (see the benchmark in the book). Memory stays tiny whatever the file.
pub const BUFFER_SIZE: usize = 128 * 1024;

/// Sends one file to file-recv, and checks that it arrived whole.
///
/// Start the receiver first, in another terminal: cargo run -p file-recv
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// The file to send. Only its name (without the folders) is sent to the receiver.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Address of the receiver, as IP:PORT (or HOST:PORT).
    #[arg(long, value_name = "ADDR", default_value = common::FILE_ADDR)]
    pub to: String,

    /// Seconds to wait for the connection, for the receiver's answers, and for the
    /// receiver to take more bytes, before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

/// Runs the sender; `Ok` only when the receiver confirmed the size and the digest.
pub fn run(config: &Config) -> Result<()> {
    let timeout = Duration::from_secs(config.timeout);
    // ANCHOR: stat
    // 1. The path comes from the command line (clap put it in `config.path`).
    // 2. Stat: the bare name (no folders: they mean nothing on the receiver's machine)
    //    and the size, which the receiver needs to know where the file ends.
    let (mut file, name, size) = open_file(&config.path)?;
    // ANCHOR_END: stat

    // ANCHOR: dial
    // 3. Connect. `connect` returns once the three-way handshake is done.
    let stream = dial(&config.to, timeout)?;
    let receiver = stream
        .peer_addr()
        .context("could not read the receiver's address")?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .context("cannot set the timeouts of the connection")?;
    // ANCHOR_END: dial
    let mut reader = BufReader::new(&stream);

    // ANCHOR: announce
    // 4. Announce the file: one line that says how many bytes will follow, and the name.
    let announcement = Announcement {
        size,
        name: name.clone().into_bytes(),
    };
    (&stream)
        .write_all(&announcement.to_line())
        .map_err(|e| lost(e, receiver, "announcing the file"))?;

    // 5. Wait for the answer before sending a single byte of content.
    let answer = read_reply(&mut reader, receiver, "its answer")?;
    let answer = Answer::parse(&answer)
        .with_context(|| format!("{receiver} is not a file-recv: its answer makes no sense"))?;
    if let Answer::Refused(reason) = answer {
        bail!("the receiver refused {name:?}: {reason}");
    }
    // ANCHOR_END: announce

    // ANCHOR: stream
    // 6. Stream the content, hashing every byte we send.
    let started = Instant::now();
    let progress = progress_bar(size);
    let sent = send_content(&mut file, &stream, size, &progress, &config.path);
    progress.finish_and_clear();
    let ours = match sent {
        Ok(digest) => digest,
        Err(Cut::File(error)) => return Err(error),
        Err(Cut::Connection { sent, error }) => {
            return Err(connection_cut(&mut reader, receiver, sent, size, error));
        }
    };

    // 7. Half-close: FIN says "that was the whole file". Our receiving half stays open for
    //    the confirmation: the first half of the four-way teardown.
    stream
        .shutdown(Shutdown::Write)
        .map_err(|e| lost(e, receiver, "closing our side"))?;
    // ANCHOR_END: stream
    let streamed = started.elapsed().as_secs_f64();

    // ANCHOR: confirm
    // 8. Wait for the confirmation, and compare it with what we sent. The receiver saves
    //    the file to disk before it answers, so allow a slow disk (10 MB/s) on top.
    let saving = Duration::from_secs(size / 10_000_000);
    stream
        .set_read_timeout(Some(timeout + saving))
        .context("cannot set the timeout for the confirmation")?;
    let line = read_reply(&mut reader, receiver, "the confirmation")?;
    let outcome = Outcome::parse(&line)
        .with_context(|| format!("{receiver} sent a confirmation that makes no sense"))?;
    match outcome {
        Outcome::Failed(reason) => bail!("the receiver did not store {name:?}: {reason}"),
        Outcome::Stored {
            size: their_size,
            sha256: theirs,
        } if their_size != size || theirs != ours => bail!(
            "the copy is damaged: the receiver stored {their_size} bytes with sha256 \
             {theirs}, we sent {size} bytes with sha256 {ours}"
        ),
        Outcome::Stored { .. } => {}
    }
    // ANCHOR_END: confirm

    // The time after our FIN is the receiver finishing: checking the end, saving the file
    // to disk (fsync), renaming it, answering. On a big file, saving can take longer than
    // the network did.
    let seconds = started.elapsed().as_secs_f64();
    let rate = size as f64 / seconds.max(1e-9) / 1e6;
    let confirming = seconds - streamed;
    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "sent {name:?}: {size} bytes in {seconds:.2} s ({rate:.1} MB/s; streaming \
         {streamed:.2} s, saving and confirming {confirming:.2} s); {receiver} confirmed \
         the size and the SHA-256"
    )?;
    // The form `sha256sum` prints, so `sha256sum PATH` here and on the receiver's side
    // must print the same digest.
    writeln!(stdout, "{ours}  {}", config.path.display())?;
    Ok(())
}

/// Opens `path` and returns the file, its bare name and its size, or a clear error.
///
/// The path is looked at before it is opened: opening a named pipe (FIFO) waits until some
/// other program opens it for writing, possibly for ever. Between that look and the open
/// the path could be replaced, a race we accept: the opened file is asked for its metadata
/// again (`fstat`), so the size belongs to the very file we will read.
pub fn open_file(path: &Path) -> Result<(File, String, u64)> {
    let shown = path.display();
    let explain = |error: io::Error| {
        let message = match error.kind() {
            ErrorKind::NotFound => format!(
                "no file at {shown}: check the path (a relative path starts in the \
                 current directory)"
            ),
            ErrorKind::PermissionDenied => format!("cannot read {shown}: permission denied"),
            _ => format!("cannot open {shown}"),
        };
        anyhow::Error::new(error).context(message)
    };
    check_regular_file(&fs::metadata(path).map_err(explain)?, path)?;
    let file = File::open(path).map_err(explain)?;
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot read the attributes of {shown}"))?;
    check_regular_file(&metadata, path)?;
    let name = path
        .file_name()
        .with_context(|| format!("{shown} does not end in a file name"))?
        .to_str()
        .with_context(|| {
            format!("the name of {shown} is not valid UTF-8: rename the file before sending it")
        })?
        .to_owned();
    if name.chars().any(char::is_control) {
        bail!("the name of {shown} contains control characters: rename it before sending it");
    }
    Ok((file, name, metadata.len()))
}

/// Refuses anything but a regular file: only a regular file has a size to announce.
fn check_regular_file(metadata: &fs::Metadata, path: &Path) -> Result<()> {
    let shown = path.display();
    if metadata.is_dir() {
        bail!(
            "{shown} is a directory: file-send sends one file (pack a folder first, \
             e.g. `tar cf folder.tar folder`)"
        );
    }
    if !metadata.is_file() {
        bail!("{shown} is not a regular file (a device or a pipe has no size to announce)");
    }
    Ok(())
}

/// Connects to the first address of `addr` that accepts, within `timeout` each.
pub fn dial(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let candidates: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .with_context(|| {
            format!(
                "cannot use {addr:?} as the receiver's address: give IP:PORT, e.g. {}",
                common::FILE_ADDR
            )
        })?
        .collect();
    let mut last_error = None;
    for candidate in candidates {
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((candidate, e)),
        }
    }
    let Some((candidate, error)) = last_error else {
        bail!("{addr} did not resolve to any IP address");
    };
    let start_hint = if addr == common::FILE_ADDR {
        "cargo run -p file-recv".to_owned()
    } else {
        format!("cargo run -p file-recv -- --listen {addr}")
    };
    let message = match error.kind() {
        ErrorKind::ConnectionRefused => format!(
            "connection refused by {candidate}: nothing is listening there. \
             Is file-recv running? Start it with `{start_hint}`"
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "no answer from {candidate} within {} s: is the address right?",
            timeout.as_secs()
        ),
        _ => format!("cannot connect to {candidate}"),
    };
    Err(anyhow::Error::new(error).context(message))
}

/// Why streaming stopped early.
#[derive(Debug)]
enum Cut {
    /// Reading the file failed (or it shrank): our problem, not the network's.
    File(anyhow::Error),
    /// Writing to the socket failed after `sent` bytes.
    Connection { sent: u64, error: io::Error },
}

// ANCHOR: send_content
/// Sends exactly `size` bytes of `file`; returns their SHA-256 in hex.
fn send_content(
    file: &mut File,
    mut stream: &TcpStream,
    size: u64,
    progress: &ProgressBar,
    path: &Path,
) -> Result<String, Cut> {
    let mut buffer = vec![0; BUFFER_SIZE];
    let mut digest = Sha256::new();
    let mut sent = 0;
    while sent < size {
        // Never read past the announced size: a file that grows meanwhile would otherwise
        // send more than we promised.
        let wanted = usize::try_from(size - sent).unwrap_or(usize::MAX);
        let room = buffer.len().min(wanted);
        let n = match file.read(&mut buffer[..room]) {
            Ok(0) => {
                return Err(Cut::File(anyhow::anyhow!(
                    "{} shrank while it was being sent: {sent} of {size} bytes",
                    path.display()
                )));
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                let context = format!("cannot read {}", path.display());
                return Err(Cut::File(anyhow::Error::new(e).context(context)));
            }
        };
        // `&buffer[..n]`, never the whole buffer: the last read is usually short.
        let chunk = &buffer[..n];
        digest.update(chunk);
        if let Err(error) = stream.write_all(chunk) {
            return Err(Cut::Connection { sent, error });
        }
        sent += n as u64;
        progress.inc(n as u64);
    }
    Ok(protocol::hex(&digest.finalize()))
}
// ANCHOR_END: send_content

/// Explains a connection that broke while streaming, with the receiver's reason if it
/// managed to send one (`ERROR disk full ...`) before closing.
fn connection_cut(
    reader: &mut BufReader<&TcpStream>,
    receiver: SocketAddr,
    sent: u64,
    size: u64,
    error: io::Error,
) -> anyhow::Error {
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(500)));
    if let Ok(Line::Complete(line)) = protocol::read_line(reader)
        && let Ok(Outcome::Failed(reason)) = Outcome::parse(&line)
    {
        return anyhow::anyhow!(
            "the receiver stopped the transfer after {sent} of {size} bytes: {reason}"
        );
    }
    let why = match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "the receiver stopped reading",
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "reset: the receiver crashed or was stopped"
        }
        _ => "the receiver went away",
    };
    anyhow::Error::new(error).context(format!(
        "connection to {receiver} closed after {sent} of {size} bytes ({why}); \
         the file was not stored"
    ))
}

/// Reads the receiver's next line; `what` names it in the error messages.
fn read_reply(
    reader: &mut BufReader<&TcpStream>,
    receiver: SocketAddr,
    what: &str,
) -> Result<Vec<u8>> {
    match protocol::read_line(reader) {
        Ok(Line::Complete(line)) => Ok(line),
        Ok(Line::Closed) => bail!(
            "{receiver} closed the connection without sending {what}: the file is not \
             known to be stored"
        ),
        Err(e) => Err(lost(e, receiver, &format!("waiting for {what}"))),
    }
}

/// Explains an I/O error on the connection.
fn lost(error: io::Error, receiver: SocketAddr, doing: &str) -> anyhow::Error {
    let message = match error.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!(
                "the connection to {receiver} was reset while {doing}: the receiver crashed or was stopped"
            )
        }
        ErrorKind::BrokenPipe => format!("{receiver} closed the connection while {doing}"),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("{receiver} did not respond while {doing} (--timeout)")
        }
        ErrorKind::InvalidData => format!("{receiver} does not speak the file protocol ({doing})"),
        _ => format!("the connection to {receiver} failed while {doing}"),
    };
    anyhow::Error::new(error).context(message)
}

/// A progress bar on stderr, drawn only when stderr is a terminal (indicatif hides it
/// otherwise), so pipes and logs get no control characters.
fn progress_bar(size: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ~{eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}
