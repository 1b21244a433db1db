//! The file receiver lesson: accept one file over TCP, check everything, store it safely.
//!
//! The course's Go receiver in Rust, step by step, with what each step adds:
//!
//! | step | Go                          | Rust                                                  |
//! |------|-----------------------------|-------------------------------------------------------|
//! | 1    | `net.Listen("tcp", a)`      | [`TcpListener::bind`], after checking the directory   |
//! | 2    | `listener.Accept()`         | [`TcpListener::incoming`]                             |
//! | 3    | `conn.Read(buf)`: the name  | [`protocol::read_line`]: one bounded line, `FILE <size> <name>` |
//! | 4    | `conn.Write("ok")`          | `OK`, or `NO <reason>` for a name, size or file we refuse |
//! | 5    | `os.Create` + read until 0  | a temporary file, exactly `<size>` bytes, hashed and synced as they come; then renamed |
//! | 6    | (nothing)                   | `DONE <size> <sha256>`: the sender learns what was stored |
//!
//! The wire format lives in [`protocol`]; this file is the receiver's side of it.

use std::fmt::Display;
use std::fs;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::protocol::{Announcement, Answer, Line, Outcome};

pub mod protocol;

/// How many bytes one `read` from the socket may bring, and so one write to the file.
///
/// Loopback delivers up to 64 KiB per segment and the kernel queues several; a 128 KiB
/// buffer takes what has arrived in one system call, and the benchmark found no gain above
/// it. It is the only large allocation, so the receiver stays far under 8 MiB of memory
/// whatever the file's size: the file streams through, it is never held.
pub const BUFFER_SIZE: usize = 128 * 1024;

/// How many bytes the receiver writes between two background syncs (see [`BackgroundSync`]).
///
/// `DONE` promises that the file is on disk, so the receiver syncs it before answering. Left
/// to the end, that sync writes the whole file while the sender waits (about 0.5 s per GiB
/// on the build machine); syncing every 64 MiB on a second thread lets the disk work while
/// the network does, and leaves at most 64 MiB for the final sync.
pub const SYNC_EVERY: u64 = 64 << 20;

/// The longest file name accepted, in bytes: the limit of ext4, NTFS, APFS and most others.
pub const MAX_NAME: usize = 255;

/// How many senders `--keep-serving` serves at once; the next one is answered `NO busy`.
///
/// Each sender has a thread and an open file: without a bound, a flood of connections
/// could use up the machine's threads and file descriptors.
pub const MAX_SENDERS: usize = 32;

/// A file receiver: waits for file-send, checks the file's name and size, stores it,
/// and confirms with its SHA-256 digest.
///
/// Run it, then in a second terminal: cargo run -p file-send -- PATH
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port;
    /// [::1]:0 listens on IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::FILE_ADDR)]
    pub listen: String,

    /// Directory to store the received files in. It must exist and be writable.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Keep receiving files (one thread per sender) instead of exiting after the first.
    #[arg(long)]
    pub keep_serving: bool,

    /// Replace a file that already exists. Without it, such a file is refused.
    #[arg(long)]
    pub overwrite: bool,

    /// Accept names that start with a dot. Such hidden files (.bashrc, .ssh, .git) are
    /// refused by default: in a home directory they may change how programs behave.
    #[arg(long)]
    pub allow_hidden: bool,

    /// Largest file accepted, in bytes; K, M, G or T multiply by 1024, 1024², ...
    /// (for example 500M or 2G). A larger announcement is refused before any byte flows.
    #[arg(long, value_name = "SIZE", default_value = "10G", value_parser = parse_size_limit)]
    pub max_size: u64,

    /// Seconds a sender may stay silent (or stop reading our answer) before the receiver
    /// drops it and goes on serving others.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

/// What every transfer needs to know, shared by the threads of `--keep-serving`.
#[derive(Debug)]
struct Settings {
    dir: PathBuf,
    overwrite: bool,
    allow_hidden: bool,
    max_size: u64,
    idle_timeout: Duration,
}

/// Runs the receiver: one file and exit, or for ever with `--keep-serving`.
pub fn run(config: &Config) -> Result<()> {
    // Before opening the port, make sure we can store what we accept: an error now is
    // better than refusing every sender later.
    let dir = check_directory(&config.dir)?;

    // ANCHOR: listen
    // 1. Listen.
    let listener = listen(&config.listen)?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    log(format_args!("storing files in {}", dir.display()));

    let settings = Arc::new(Settings {
        dir,
        overwrite: config.overwrite,
        allow_hidden: config.allow_hidden,
        max_size: config.max_size,
        idle_timeout: Duration::from_secs(config.idle_timeout),
    });
    let senders = Arc::new(AtomicUsize::new(0));

    // 2. Accept.
    for incoming in listener.incoming() {
        let stream = match incoming {
            Ok(stream) => stream,
            Err(error) => {
                // Out of file descriptors, or a sender that gave up while queued: pause so
                // a lasting error cannot spin this loop, and go on.
                log(format_args!("accept failed: {error}"));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue; // Reset before we got to it.
        };
        if !config.keep_serving {
            // As in the notes: one sender at a time, and stop after the first stored file.
            // A refused or failed transfer does not count: a port scanner or a typo must
            // not end the program before the real file arrived.
            if serve(&stream, peer, &settings) {
                log(format_args!(
                    "received one file; exiting (start with --keep-serving to receive more)"
                ));
                return Ok(());
            }
            continue;
        }
        // With --keep-serving: one thread per sender, so a slow one delays nobody.
        let Some(slot) = SenderSlot::take(&senders) else {
            log(format_args!(
                "{peer} refused: already {MAX_SENDERS} senders"
            ));
            refuse_busy(&stream);
            continue;
        };
        let settings = Arc::clone(&settings);
        let spawned = thread::Builder::new()
            .name(format!("sender {peer}"))
            .spawn(move || {
                serve(&stream, peer, &settings);
                drop(slot);
            });
        if let Err(error) = spawned {
            log(format_args!(
                "{peer} dropped: could not start a thread: {error}"
            ));
        }
    }
    bail!("the listening socket stopped accepting connections")
}

/// Checks that `dir` exists and that we can create files in it; returns its full path.
///
/// The test is real: create a temporary file and remove it. Permission bits alone do not
/// tell (a read-only file system, an ACL, a full disk all say no only when we try).
pub fn check_directory(dir: &Path) -> Result<PathBuf> {
    let shown = dir.display();
    let metadata = fs::metadata(dir).map_err(|error| {
        let message = match error.kind() {
            ErrorKind::NotFound => format!(
                "the target directory {shown} does not exist: create it (mkdir {shown}) \
                 or choose another one with --dir"
            ),
            _ => format!("cannot read the target directory {shown}"),
        };
        anyhow::Error::new(error).context(message)
    })?;
    if !metadata.is_dir() {
        bail!("{shown} is not a directory: give --dir a directory to store files in");
    }
    let probe = tempfile::Builder::new()
        .prefix(".file-recv-probe-")
        .tempfile_in(dir)
        .map_err(|error| {
            let message = match error.kind() {
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => format!(
                    "cannot create files in {shown}: it is not writable. Choose a \
                     directory you can write to with --dir"
                ),
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
                    format!("cannot create files in {shown}: the disk is full")
                }
                _ => format!("cannot create files in {shown}"),
            };
            anyhow::Error::new(error).context(message)
        })?;
    probe
        .close()
        .with_context(|| format!("cannot remove a file in {shown}"))?;
    fs::canonicalize(dir).with_context(|| format!("cannot resolve the path {shown}"))
}

/// Binds `addr`, turning the usual failures into a message that says how to fix them.
pub fn listen(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|error| {
        let hint = match error.kind() {
            ErrorKind::AddrInUse => {
                "another program (perhaps another file-recv) is listening there: stop it, \
                 or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
            }
            ErrorKind::PermissionDenied => {
                "ports below 1024 need administrator rights: choose a port above 1024"
            }
            ErrorKind::AddrNotAvailable => {
                "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
            }
            _ => "give the address as IP:PORT, e.g. 127.0.0.1:8002 or [::1]:0",
        };
        anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
    })
}

/// Serves one sender from announcement to confirmation and logs the outcome.
///
/// Returns whether a file was stored.
fn serve(stream: &TcpStream, peer: SocketAddr, settings: &Settings) -> bool {
    let started = Instant::now();
    match receive(stream, peer, settings) {
        Ok(stored) => {
            log(format_args!(
                "{peer} stored {:?}: {} bytes in {:.2} s, sha256 {}",
                stored.name,
                stored.size,
                started.elapsed().as_secs_f64(),
                stored.sha256
            ));
            true
        }
        Err(Failure::Refused(reason)) => {
            log(format_args!("{peer} refused: {reason}"));
            refuse(stream, &reason);
            false
        }
        Err(Failure::Failed(reason)) => {
            log(format_args!("{peer} failed: {reason}; nothing stored"));
            refuse_after_ok(stream, &reason);
            false
        }
    }
}

/// Why a transfer did not end with a stored file.
#[derive(Debug)]
enum Failure {
    /// Before our `OK`: the sender is told `NO <reason>` and sends nothing.
    Refused(String),
    /// After our `OK`: the sender is told `ERROR <reason>` if it still listens.
    Failed(String),
}

/// A file stored under its final name.
#[derive(Debug)]
struct Stored {
    name: String,
    size: u64,
    sha256: String,
}

/// One transfer: steps 3 to 6 of the notes.
fn receive(stream: &TcpStream, peer: SocketAddr, settings: &Settings) -> Result<Stored, Failure> {
    // A sender that connects and stalls must not hold this thread (and, without
    // --keep-serving, every other sender) for ever.
    let idle = settings.idle_timeout;
    stream
        .set_write_timeout(Some(idle))
        .map_err(|e| Failure::Refused(format!("cannot set a timeout: {e}")))?;
    let incoming = Incoming {
        stream,
        announce_by: Some(Instant::now() + idle),
    };
    let mut reader = BufReader::with_capacity(BUFFER_SIZE, incoming);
    let mut writer = stream;

    // ANCHOR: announcement
    // 3. Read the announcement: one line, `FILE <size> <name>`, however TCP cut it up, and
    //    all of it within --idle-timeout.
    let line = match protocol::read_line(&mut reader) {
        Ok(Line::Complete(line)) => line,
        Ok(Line::Closed) => return Err(Failure::Refused("closed without announcing".into())),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return Err(Failure::Refused(format!(
                "the sender stalled while announcing: no complete announcement within {} s \
                 (--idle-timeout)",
                idle.as_secs()
            )));
        }
        Err(e) => return Err(Failure::Refused(network_problem(&e, idle, "announcing"))),
    };
    // From now on, each read may wait up to --idle-timeout (see `Incoming`).
    reader
        .get_mut()
        .announced(idle)
        .map_err(|e| Failure::Refused(format!("cannot set a timeout: {e}")))?;
    let announcement = Announcement::parse(&line).map_err(|e| Failure::Refused(e.to_string()))?;
    let checked = if settings.allow_hidden {
        check_name_allowing_hidden(&announcement.name)
    } else {
        check_name(&announcement.name)
    };
    let name = checked.map_err(|why| {
        Failure::Refused(format!(
            "the name {} {why}",
            protocol::escaped(&announcement.name)
        ))
    })?;
    let size = announcement.size;
    let unit = if size == 1 { "byte" } else { "bytes" };
    log(format_args!("{peer} announces {name:?} ({size} {unit})"));
    if size > settings.max_size {
        return Err(Failure::Refused(format!(
            "too large: {size} bytes, the limit is {} bytes (--max-size)",
            settings.max_size
        )));
    }
    // ANCHOR_END: announcement

    // ANCHOR: answer
    // 4. Answer. Refuse now, before any content flows, if the file cannot be stored.
    let target = settings.dir.join(name);
    check_target(&target, name, settings.overwrite)?;
    // The content goes to a temporary file in the same directory (so the final rename
    // stays on one file system). `tempfile` creates it with a random name and O_EXCL: an
    // existing file or symlink of that name makes it fail instead of being followed.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".file-recv-").suffix(".part");
    // tempfile makes private files (0600); a received file gets the usual permissions,
    // as `os.Create` gives them: 0666 less the user's umask.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut partial = Unfinished::create(&builder, &settings.dir)
        .map_err(|e| Failure::Refused(disk_problem(&e, "cannot create the file")))?;
    writer
        .write_all(&Answer::Accepted.to_line())
        .map_err(|e| Failure::Failed(network_problem(&e, idle, "waiting for our OK")))?;
    // ANCHOR_END: answer

    // ANCHOR: content
    // 5. Receive exactly `size` bytes, computing their digest on the way.
    let sha256 = receive_content(&mut reader, partial.file.as_file_mut(), size, idle)?;
    // The sender now closes its side (FIN): `read` must return 0. More bytes mean the
    // sender and we disagree on the size, so what we hold is not the file it meant.
    match reader.fill_buf() {
        Ok([]) => {}
        Ok(_) => {
            return Err(Failure::Failed(
                "the sender sent more bytes than announced".into(),
            ));
        }
        Err(e) => {
            return Err(Failure::Failed(network_problem(
                &e,
                idle,
                "closing its side after the last byte",
            )));
        }
    }
    // Only now is the file complete: make it durable, then give it its name. A crash
    // before this point leaves no file under the final name, only the temporary one.
    // (`receive_content` synced as the bytes came; this sync writes only the rest.)
    partial
        .file
        .as_file()
        .sync_all()
        .map_err(|e| Failure::Failed(disk_problem(&e, "cannot save the file")))?;
    partial
        .persist(&target, settings.overwrite)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => Failure::Failed(format!(
                "a file named {name:?} appeared while receiving; it was kept"
            )),
            _ => Failure::Failed(disk_problem(&e, "cannot rename the file into place")),
        })?;
    sync_directory(&settings.dir);
    // ANCHOR_END: content

    // ANCHOR: confirm
    // 6. Confirm what we stored. The sender compares it with what it sent.
    let done = Outcome::Stored {
        size,
        sha256: sha256.clone(),
    };
    if let Err(error) = writer.write_all(&done.to_line()) {
        // The file is complete and stored; only the sender will not hear of it.
        log(format_args!("{peer} could not be told: {error}"));
    }
    Ok(Stored {
        name: name.to_owned(),
        size,
        sha256,
    })
    // ANCHOR_END: confirm
}

/// The sender's side of the connection, read with a deadline for the announcement.
///
/// A socket's read timeout bounds one `read`, not a whole message: a sender trickling one
/// byte every 0.9 s never lets a 1 s timeout expire, and would hold a thread for a quarter
/// of an hour with a 1 KiB announcement. So the announcement has one deadline for the whole
/// line: before each read, the timeout is set to the time left. The content then has the
/// idle timeout per read: a slow sender that keeps sending is fine, a silent one is dropped.
#[derive(Debug)]
struct Incoming<'a> {
    stream: &'a TcpStream,
    /// When the whole announcement must have arrived; `None` once it has.
    announce_by: Option<Instant>,
}

impl Incoming<'_> {
    /// The announcement has arrived: from now on each read may wait up to `idle`.
    fn announced(&mut self, idle: Duration) -> io::Result<()> {
        self.announce_by = None;
        self.stream.set_read_timeout(Some(idle))
    }
}

impl Read for Incoming<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(deadline) = self.announce_by {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Checked here: `set_read_timeout` refuses a zero duration.
                return Err(ErrorKind::TimedOut.into());
            }
            self.stream.set_read_timeout(Some(left))?;
        }
        self.stream.read(buf)
    }
}

// ANCHOR: receive_content
/// Copies exactly `size` bytes from the socket into `file`; returns their SHA-256 in hex.
///
/// Running out early is an error, not the end of the file: the notes' `n == 0` means only
/// that the sender closed, and a sender that crashed closes too.
fn receive_content(
    reader: &mut BufReader<Incoming<'_>>,
    file: &mut fs::File,
    size: u64,
    idle: Duration,
) -> Result<String, Failure> {
    let mut digest = Sha256::new();
    let mut syncing = BackgroundSync::start(file)
        .map_err(|e| Failure::Failed(format!("cannot start saving the file: {e}")))?;
    let mut received = 0;
    while received < size {
        let chunk = match reader.fill_buf() {
            Ok([]) => {
                return Err(Failure::Failed(format!(
                    "the sender closed the connection after {received} of {size} bytes"
                )));
            }
            Ok(chunk) => chunk,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                let doing = format!("sending (after {received} of {size} bytes)");
                return Err(Failure::Failed(network_problem(&e, idle, &doing)));
            }
        };
        // Use only this file's bytes: anything behind them is not part of it.
        let wanted = usize::try_from(size - received).unwrap_or(usize::MAX);
        let chunk = &chunk[..chunk.len().min(wanted)];
        file.write_all(chunk).map_err(|e| {
            let end = received + chunk.len() as u64;
            let doing = format!("cannot write (bytes {received}..{end} of {size})");
            Failure::Failed(disk_problem(&e, &doing))
        })?;
        digest.update(chunk);
        let n = chunk.len();
        reader.consume(n);
        received += n as u64;
        syncing.written(received);
    }
    syncing
        .finish()
        .map_err(|e| Failure::Failed(disk_problem(&e, "cannot save the file")))?;
    Ok(protocol::hex(&digest.finalize()))
}
// ANCHOR_END: receive_content

// ANCHOR: background_sync
/// Saves the file to disk on a second thread while it is still arriving.
///
/// Writing to a file only copies the bytes into the kernel's page cache; `sync_data` waits
/// until the disk holds them. The receiver must sync before it confirms, and a single sync
/// at the end makes the sender wait for the whole file to reach the disk. Here a second
/// thread syncs every [`SYNC_EVERY`] bytes while the content keeps arriving, so disk and
/// network work at the same time, and the final sync in step 5 finds little left to write.
#[derive(Debug)]
struct BackgroundSync {
    /// Wakes the thread up; room for one request, so a request made while one is waiting
    /// is simply dropped (the waiting sync will cover those bytes too).
    requests: SyncSender<()>,
    worker: JoinHandle<io::Result<()>>,
    /// After how many bytes written the next request is made.
    next_request: u64,
}

impl BackgroundSync {
    fn start(file: &fs::File) -> io::Result<BackgroundSync> {
        // A second handle to the same open file, which the thread can own.
        let file = file.try_clone()?;
        let (requests, pending) = sync_channel::<()>(1);
        let worker = thread::Builder::new()
            .name("background sync".into())
            .spawn(move || {
                // Ends when `finish` (or an early return) drops the sending side.
                for () in pending {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(BackgroundSync {
            requests,
            worker,
            next_request: SYNC_EVERY,
        })
    }

    /// Notes that `total` bytes have been written so far; never waits for the disk.
    fn written(&mut self, total: u64) {
        if total >= self.next_request {
            let _ = self.requests.try_send(()); // Full: a sync is already waiting.
            self.next_request = total + SYNC_EVERY;
        }
    }

    /// Waits for the thread, and returns the first error a sync met. It must not be lost:
    /// Linux reports a failed write-back only once per open file, so the final sync could
    /// succeed after a background one failed.
    fn finish(self) -> io::Result<()> {
        drop(self.requests);
        self.worker
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the sync thread stopped unexpectedly")))
    }
}
// ANCHOR_END: background_sync

// ANCHOR: unfinished
/// The temporary files being written right now, so that a signal can remove them.
///
/// A [`NamedTempFile`] removes its file when it is dropped, on success, error or panic. But
/// Ctrl-C (SIGINT), SIGTERM and SIGHUP end the process without running any destructor, so
/// the receiver keeps this list, and its signal handler ([`remove_unfinished_and_exit`])
/// removes what is on it. Only `kill -9` (or a crash) leaves a `.part` file behind.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Locks [`UNFINISHED`]. A thread that panicked while holding it left a list that is still
/// valid (every change to it is one `push` or `retain`), so the lock is taken anyway.
fn unfinished_files() -> MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file being received, listed in [`UNFINISHED`] for as long as it exists.
#[derive(Debug)]
struct Unfinished {
    // Fields drop in this order: the file is removed first, then taken off the list.
    file: NamedTempFile,
    listed: Listed,
}

/// The place of one path in [`UNFINISHED`]; dropping it takes the path off the list.
#[derive(Debug)]
struct Listed(PathBuf);

impl Drop for Listed {
    fn drop(&mut self) {
        unfinished_files().retain(|path| *path != self.0);
    }
}

impl Unfinished {
    /// Creates a temporary file in `dir` (with `builder`'s name and permissions) and lists it.
    fn create(builder: &tempfile::Builder, dir: &Path) -> io::Result<Unfinished> {
        // Hold the list while creating: a signal cannot come between creating and listing.
        let mut listed = unfinished_files();
        let file = builder.tempfile_in(dir)?;
        listed.push(file.path().to_owned());
        drop(listed);
        let listed = Listed(file.path().to_owned());
        Ok(Unfinished { file, listed })
    }

    /// Renames the file to `target`; without `overwrite`, only if `target` does not exist
    /// (never replacing a file, never following a symlink someone placed there).
    fn persist(self, target: &Path, overwrite: bool) -> io::Result<()> {
        let Unfinished { file, listed } = self;
        let persisted = if overwrite {
            file.persist(target)
        } else {
            file.persist_noclobber(target)
        };
        // On failure the temporary file is dropped, and so removed, before it leaves the list.
        let result = persisted.map(drop).map_err(|e| e.error);
        drop(listed);
        result
    }
}

/// The signal handler: removes every unfinished file, and exits with 130 (128 + SIGINT).
///
/// It runs on a thread of its own (the `ctrlc` crate turns the signal into a wake-up), so it
/// may lock and touch files. It keeps the list locked until the process is gone: no thread
/// can start a new file meanwhile.
pub fn remove_unfinished_and_exit() {
    let files = unfinished_files();
    for path in files.iter() {
        let _ = fs::remove_file(path);
    }
    let count = files.len();
    let plural = if count == 1 { "" } else { "s" };
    log(format_args!(
        "interrupted: removed {count} unfinished file{plural}; exiting"
    ));
    process::exit(130);
}
// ANCHOR_END: unfinished

// ANCHOR: check_name
/// Accepts `name` only if it is one plain, visible file name that stays inside the target
/// directory and that every common file system can store; hidden names are refused too
/// (see [`check_name_allowing_hidden`] for `--allow-hidden`).
///
/// It comes from the network, so it is untrusted: `../../.bashrc` or `/etc/passwd` would
/// write outside the directory, a control character could rewrite the terminal that shows
/// the log, an invisible one could make `invoice.exe` look like another name. Returns why a
/// name is refused, as the end of a sentence that starts with "the name ...".
pub fn check_name(name: &[u8]) -> Result<&str, String> {
    let name = check_name_allowing_hidden(name)?;
    if name.starts_with('.') {
        // In a home directory, `.bashrc` or `.ssh` would change how programs behave, and
        // `ls` does not even show them. Rarely a file someone means to send.
        return Err(
            "starts with a dot, which makes it a hidden file (like .bashrc or .ssh) \
                    that programs may read as their settings; start file-recv with \
                    --allow-hidden to accept such names"
                .into(),
        );
    }
    Ok(name)
}

/// [`check_name`] without its rule against hidden names (`--allow-hidden`).
pub fn check_name_allowing_hidden(name: &[u8]) -> Result<&str, String> {
    let name = std::str::from_utf8(name).map_err(|_| "is not valid UTF-8".to_owned())?;
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!("is longer than {MAX_NAME} bytes"));
    }
    if name == "." || name == ".." {
        return Err("names a directory (`.` or `..`), not a file".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character {c:?}"));
    }
    if let Some(c) = name.chars().find(|&c| protocol::is_invisible(c)) {
        return Err(format!(
            "contains the invisible character U+{:04X}, which can make a name look like \
             another (U+202E shows `txt.exe` as `exe.txt`)",
            u32::from(c)
        ));
    }
    if name.starts_with(['/', '\\']) {
        return Err("is an absolute path".into());
    }
    if name.contains(['/', '\\']) {
        // Both separators, whatever OS we run on: `..\x` is a path on Windows.
        return Err("contains a path separator (/ or \\): send a plain file name".into());
    }
    if name.contains(':') {
        // `C:x` is a path relative to drive C on Windows, `x:y` an alternate data stream.
        return Err("contains `:` (a drive or stream separator on Windows)".into());
    }
    // From here on, names that one OS could store but Windows cannot. Refused on every OS,
    // so that what one receiver accepts, every receiver can store.
    if let Some(c) = name.chars().find(|c| "<>\"|?*".contains(*c)) {
        return Err(format!(
            "contains {c:?}, one of the characters Windows does not allow in a file name \
             (< > \" | ? *)"
        ));
    }
    if name.chars().all(|c| c == '.') {
        return Err("is made only of dots, which Windows cannot store as a file name".into());
    }
    if name.ends_with(['.', ' ']) {
        return Err(
            "ends with a dot or a space, which Windows removes: `a.txt.` would be \
                    stored as `a.txt`, another file"
                .into(),
        );
    }
    if is_windows_device(name) {
        // On Windows, `CON`, `NUL.txt` or `com1.log` open a device, not a file.
        return Err("is a device name on Windows (CON, NUL, COM1, LPT1, ...)".into());
    }
    // Defence in depth: the standard library must see exactly one ordinary component.
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(only)), None) if only == name => Ok(name),
        _ => Err("is not a plain file name".into()),
    }
}
// ANCHOR_END: check_name

/// Whether `name`, before its first dot, is one of the device names Windows reserves:
/// CON, PRN, AUX, NUL, CONIN$, CONOUT$, and COM or LPT followed by a digit or by one of
/// the superscripts ¹ ² ³ (which Windows also counts as digits there).
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let is_port_number = |number: &str| {
        let mut chars = number.chars();
        matches!(
            (chars.next(), chars.next()),
            (Some('0'..='9' | '¹' | '²' | '³'), None)
        )
    };
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ["COM", "LPT"]
        .iter()
        .any(|port| upper.strip_prefix(port).is_some_and(is_port_number))
}

/// Refuses, before the `OK`, a target that exists (unless `--overwrite`) or is a directory.
fn check_target(target: &Path, name: &str, overwrite: bool) -> Result<(), Failure> {
    // `symlink_metadata` looks at the entry itself: a symlink counts as existing even when
    // it points nowhere, so we never write through one.
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::Refused(format!("cannot check {name:?}: {e}"))),
        Ok(entry) if entry.is_dir() => {
            Err(Failure::Refused(format!("{name:?} is a directory here")))
        }
        Ok(_) if overwrite => Ok(()),
        Ok(_) => Err(Failure::Refused(format!(
            "a file named {name:?} exists already (the receiver replaces files only \
             with --overwrite)"
        ))),
    }
}

/// Makes the rename itself durable: on Unix the directory entry is saved with the directory.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir; // Windows makes the rename durable with the file; nothing to do.
}

/// Says in words what went wrong on the connection.
fn network_problem(error: &io::Error, idle: Duration, doing: &str) -> String {
    match error.kind() {
        // Unix reports an expired socket timeout as WouldBlock, Windows as TimedOut.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "the sender stalled while {doing}: nothing for {} s (--idle-timeout)",
            idle.as_secs()
        ),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!("the sender vanished while {doing} (connection reset)")
        }
        ErrorKind::InvalidData => format!("not the file protocol while {doing}: {error}"),
        _ => format!("network error while {doing}: {error}"),
    }
}

/// Says in words what went wrong on the disk.
fn disk_problem(error: &io::Error, doing: &str) -> String {
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => format!("{doing}: the disk is full"),
        ErrorKind::FileTooLarge => {
            format!("{doing}: the file size limit of the receiver is reached (ulimit -f)")
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            format!("{doing}: the target directory is not writable")
        }
        _ => format!("{doing}: {error}"),
    }
}

/// Sends `NO <reason>` and closes, without destroying the line in transit.
fn refuse(stream: &TcpStream, reason: &str) {
    say_last_line(stream, &Answer::Refused(reason.to_owned()).to_line());
}

/// Tells a sender over the `MAX_SENDERS` cap that we are busy, without ever blocking the
/// accept loop: a short write timeout, and only what has already arrived is read away.
fn refuse_busy(stream: &TcpStream) {
    let reason = format!("busy: already receiving {MAX_SENDERS} files, try again later");
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = (&*stream).write_all(&Answer::Refused(reason).to_line());
    let _ = stream.shutdown(Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0; 8 * 1024];
        while matches!((&*stream).read(&mut sink), Ok(n) if n > 0) {}
    }
}

/// Sends `ERROR <reason>` and closes: the content we accepted is not stored.
fn refuse_after_ok(stream: &TcpStream, reason: &str) {
    say_last_line(stream, &Outcome::Failed(reason.to_owned()).to_line());
}

/// Writes a last line, sends FIN, and reads away what the sender already sent.
///
/// Closing a socket that still holds unread bytes makes the OS send RST instead of FIN,
/// and a RST can destroy our line before the sender has read it. So: write, half-close,
/// then read and discard until the sender closes too, for at most a second.
fn say_last_line(stream: &TcpStream, line: &[u8]) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = (&*stream).write_all(line);
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(1);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut sink = [0; 8 * 1024];
    while Instant::now() < deadline {
        match (&*stream).read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

/// Reads `--max-size`: bytes, or a number followed by K, M, G or T (powers of 1024).
pub fn parse_size_limit(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use K, M, G or T, e.g. 500M"
            ));
        }
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 1000, 500M or 2G"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// One of the `MAX_SENDERS` places of `--keep-serving`; dropping it frees the place.
#[derive(Debug)]
struct SenderSlot(Arc<AtomicUsize>);

impl SenderSlot {
    fn take(senders: &Arc<AtomicUsize>) -> Option<SenderSlot> {
        senders
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_SENDERS).then_some(n + 1)
            })
            .ok()
            .map(|_| SenderSlot(Arc::clone(senders)))
    }
}

impl Drop for SenderSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Prints one line of the receiver's log on stdout, ignoring a closed stdout.
///
/// Names from the network are always printed with `{:?}`, which escapes control
/// characters: a name cannot move the cursor or recolour the terminal.
fn log(message: impl Display) {
    let _ = writeln!(io::stdout().lock(), "{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_name_accepts_ordinary_names() {
        for name in [
            "report.pdf",
            "my holiday photo.jpg",
            "résumé.txt",
            "報告書.txt",
            "a..b.txt",
            "x",
            "console.txt",
            "com10.txt",
            "com¹0.txt",
            "lpt.txt",
            "nullable.rs",
            "it's [1] {a} (b) & c#d%e+f=g@h!.txt",
        ] {
            assert_eq!(check_name(name.as_bytes()), Ok(name), "refused {name:?}");
        }
        let longest = "n".repeat(MAX_NAME);
        assert!(check_name(longest.as_bytes()).is_ok());
    }

    #[test]
    fn hidden_names_are_refused_unless_allowed() {
        for name in [".hidden", ".bashrc", ".a.b"] {
            let refused = check_name(name.as_bytes()).expect_err("hidden");
            assert!(refused.contains("--allow-hidden"), "{name:?}: {refused}");
            assert_eq!(check_name_allowing_hidden(name.as_bytes()), Ok(name));
        }
        // Allowing hidden names allows nothing else.
        for name in [".", "..", "...", "../.x", ".x/y", ".x."] {
            assert!(
                check_name_allowing_hidden(name.as_bytes()).is_err(),
                "{name:?}"
            );
        }
    }

    #[test]
    fn check_name_refuses_anything_but_one_plain_name() {
        let overlong = "n".repeat(MAX_NAME + 1);
        for (name, why) in [
            (&b""[..], "empty"),
            (b".", "names a directory"),
            (b"..", "names a directory"),
            (b"../x", "separator"),
            (b"a/b", "separator"),
            (b"..\\x", "separator"),
            (b"a\\b", "separator"),
            (b"/etc/passwd", "absolute"),
            (b"\\\\server\\share", "absolute"),
            (b"C:", "`:`"),
            (b"C:x.txt", "`:`"),
            (b"x.txt:stream", "`:`"),
            (b"a\nb", "control"),
            (b"\x1b[2Jx", "control"),
            (b"a\0b", "control"),
            (b"tab\there", "control"),
            (b"\xff\xfe.txt", "UTF-8"),
            (overlong.as_bytes(), "longer"),
            (b"CON", "device"),
            (b"nul.txt", "device"),
            (b"Com1.log", "device"),
            (b"lpt9", "device"),
            ("COM¹".as_bytes(), "device"),
            ("lpt³.txt".as_bytes(), "device"),
            (b"con .txt", "device"),
            (b"...", "only of dots"),
            (b"....", "only of dots"),
            (b"name.", "ends with a dot or a space"),
            (b"name ", "ends with a dot or a space"),
            (b"a<b", "Windows does not allow"),
            (b"a>b", "Windows does not allow"),
            (b"say \"hi\"", "Windows does not allow"),
            (b"a|b", "Windows does not allow"),
            (b"why?", "Windows does not allow"),
            (b"*.txt", "Windows does not allow"),
            ("\u{202e}txt.exe".as_bytes(), "U+202E"),
            ("a\u{200b}b".as_bytes(), "U+200B"),
            ("\u{feff}bom.txt".as_bytes(), "U+FEFF"),
            ("a\u{061c}b".as_bytes(), "U+061C"),
            ("a\u{2066}b".as_bytes(), "invisible"),
            (b".bashrc", "hidden"),
        ] {
            let refused = check_name(name).expect_err("must be refused");
            assert!(refused.contains(why), "{name:?}: {refused}");
        }
    }

    #[test]
    fn size_limits_read_units() {
        assert_eq!(parse_size_limit("1000"), Ok(1000));
        assert_eq!(parse_size_limit("64K"), Ok(64 * 1024));
        assert_eq!(parse_size_limit("500M"), Ok(500 << 20));
        assert_eq!(parse_size_limit("2g"), Ok(2 << 30));
        assert!(parse_size_limit("lots").is_err());
        assert!(parse_size_limit("5X").is_err());
        assert!(parse_size_limit("99999999999T").is_err());
    }
}
