//! Caps that follow the machine: every sender costs file descriptors (its socket, the
//! temporary file and the syncing thread's copy of it), so the default cap on senders is
//! derived from the open-files limit, raised first to the most the system allows this
//! process (as Go's runtime does at start since Go 1.19).

use std::sync::OnceLock;

/// Descriptors kept for the receiver itself: the listener, stdin/stdout/stderr, the
/// directory being synced, and whatever the standard library opens.
pub const RESERVED: u64 = 64;

/// Descriptors one sender holds: the socket, the temporary file, and its copy for syncing.
pub const PER_SENDER: u64 = 3;

/// The most senders served at once by default, whatever the open-files limit: each holds
/// two threads and a 128 KiB buffer, and a disk shared by more writers gets no faster.
pub const MOST_SENDERS: u64 = 1_000;

/// The limit assumed where there is none to read (Windows counts sockets differently).
pub const UNKNOWN_LIMIT: u64 = 2_048;

/// Raises the soft open-files limit to the hard one (once); returns the soft limit now.
///
/// The soft limit is what `accept` and `open` run into ("too many open files"); often
/// 1,024 for historical reasons. The hard limit is the ceiling an unprivileged process may
/// raise it to, usually far higher.
pub fn raise_soft_limit() -> u64 {
    static RAISED: OnceLock<u64> = OnceLock::new();
    *RAISED.get_or_init(raise)
}

/// The default of `--max-senders`: [`PER_SENDER`] descriptors each, [`RESERVED`] kept for
/// the receiver (a quarter of a tiny limit), at most [`MOST_SENDERS`].
pub fn default_max_senders() -> usize {
    senders_for(raise_soft_limit())
}

/// The default of `--max-per-address`: half the default cap, so that one address never
/// takes every place, but at least 16 (a classroom behind one NAT address).
pub fn default_max_per_address() -> usize {
    (default_max_senders() / 2).max(16)
}

/// The cap on senders that an open-files limit of `limit` allows.
fn senders_for(limit: u64) -> usize {
    let senders =
        (limit.saturating_sub(RESERVED.min(limit / 4)) / PER_SENDER).clamp(1, MOST_SENDERS);
    usize::try_from(senders).unwrap_or(usize::MAX)
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
    fn the_cap_follows_the_limit_less_a_reserve_up_to_the_bound() {
        assert_eq!(senders_for(1_024), 320);
        assert_eq!(senders_for(16), 4, "a quarter of a tiny limit is kept");
        assert_eq!(senders_for(0), 1);
        assert_eq!(senders_for(1 << 20), 1_000);
    }
}
