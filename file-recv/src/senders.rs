//! The cap on senders served at once with `--keep-serving`: each holds a thread and an open
//! file, so without a bound a flood of connections could use up both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many senders `--keep-serving` serves at once; the next one is answered `busy: ...`.
pub const MAX_SENDERS: usize = 32;

/// One of the `MAX_SENDERS` places of `--keep-serving`; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct SenderSlot(Arc<AtomicUsize>);

impl SenderSlot {
    /// Takes a place, or `None` when all [`MAX_SENDERS`] are taken.
    pub(crate) fn take(senders: &Arc<AtomicUsize>) -> Option<SenderSlot> {
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
