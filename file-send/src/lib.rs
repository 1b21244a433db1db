//! The file sender lesson: the notes' sender (`examples/notes-file-send.rs`), grown one named
//! problem at a time into one that exits successfully only when the receiver confirms it
//! stored exactly what was sent.
//!
//! | step | the notes (Go)                  | here                                                 |
//! |------|---------------------------------|------------------------------------------------------|
//! | 1    | `os.Args[1]`                    | [`Config::path`] (clap)                              |
//! | 2    | `os.Stat`: `Name()`, `Size()`   | [`fs::metadata`], [`File::open`]; the size is *used* |
//! | 3    | `net.Dial("tcp", a)`            | [`TcpStream::connect_timeout`]                       |
//! | 4    | `conn.Write(name)`              | one line, `FILE <size> <name>\n`                     |
//! | 5    | `conn.Read`: is it "ok"?        | `OK`, or `error: <reason>` / `busy: <reason>` printed as the error |
//! | 6    | read the file, write each chunk | the same, never past `<size>`, hashing each chunk with BLAKE3 |
//! | 7    | (the program ends: close)       | [`TcpStream::shutdown`]`(Write)`: FIN, "that was all" |
//! | 8    | (nothing)                       | read `DONE <size> blake3:<hex>`; compare with ours   |
//!
//! This file holds the steps, top to bottom. The wire format is in [`file_recv::protocol`];
//! the machinery is in modules named for what it does: `source` (which files can be sent),
//! `advice` (errors in words) and `progress` (the bar).

use std::fs::{self, File};
use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use file_recv::protocol::{self, Announcement, Answer, Outcome};
use indicatif::ProgressBar;

mod advice;
mod progress;
mod source;

/// How many bytes are read from the file and written to the socket at a time.
///
/// Each chunk costs a `read` and a `write` system call; at 128 KiB a 1 GiB file takes 8192
/// of each, few enough that the copy is limited by hashing and by the loopback itself, not
/// by system calls (the book's appendix has the benchmark). Memory stays small whatever
/// the file's size.
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
    let path = &config.path;
    // 2. Stat: the bare name, and the size, which the receiver needs to know where the file
    //    ends. Looked at before opening (opening a named pipe would wait for a writer), and
    //    asked again of the opened file, so the size belongs to the very file we read.
    let metadata = fs::metadata(path).map_err(|e| source::cannot_open(e, path))?;
    source::check_regular_file(&metadata, path)?;
    let mut file = File::open(path).map_err(|e| source::cannot_open(e, path))?;
    let metadata = file.metadata().map_err(|e| source::cannot_open(e, path))?;
    source::check_regular_file(&metadata, path)?;
    let size = metadata.len();
    let name = source::bare_name(path)?;
    // ANCHOR_END: stat

    // ANCHOR: dial
    // 3. Dial. `connect_timeout` returns once the three-way handshake is done. A name such
    //    as `localhost` may stand for several addresses: try each until one accepts.
    let mut stream = None;
    let mut last_error = None;
    for addr in advice::resolve(&config.to)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(error) => last_error = Some((addr, error)),
        }
    }
    let stream = match (stream, last_error) {
        (Some(stream), _) => stream,
        (None, Some((addr, error))) => {
            return Err(advice::cannot_connect(&config.to, addr, error, timeout));
        }
        (None, None) => bail!("{} did not resolve to any IP address", config.to),
    };
    let receiver = stream
        .peer_addr()
        .context("could not read the receiver's address")?;
    // Every later wait is bounded: a receiver that stops answering cannot hang us.
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
        .map_err(|e| advice::lost(e, receiver, "announcing the file"))?;

    // 5. Wait for the answer before sending a single byte of content.
    let answer = read_reply(&mut reader, receiver, "its answer")?;
    let answer = Answer::parse(&answer)
        .with_context(|| format!("{receiver} is not a file-recv: its answer makes no sense"))?;
    match answer {
        Answer::Accepted => {}
        Answer::Refused(reason) => bail!("the receiver refused {name:?}: {reason}"),
        Answer::Busy(reason) => bail!("the receiver is busy: {reason}"),
    }
    // ANCHOR_END: announce

    // ANCHOR: stream
    // 6. Stream the content, hashing every byte we send.
    let started = Instant::now();
    let progress = progress::progress_bar(size);
    let sent = send_content(&mut file, &stream, size, &progress, path);
    progress.finish_and_clear();
    let ours = match sent {
        Ok(digest) => digest,
        Err(Cut::File(error)) => return Err(error),
        Err(Cut::Connection { sent, error }) => {
            return Err(advice::connection_cut(
                &mut reader,
                receiver,
                sent,
                size,
                error,
            ));
        }
    };

    // 7. Half-close: FIN says "that was the whole file". Our receiving half stays open for
    //    the confirmation: the first half of the four-way teardown.
    stream
        .shutdown(Shutdown::Write)
        .map_err(|e| advice::lost(e, receiver, "closing our side"))?;
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
        Outcome::Stored { digest: theirs, .. }
            if !theirs.starts_with(&format!("{}:", protocol::DIGEST)) =>
        {
            bail!(
                "the receiver confirmed with a digest this sender cannot check ({theirs}); \
                 we compute {}: use a file-send and a file-recv of the same version",
                protocol::DIGEST
            )
        }
        Outcome::Stored {
            size: their_size,
            digest: theirs,
        } if their_size != size || theirs != ours => bail!(
            "the copy is damaged: the receiver stored {their_size} bytes with {theirs}, we \
             sent {size} bytes with {ours}"
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
         the size and the BLAKE3 digest"
    )?;
    // The form `b3sum` prints, so `b3sum PATH` here and on the receiver's side must print
    // the same digest.
    let hex = ours.split_once(':').map_or(ours.as_str(), |(_, hex)| hex);
    writeln!(stdout, "{hex}  {}", path.display())?;
    Ok(())
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
/// Sends exactly `size` bytes of `file`; returns their digest as the confirmation writes it.
fn send_content(
    file: &mut File,
    mut stream: &TcpStream,
    size: u64,
    progress: &ProgressBar,
    path: &Path,
) -> Result<String, Cut> {
    let mut buffer = vec![0; BUFFER_SIZE];
    let mut digest = blake3::Hasher::new();
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
    Ok(protocol::digest_text(&digest.finalize()))
}
// ANCHOR_END: send_content

/// Reads the receiver's next line; `what` names it in the error messages.
fn read_reply(
    reader: &mut BufReader<&TcpStream>,
    receiver: std::net::SocketAddr,
    what: &str,
) -> Result<Vec<u8>> {
    match protocol::read_message(reader) {
        Ok(Some(line)) => Ok(line),
        Ok(None) => bail!(
            "{receiver} closed the connection without sending {what}: the file is not \
             known to be stored"
        ),
        Err(e) => Err(advice::lost(e, receiver, &format!("waiting for {what}"))),
    }
}
