//! Caps that follow the machine: every client costs a socket, a file descriptor, so the
//! default cap on clients is derived from the open-files limit, raised first to the most
//! the system allows this process (as Go's runtime does at start since Go 1.19).

use std::sync::OnceLock;

/// Descriptors kept for the server itself: the listener, stdin/stdout/stderr, and whatever
/// the standard library opens (for example to read `/etc/resolv.conf`).
pub const RESERVED: u64 = 64;

/// The most clients served at once by default, whatever the open-files limit: past this,
/// a thread per client costs more in memory and scheduling than descriptors ever would.
pub const MAX_THREADS: u64 = 10_000;

/// The limit assumed where there is none to read (Windows counts sockets differently).
pub const UNKNOWN_LIMIT: u64 = 2_048;

/// Raises the soft open-files limit to the hard one (once); returns the soft limit now.
///
/// The soft limit is what `accept` runs into ("too many open files"); often 1,024 for
/// historical reasons (the `select` call cannot watch descriptors past 1,023). The hard
/// limit is the ceiling an unprivileged process may raise it to, usually far higher.
pub fn raise_soft_limit() -> u64 {
    static RAISED: OnceLock<u64> = OnceLock::new();
    *RAISED.get_or_init(raise)
}

/// The default of `--max-clients`: one descriptor per client, [`RESERVED`] kept for the
/// server (a quarter of a tiny limit), at most [`MAX_THREADS`].
pub fn default_max_clients() -> usize {
    clients_for(raise_soft_limit())
}

/// The default of `--max-per-address`: half the default cap, so that one address never
/// takes every place, but at least 64 (a classroom behind one NAT address).
pub fn default_max_per_address() -> usize {
    (default_max_clients() / 2).max(64)
}

/// The cap on clients that an open-files limit of `limit` allows.
fn clients_for(limit: u64) -> usize {
    let clients = limit
        .saturating_sub(RESERVED.min(limit / 4))
        .clamp(1, MAX_THREADS);
    usize::try_from(clients).unwrap_or(usize::MAX)
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
        assert_eq!(clients_for(1_024), 960);
        assert_eq!(clients_for(16), 12, "a quarter of a tiny limit is kept");
        assert_eq!(clients_for(0), 1);
        assert_eq!(clients_for(1 << 20), 10_000);
    }
}
