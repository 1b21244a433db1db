//! The cap on senders served at once (`--max-senders`): each holds a thread and an open
//! file, so without a bound a flood of connections could use up both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One of the `--max-senders` places; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct SenderSlot(Arc<AtomicUsize>);

impl SenderSlot {
    /// Takes a place, or `None` when all `max` are taken.
    pub(crate) fn take(senders: &Arc<AtomicUsize>, max: usize) -> Option<SenderSlot> {
        senders
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
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
