//! Signal cleanup: Ctrl-C, SIGTERM and SIGHUP end the process without running destructors,
//! so the receiver lists its unfinished temporary files here and a handler removes them.

use std::fs;
use std::path::PathBuf;
use std::process;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::log;

// ANCHOR: unfinished
/// The temporary files being written right now, so that a signal can remove them.
///
/// A temporary file removes itself when it is dropped, on success, error or panic. But
/// Ctrl-C (SIGINT), SIGTERM and SIGHUP end the process without running any destructor, so
/// the receiver keeps this list, and its signal handler ([`remove_unfinished_and_exit`])
/// removes what is on it. Only `kill -9` (or a crash) leaves a `.part` file behind.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Locks [`UNFINISHED`]. A thread that panicked while holding it left a list that is still
/// valid (every change to it is one `push` or `retain`), so the lock is taken anyway.
fn unfinished_files() -> MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The place of one path in [`UNFINISHED`]; dropping it takes the path off the list.
#[derive(Debug)]
pub(crate) struct Listed(PathBuf);

impl Listed {
    /// Runs `create` (which makes a file and returns it with its path) with the list
    /// locked, so that a signal cannot come between creating the file and listing it.
    pub(crate) fn create<T>(
        create: impl FnOnce() -> std::io::Result<(T, PathBuf)>,
    ) -> std::io::Result<(T, Listed)> {
        let mut list = unfinished_files();
        let (made, path) = create()?;
        list.push(path.clone());
        Ok((made, Listed(path)))
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        unfinished_files().retain(|path| *path != self.0);
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
