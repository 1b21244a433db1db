//! Caps that follow the machine: every client costs file descriptors (up to six, see
//! [`PER_CLIENT`]), so the default cap on clients is derived from the open-files limit,
//! raised first to the most the system allows this process (as Go's runtime does at start
//! since Go 1.19).

use std::sync::OnceLock;

/// Descriptors kept for the proxy itself: the listener, stdin/stdout/stderr, and the name
/// lookups under way (at most [`crate::resolve::MAX_LOOKUPS`], each perhaps holding a
/// socket to the DNS server and a file such as `/etc/hosts`).
pub const RESERVED: u64 = 64 + 2 * crate::resolve::MAX_LOOKUPS as u64;

/// Descriptors one client may hold. On Linux a relay holds six: the client's socket, the
/// target's, and a `splice` pipe (two ends) for each direction. Elsewhere a relay holds
/// two sockets, and a BIND waiting for its connection three (with the listener).
pub const PER_CLIENT: u64 = if cfg!(target_os = "linux") { 6 } else { 3 };

/// The most clients served at once by default, whatever the open-files limit: a relay
/// runs on two threads (one per direction), and past 10,000 threads they cost more in
/// memory and scheduling than descriptors ever would.
pub const MOST_CLIENTS: u64 = 5_000;

/// The limit assumed where there is none to read (Windows counts sockets differently).
pub const UNKNOWN_LIMIT: u64 = 2_048;

/// Raises the soft open-files limit to the hard one (once); returns the soft limit now.
///
/// The soft limit is what `accept`, `connect` and `pipe` run into ("too many open files");
/// often 1,024 for historical reasons (the `select` call cannot watch descriptors past
/// 1,023). The hard limit is the ceiling an unprivileged process may raise it to, usually
/// far higher.
pub fn raise_soft_limit() -> u64 {
    static RAISED: OnceLock<u64> = OnceLock::new();
    *RAISED.get_or_init(raise)
}

/// The default of `--max-clients`: [`PER_CLIENT`] descriptors each, [`RESERVED`] kept for
/// the proxy (a quarter of a tiny limit), at most [`MOST_CLIENTS`].
pub fn default_max_clients() -> usize {
    clients_for(raise_soft_limit())
}

/// The default of `--max-per-address`: half the default cap, so that one address never
/// takes every place, but at least 64 (a classroom behind one NAT address) unless the cap
/// itself is smaller.
pub fn default_max_per_address() -> usize {
    per_address_for(default_max_clients())
}

/// The cap on clients that an open-files limit of `limit` allows.
fn clients_for(limit: u64) -> usize {
    let clients =
        (limit.saturating_sub(RESERVED.min(limit / 4)) / PER_CLIENT).clamp(1, MOST_CLIENTS);
    usize::try_from(clients).unwrap_or(usize::MAX)
}

/// The share of one address under a cap of `max_clients`.
fn per_address_for(max_clients: usize) -> usize {
    (max_clients / 2).max(64).min(max_clients)
}

#[cfg(unix)]
fn raise() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};

    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return UNKNOWN_LIMIT;
    };
    // macOS reports an unlimited hard limit but refuses a soft limit above OPEN_MAX
    // (10,240): try the hard limit, then that.
    for wanted in [hard, hard.min(10_240)] {
        if wanted <= soft {
            break;
        }
        if setrlimit(Resource::RLIMIT_NOFILE, wanted, hard).is_ok() {
            return wanted;
        }
    }
    soft
}

#[cfg(not(unix))]
fn raise() -> u64 {
    UNKNOWN_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_follows_the_limit_less_a_reserve_up_to_the_thread_bound() {
        let per = PER_CLIENT as usize;
        assert_eq!(clients_for(1_024), (1_024 - 192) / per);
        assert_eq!(
            clients_for(100),
            (100 - 25) / per,
            "a quarter of a tiny limit is kept"
        );
        assert_eq!(clients_for(0), 1);
        assert_eq!(clients_for(1 << 20), 5_000);
    }

    #[test]
    fn one_address_gets_half_the_cap_at_least_64_never_more_than_the_cap() {
        assert_eq!(per_address_for(5_000), 2_500);
        assert_eq!(per_address_for(100), 64);
        assert_eq!(per_address_for(12), 12);
    }
}
