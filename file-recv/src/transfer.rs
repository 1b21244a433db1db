//! What one transfer shares with the others and how it can end: the settings every sender
//! thread reads, and the outcomes that `serve` logs and tells the sender.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::space::Space;

/// What every transfer needs to know, shared by the threads of `--keep-serving`.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) dir: PathBuf,
    pub(crate) overwrite: bool,
    pub(crate) allow_hidden: bool,
    pub(crate) max_size: u64,
    pub(crate) idle_timeout: Duration,
    /// Without --keep-serving: whether a sender is past `OK` (see `one_file`).
    pub(crate) one_file: Option<Arc<AtomicBool>>,
    /// The room promised to the transfers under way (see `space`).
    pub(crate) space: Space,
}

/// Why a transfer did not end with a stored file.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Before our `OK`: the sender is told `error: <reason>` and sends nothing.
    Refused(String),
    /// Before our `OK`, for a sender that may try again: told `busy: <reason>`.
    Busy(String),
    /// After our `OK`: the sender is told `error: <reason>` if it still listens.
    Failed(String),
}

/// A file stored under its final name.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) digest: String,
}
