//! The caps on clients served at once: each costs a thread and two sockets, so there is a
//! cap for all clients (`--max-clients`, against running the machine out of them) and a
//! smaller one per client address (`--max-per-address`, so that one address cannot take
//! every place and lock everyone else out).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Which cap a newcomer ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// `--max-clients` clients are being served.
    All(usize),
    /// `--max-per-address` clients from this address are being served.
    Address(usize),
}

/// The places in use, in all and per client address.
#[derive(Debug)]
pub struct Slots {
    max: usize,
    max_per_address: usize,
    in_use: Mutex<InUse>,
}

#[derive(Debug, Default)]
struct InUse {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

impl Slots {
    pub fn new(max: usize, max_per_address: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max,
            max_per_address,
            in_use: Mutex::new(InUse::default()),
        })
    }

    /// Takes a place for a client from `ip`, if both caps allow it.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Result<ClientSlot, Full> {
        let mut in_use = self.lock();
        if in_use.total >= self.max {
            return Err(Full::All(self.max));
        }
        let mine = in_use.per_address.entry(ip).or_insert(0);
        if *mine >= self.max_per_address {
            return Err(Full::Address(self.max_per_address));
        }
        *mine += 1;
        in_use.total += 1;
        Ok(ClientSlot {
            slots: Arc::clone(self),
            ip,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InUse> {
        // The counts stay consistent even if a thread panicked while holding the lock:
        // every change is one statement.
        self.in_use.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One place under both caps; dropping it frees the place.
#[derive(Debug)]
pub struct ClientSlot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut in_use = self.slots.lock();
        in_use.total -= 1;
        if let Some(mine) = in_use.per_address.get_mut(&self.ip) {
            *mine -= 1;
            if *mine == 0 {
                // Forget the address, so the map holds only addresses being served.
                in_use.per_address.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn client_slots_stop_at_the_cap_and_free_on_drop() {
        let slots = Slots::new(2, 2);
        let first = slots.take(A).expect("place 1");
        let _second = slots.take(B).expect("place 2");
        assert_eq!(slots.take(A).err(), Some(Full::All(2)));
        drop(first);
        assert!(slots.take(A).is_ok());
    }

    #[test]
    fn one_address_cannot_take_every_place() {
        let slots = Slots::new(4, 2);
        let held: Vec<ClientSlot> = (0..2).map(|_| slots.take(A).expect("own share")).collect();
        assert_eq!(slots.take(A).err(), Some(Full::Address(2)));
        let other = slots.take(B).expect("another address is still served");
        drop(held);
        drop(other);
        assert!(slots.lock().per_address.is_empty(), "nothing left behind");
        assert_eq!(slots.lock().total, 0);
    }
}
