//! The cap on clients served at once (`--max-clients`): each served client costs a thread
//! and a socket, and without a cap a flood of connections would use up both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One of the `--max-clients` places; dropping it frees the place.
#[derive(Debug)]
pub struct ClientSlot {
    clients: Arc<AtomicUsize>,
    /// The cap, for the log line.
    pub max: usize,
}

impl ClientSlot {
    /// Takes a place if fewer than `max` clients are being served.
    pub fn take(clients: &Arc<AtomicUsize>, max: usize) -> Option<ClientSlot> {
        clients
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| ClientSlot {
                clients: Arc::clone(clients),
                max,
            })
    }

    /// How many clients are being served now, this one included.
    pub fn count(&self) -> usize {
        self.clients.load(Ordering::Acquire)
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.clients.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_slots_stop_at_the_cap_and_free_on_drop() {
        let clients = Arc::new(AtomicUsize::new(0));
        let first = ClientSlot::take(&clients, 2).expect("place 1");
        let _second = ClientSlot::take(&clients, 2).expect("place 2");
        assert!(ClientSlot::take(&clients, 2).is_none());
        drop(first);
        assert!(ClientSlot::take(&clients, 2).is_some());
    }
}
