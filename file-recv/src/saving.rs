//! Durable saving: the content goes to a temporary file, is synced to disk as it arrives,
//! and gets its final name by a rename only once it is complete, so a cut transfer never
//! leaves a partial file under the real name.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::{self, JoinHandle};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

use crate::cleanup::Listed;

/// How many bytes the receiver writes between two background syncs.
///
/// `DONE` promises that the file is on disk, so the receiver syncs it before answering. Left
/// to the end, that sync writes the whole file while the sender waits; syncing every 64 MiB
/// on a second thread lets the disk work while the network does, and leaves at most 64 MiB
/// for the final sync (the appendix of the book has the measurements).
pub const SYNC_EVERY: u64 = 64 << 20;

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

/// Refuses, before the `OK`, a target that exists (unless `--overwrite`) or is a directory;
/// the error is the reason to send.
pub(crate) fn check_target(target: &Path, name: &str, overwrite: bool) -> Result<(), String> {
    // `symlink_metadata` looks at the entry itself: a symlink counts as existing even when
    // it points nowhere, so we never write through one.
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot check {name:?}: {e}")),
        Ok(entry) if entry.is_dir() => Err(format!("{name:?} is a directory here")),
        Ok(_) if overwrite => Ok(()),
        Ok(_) => Err(format!(
            "a file named {name:?} exists already (the receiver replaces files only \
             with --overwrite)"
        )),
    }
}

/// A temporary file being received, listed for the signal handler for as long as it exists.
#[derive(Debug)]
pub(crate) struct Unfinished {
    // Fields drop in this order: the file is removed first, then taken off the list.
    pub(crate) file: NamedTempFile,
    listed: Listed,
}

impl Unfinished {
    /// Creates `.file-recv-XXXXXX.part` in `dir` and lists it.
    ///
    /// In the same directory as the target, so the final rename stays on one file system.
    /// `tempfile` picks a random name and opens it with O_EXCL: an existing file or symlink
    /// of that name makes it fail instead of being followed.
    pub(crate) fn create(dir: &Path) -> io::Result<Unfinished> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".file-recv-").suffix(".part");
        // tempfile makes private files (0600); a received file gets the usual permissions,
        // as `os.Create` gives them: 0666 less the user's umask.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let (file, listed) = Listed::create(|| {
            let file = builder.tempfile_in(dir)?;
            let path = file.path().to_owned();
            Ok((file, path))
        })?;
        Ok(Unfinished { file, listed })
    }

    /// Renames the file to `target`; without `overwrite`, only if `target` does not exist
    /// (never replacing a file, never following a symlink someone placed there).
    pub(crate) fn persist(self, target: &Path, overwrite: bool) -> io::Result<()> {
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

// ANCHOR: background_sync
/// Saves the file to disk on a second thread while it is still arriving.
///
/// Writing to a file only copies the bytes into the kernel's page cache; `sync_data` waits
/// until the disk holds them. The receiver must sync before it confirms, and a single sync
/// at the end makes the sender wait for the whole file to reach the disk. Here a second
/// thread syncs every [`SYNC_EVERY`] bytes while the content keeps arriving, so disk and
/// network work at the same time, and the final sync finds little left to write.
#[derive(Debug)]
pub(crate) struct BackgroundSync {
    /// Wakes the thread up; room for one request, so a request made while one is waiting
    /// is simply dropped (the waiting sync will cover those bytes too).
    requests: SyncSender<()>,
    worker: JoinHandle<io::Result<()>>,
    /// After how many bytes written the next request is made.
    next_request: u64,
}

impl BackgroundSync {
    pub(crate) fn start(file: &fs::File) -> io::Result<BackgroundSync> {
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
    pub(crate) fn written(&mut self, total: u64) {
        if total >= self.next_request {
            let _ = self.requests.try_send(()); // Full: a sync is already waiting.
            self.next_request = total + SYNC_EVERY;
        }
    }

    /// Waits for the thread, and returns the first error a sync met. It must not be lost:
    /// Linux reports a failed write-back only once per open file, so the final sync could
    /// succeed after a background one failed.
    pub(crate) fn finish(self) -> io::Result<()> {
        drop(self.requests);
        self.worker
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the sync thread stopped unexpectedly")))
    }
}
// ANCHOR_END: background_sync

/// Makes the rename itself durable: on Unix the directory entry is saved with the directory.
pub(crate) fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir; // Windows makes the rename durable with the file; nothing to do.
}
