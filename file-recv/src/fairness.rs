//! Per-address fairness: the cap on senders bounds the whole receiver, so without a second
//! bound one address (one machine, one script) could take every place and lock out the rest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// How many senders each address has, shared by the accept loop and the client threads.
#[derive(Debug, Default)]
pub(crate) struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One place of one address; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    counts: Arc<PerAddress>,
    ip: IpAddr,
}

impl AddressSlot {
    /// Takes a place for `ip` if it has fewer than `max` senders.
    pub(crate) fn take(counts: &Arc<PerAddress>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut map = counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = map.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counts: Arc::clone(counts),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = map.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.ip); // The map holds only addresses with senders.
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_stops_at_its_share_and_others_go_on() {
        let counts = Arc::new(PerAddress::default());
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = AddressSlot::take(&counts, a, 2).expect("a: 1");
        let _second = AddressSlot::take(&counts, a, 2).expect("a: 2");
        assert!(AddressSlot::take(&counts, a, 2).is_none());
        assert!(AddressSlot::take(&counts, b, 2).is_some());
        drop(first);
        assert!(AddressSlot::take(&counts, a, 2).is_some());
    }
}
