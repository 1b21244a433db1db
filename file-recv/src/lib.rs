//! The file receiver lesson: the notes' receiver (`examples/notes-file-recv.rs`), grown one
//! named problem at a time into one that checks everything and stores files safely.
//!
//! | step | the notes (Go)              | here                                                  |
//! |------|-----------------------------|-------------------------------------------------------|
//! | 1    | `net.Listen("tcp", a)`      | [`TcpListener::bind`], after checking the directory   |
//! | 2    | `listener.Accept()`         | [`TcpListener::incoming`]; a thread per sender (`one_file`: one past `OK`) |
//! | 3    | `conn.Read(buf)`: the name  | one bounded line, `FILE <size> <name>`, and the name checked |
//! | 4    | `conn.Write("ok")`          | `OK`, or `error: <reason>` for a name, size or file we refuse |
//! | 5    | `os.Create` + read until 0  | a temporary file, exactly `<size>` bytes, hashed and synced; then renamed |
//! | 6    | (nothing)                   | `DONE <size> blake3:<hex>`: the sender learns what was stored |
//!
//! This file holds the steps, top to bottom. The wire format is in [`protocol`]; each piece
//! of machinery is in a module named for what it does: [`names`] (which names are allowed),
//! `saving` (temporary file, syncing, rename), `cleanup` (Ctrl-C), `senders` and
//! [`open_files`] (the cap, following the machine), `space` (free space, unfinished files),
//! `exposure` (a loud warning off loopback), `one_file` (one file, then exit), `deadline`
//! (whole announcement, minimum progress), `closing` (a last line without RST) and `advice`
//! (errors in words).

use std::fmt::Display;
use std::fs;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::deadline::{Incoming, TooSlow};
use crate::fairness::{AddressSlot, PerAddress};
use crate::one_file::Turn;
use crate::protocol::{Announcement, Answer, Outcome};
use crate::saving::{BackgroundSync, Unfinished};
use crate::senders::SenderSlot;
use crate::space::Space;
use crate::transfer::{Failure, Settings, Stored};

mod advice;
mod cleanup;
mod closing;
mod config;
mod deadline;
mod exposure;
mod fairness;
pub mod line;
pub mod names;
mod one_file;
pub mod open_files;
pub mod protocol;
mod saving;
mod senders;
mod space;
mod transfer;

pub use cleanup::remove_unfinished_and_exit;
pub use config::{Config, parse_size_limit};
pub use names::{MAX_NAME, check_name, check_name_allowing_hidden};
pub use saving::{SYNC_EVERY, check_directory};

/// How many bytes one `read` from the socket may bring, and so one write to the file.
///
/// Loopback delivers up to 64 KiB per segment and the kernel queues several; a 128 KiB
/// buffer takes what has arrived in one system call, and the benchmark found no gain above
/// it. It is the only large allocation, so the receiver's memory stays small whatever the
/// file's size: the file streams through, it is never held.
pub const BUFFER_SIZE: usize = 128 * 1024;

/// Runs the receiver: one file and exit, or for ever with `--keep-serving`.
pub fn run(config: &Config) -> Result<()> {
    // Before opening the port, make sure we can store what we accept: an error now is
    // better than refusing every sender later. Each sender costs file descriptors: allow
    // as many as the system lets us.
    let dir = check_directory(&config.dir)?;
    let open_files = open_files::raise_soft_limit();

    // ANCHOR: listen
    // 1. Listen. Port 0 asks the OS for a free port: print the one really bound.
    let listener = TcpListener::bind(&config.listen)
        .map_err(|error| advice::cannot_listen(error, &config.listen))?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    exposure::warn(local_addr, &dir);
    log(format_args!("storing files in {}", dir.display()));
    log(format_args!(
        "receiving from at most {} senders at once (--max-senders; open files allowed: \
         {open_files})",
        config.max_senders
    ));

    let settings = Arc::new(Settings {
        dir,
        overwrite: config.overwrite,
        allow_hidden: config.allow_hidden,
        max_size: config.max_size,
        idle_timeout: Duration::from_secs(config.idle_timeout),
        one_file: (!config.keep_serving).then(|| Arc::new(AtomicBool::new(false))),
        space: Space::new(config.max_unfinished),
    });
    let senders = Arc::new(AtomicUsize::new(0));
    let per_address = Arc::new(PerAddress::default());

    // ANCHOR: accept
    // 2. Accept: each connection that completed the three-way handshake.
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
        // One thread per sender, so a slow one delays nobody, and at most --max-senders.
        let Some(slot) = SenderSlot::take(&senders, config.max_senders) else {
            log(format_args!(
                "{peer} refused: already {} senders (--max-senders)",
                config.max_senders
            ));
            closing::refuse_busy(&stream, config.max_senders);
            continue;
        };
        // Fairness: one address may not take every place (--max-per-address).
        let max = config.max_per_address;
        let Some(address_slot) = AddressSlot::take(&per_address, peer.ip(), max) else {
            log(format_args!(
                "{peer} refused: its address has {max} senders already (--max-per-address)"
            ));
            closing::refuse_address(&stream, max);
            continue;
        };
        let settings = Arc::clone(&settings);
        let spawned = thread::Builder::new()
            .name(format!("sender {peer}"))
            .spawn(move || {
                let stored = serve(&stream, peer, &settings);
                drop((slot, address_slot));
                // As in the notes, stop after the first stored file unless --keep-serving.
                // A refused or failed transfer does not count: a port scanner or a typo
                // must not end the program before the real file arrived.
                if stored && settings.one_file.is_some() {
                    one_file::finish();
                }
            });
        if let Err(error) = spawned {
            log(format_args!(
                "{peer} dropped: could not start a thread: {error}"
            ));
        }
    }
    // ANCHOR_END: accept
    bail!("the listening socket stopped accepting connections")
}

/// Serves one sender from announcement to confirmation and logs the outcome.
///
/// Returns whether a file was stored.
fn serve(stream: &TcpStream, peer: SocketAddr, settings: &Settings) -> bool {
    let started = Instant::now();
    match receive(stream, peer, settings) {
        Ok(stored) => {
            log(format_args!(
                "{peer} stored {:?}: {} bytes in {:.2} s, {}",
                stored.name,
                stored.size,
                started.elapsed().as_secs_f64(),
                stored.digest
            ));
            true
        }
        Err(Failure::Refused(reason)) => {
            log(format_args!("{peer} refused: {reason}"));
            closing::refuse(stream, &reason);
            false
        }
        Err(Failure::Busy(reason)) => {
            log(format_args!("{peer} refused: busy: {reason}"));
            closing::busy(stream, &reason);
            false
        }
        Err(Failure::Failed(reason)) => {
            log(format_args!("{peer} failed: {reason}; nothing stored"));
            closing::fail(stream, &reason);
            false
        }
    }
}

/// One transfer: steps 3 to 6.
fn receive(stream: &TcpStream, peer: SocketAddr, settings: &Settings) -> Result<Stored, Failure> {
    // A sender that connects and stalls must not hold this thread (and, without
    // --keep-serving, every other sender) for ever.
    let idle = settings.idle_timeout;
    stream
        .set_write_timeout(Some(idle))
        .map_err(|e| Failure::Refused(format!("cannot set a timeout: {e}")))?;
    let mut reader = BufReader::with_capacity(BUFFER_SIZE, Incoming::new(stream, idle));
    let mut writer = stream;

    // ANCHOR: announcement
    // 3. Read the announcement: one line, `FILE <size> <name>`, however TCP cut it up, and
    //    all of it within --idle-timeout.
    let line = match protocol::read_message(&mut reader) {
        Ok(Some(line)) => line,
        Ok(None) => return Err(Failure::Refused("closed without announcing".into())),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return Err(Failure::Refused(format!(
                "the sender stalled while announcing: no complete announcement within {} s \
                 (--idle-timeout)",
                idle.as_secs()
            )));
        }
        Err(e) => {
            let reason = advice::network_problem(&e, idle, "announcing");
            return Err(Failure::Refused(reason));
        }
    };
    let announcement = Announcement::parse(&line).map_err(|e| Failure::Refused(e.to_string()))?;
    // From now on, each window of --idle-timeout must bring its share of the content.
    reader.get_mut().announced(idle, announcement.size);
    // The name comes from the network: one plain file name, or refused (see `names`).
    let checked = if settings.allow_hidden {
        check_name_allowing_hidden(&announcement.name)
    } else {
        check_name(&announcement.name)
    };
    let name = checked.map_err(|why| {
        let shown = protocol::escaped(&announcement.name);
        Failure::Refused(format!("the name {shown} {why}"))
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
    // 4. Answer "OK". First refuse, before any content flows, a file we cannot store: one
    //    that exists, one the disk has no room for, or a temporary file we cannot create.
    // Without --keep-serving, one file at a time: another sender past `OK` makes us busy.
    let turn = match &settings.one_file {
        Some(taken) => Some(Turn::take(taken).ok_or_else(|| {
            Failure::Busy("another file is being received; try again later".into())
        })?),
        None => None,
    };
    let target = settings.dir.join(name);
    saving::check_target(&target, name, settings.overwrite).map_err(Failure::Refused)?;
    let _room = settings.space.promise(&settings.dir, size)?;
    let mut partial = Unfinished::create(&settings.dir)
        .map_err(|e| Failure::Refused(advice::disk_problem(&e, "cannot create the file")))?;
    writer
        .write_all(&Answer::Accepted.to_line())
        .map_err(|e| Failure::Failed(advice::network_problem(&e, idle, "waiting for our OK")))?;
    // ANCHOR_END: answer

    // ANCHOR: content
    // 5. Copy exactly `size` bytes into the temporary file, computing their digest.
    let digest = receive_content(&mut reader, partial.file.as_file_mut(), size, idle)?;
    reader
        .get_mut()
        .content_received(idle)
        .map_err(|e| Failure::Failed(format!("cannot set a timeout: {e}")))?;
    // The sender now closes its side (FIN): `read` must return 0. More bytes mean the
    // sender and we disagree on the size, so what we hold is not the file it meant.
    match reader.fill_buf() {
        Ok([]) => {}
        Ok(_) => {
            let reason = "the sender sent more bytes than announced";
            return Err(Failure::Failed(reason.into()));
        }
        Err(e) => {
            let doing = "closing its side after the last byte";
            return Err(Failure::Failed(advice::network_problem(&e, idle, doing)));
        }
    }
    // Only now is the file complete: make it durable, then give it its name. A crash
    // before this point leaves no file under the final name, only the temporary one.
    partial
        .file
        .as_file()
        .sync_all()
        .map_err(|e| Failure::Failed(advice::disk_problem(&e, "cannot save the file")))?;
    partial
        .persist(&target, settings.overwrite)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => Failure::Failed(format!(
                "a file named {name:?} appeared while receiving; it was kept"
            )),
            _ => Failure::Failed(advice::disk_problem(
                &e,
                "cannot rename the file into place",
            )),
        })?;
    saving::sync_directory(&settings.dir);
    if let Some(turn) = turn {
        turn.keep();
    }
    // ANCHOR_END: content

    // ANCHOR: confirm
    // 6. Confirm what we stored. The sender compares it with what it sent.
    let done = Outcome::Stored {
        size,
        digest: digest.clone(),
    };
    if let Err(error) = writer.write_all(&done.to_line()) {
        // The file is complete and stored; only the sender will not hear of it.
        log(format_args!("{peer} could not be told: {error}"));
    }
    Ok(Stored {
        name: name.to_owned(),
        size,
        digest,
    })
    // ANCHOR_END: confirm
}

// ANCHOR: receive_content
/// Copies exactly `size` bytes from the socket into `file`; returns their digest, as the
/// confirmation writes it (`blake3:<hex>`).
///
/// Running out early is an error, not the end of the file: the notes' `n == 0` means only
/// that the sender closed, and a sender that crashed closes too.
fn receive_content(
    reader: &mut BufReader<Incoming<'_>>,
    file: &mut fs::File,
    size: u64,
    idle: Duration,
) -> Result<String, Failure> {
    let mut digest = blake3::Hasher::new();
    let mut syncing = BackgroundSync::start(file)
        .map_err(|e| Failure::Failed(format!("cannot start saving the file: {e}")))?;
    let mut received = 0;
    while received < size {
        // `fill_buf` is the buffered reader's `read`: it returns what has arrived.
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
                if let Some(slow) = e.get_ref().and_then(|e| e.downcast_ref::<TooSlow>()) {
                    return Err(Failure::Failed(format!(
                        "the sender is too slow {doing}: {slow}"
                    )));
                }
                return Err(Failure::Failed(advice::network_problem(&e, idle, &doing)));
            }
        };
        // Use only this file's bytes: anything behind them is not part of it.
        let wanted = usize::try_from(size - received).unwrap_or(usize::MAX);
        let chunk = &chunk[..chunk.len().min(wanted)];
        file.write_all(chunk).map_err(|e| {
            let end = received + chunk.len() as u64;
            let doing = format!("cannot write (bytes {received}..{end} of {size})");
            Failure::Failed(advice::disk_problem(&e, &doing))
        })?;
        digest.update(chunk);
        let n = chunk.len();
        reader.consume(n);
        received += n as u64;
        syncing.written(received);
    }
    syncing
        .finish()
        .map_err(|e| Failure::Failed(advice::disk_problem(&e, "cannot save the file")))?;
    Ok(protocol::digest_text(&digest.finalize()))
}
// ANCHOR_END: receive_content

/// Prints one line of the server's log on stdout, ignoring a closed stdout.
///
/// Unlike `println!`, it does not panic when stdout is gone (say, piped into `head`): a
/// server must not crash because nobody reads its log. Every server of the workspace has
/// this same function, copied on purpose so that each lesson reads on its own.
fn log(message: impl Display) {
    let _ = writeln!(io::stdout().lock(), "{message}");
}
