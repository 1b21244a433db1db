//! One-file mode (the notes' default): every sender is served on a thread of its own, so a
//! silent, refused or failing one never blocks the next; one transfer at a time goes past
//! `OK`, and the first file stored ends the program.

use std::process;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::log;

/// The right to receive content, held by at most one sender in one-file mode.
#[derive(Debug)]
pub(crate) struct Turn(Arc<AtomicBool>);

impl Turn {
    /// Takes the turn, or `None` while another sender holds it.
    pub(crate) fn take(taken: &Arc<AtomicBool>) -> Option<Turn> {
        taken
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            .then(|| Turn(Arc::clone(taken)))
    }

    /// The file is stored: the turn stays taken, so that no sender is told `OK` in the
    /// moment before [`finish`] ends the program.
    pub(crate) fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The one file is stored: say so and end the program, as the notes' receiver does.
///
/// The accept loop is blocked in `accept` on another thread, so the process exits from
/// here. Nothing is lost: the file is renamed and synced, and no other sender holds a
/// [`Turn`], so no other temporary file exists.
pub(crate) fn finish() -> ! {
    log(format_args!(
        "received one file; exiting (start with --keep-serving to receive more)"
    ));
    process::exit(0);
}
