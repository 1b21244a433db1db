//! Turning a client's host name into addresses, within a deadline. The system resolver
//! (`getaddrinfo`) has no timeout of its own and can block for many seconds on a slow or
//! dead DNS server, so each lookup runs on a thread of its own and the proxy waits for it
//! only as long as the request's deadline allows.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::wire::{DomainName, Target};

/// The most lookups under way at once. A lookup that outlives its deadline keeps its
/// thread until the resolver gives up; without a cap, clients naming slow hosts could
/// pile those threads up after their own places were freed.
pub const MAX_LOOKUPS: usize = 64;

/// The most names one UDP association remembers (as many as the targets it may have).
pub const MAX_CACHED_NAMES: usize = crate::MAX_UDP_PEERS;

/// A way to look a name up: the system resolver, or a stand-in in tests.
pub type Lookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// The system resolver.
pub fn system_lookup(name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (name, port).to_socket_addrs().map(Iterator::collect)
}

static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// The addresses of a target within `limit`: itself, or what its name resolves to.
///
/// Names under `.invalid` are refused at once: RFC 6761 reserves them so that they never
/// resolve and asks resolvers to say so without asking a DNS server. The system resolver
/// may not, so the proxy does.
pub fn resolve(target: &Target, limit: Duration) -> Result<Vec<SocketAddr>, String> {
    resolve_using(target, limit, system_lookup)
}

/// [`resolve`] with the lookup given.
pub fn resolve_using(
    target: &Target,
    limit: Duration,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, String> {
    let (name, port) = match target {
        Target::Addr(addr) => return Ok(vec![*addr]),
        Target::Name(name, port) => (name, *port),
    };
    if is_reserved_invalid(name.as_str()) {
        return Err(format!(
            "cannot resolve {name}: names under .invalid never resolve (RFC 6761)"
        ));
    }
    let Some(ticket) = LookupTicket::take() else {
        return Err(format!(
            "cannot resolve {name}: {MAX_LOOKUPS} lookups are already under way"
        ));
    };
    let (done, result) = mpsc::sync_channel(1);
    let text = name.as_str().to_owned();
    thread::Builder::new()
        .name("resolve".to_owned())
        .spawn(move || {
            let _ticket = ticket; // Given back when the lookup ends, however late.
            let _ = done.send(lookup(&text, port)); // Nobody listens after a timeout.
        })
        .map_err(|e| format!("cannot resolve {name}: no thread for the lookup: {e}"))?;
    match result.recv_timeout(limit) {
        Ok(Ok(addrs)) if addrs.is_empty() => Err(format!("{name} has no address")),
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(error)) => Err(format!("cannot resolve {name}: {error}")),
        Err(_) => Err(format!(
            "cannot resolve {name}: no answer within {} ms",
            limit.as_millis()
        )),
    }
}

/// One of the [`MAX_LOOKUPS`] lookups; dropping it frees the place.
struct LookupTicket;

impl LookupTicket {
    fn take() -> Option<LookupTicket> {
        LOOKUPS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_LOOKUPS).then_some(n + 1)
            })
            .ok()
            .map(|_| LookupTicket)
    }
}

impl Drop for LookupTicket {
    fn drop(&mut self) {
        LOOKUPS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether `name` is `invalid` or a name under it (case-insensitive, trailing dot allowed).
pub fn is_reserved_invalid(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "invalid" || name.ends_with(".invalid")
}

/// The answers one UDP association has had, so that a name is looked up once, not for
/// every datagram (failures too: a dead name must not stall every datagram).
#[derive(Debug, Default)]
pub struct NameCache {
    answers: HashMap<(DomainName, u16), Result<Vec<SocketAddr>, String>>,
}

impl NameCache {
    /// The addresses of `target`, from the cache or looked up within `limit`.
    pub fn resolve(&mut self, target: &Target, limit: Duration) -> Result<Vec<SocketAddr>, String> {
        self.resolve_using(target, limit, system_lookup)
    }

    /// [`NameCache::resolve`] with the lookup given.
    pub fn resolve_using(
        &mut self,
        target: &Target,
        limit: Duration,
        lookup: Lookup,
    ) -> Result<Vec<SocketAddr>, String> {
        let Target::Name(name, port) = target else {
            return resolve_using(target, limit, lookup);
        };
        let key = (name.clone(), *port);
        if let Some(answer) = self.answers.get(&key) {
            return answer.clone();
        }
        let answer = resolve_using(target, limit, lookup);
        if self.answers.len() < MAX_CACHED_NAMES {
            self.answers.insert(key, answer.clone());
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn name(text: &str, port: u16) -> Target {
        Target::Name(DomainName::try_from(text.to_owned()).expect("a name"), port)
    }

    fn hangs(_: &str, _: u16) -> io::Result<Vec<SocketAddr>> {
        // A resolver whose DNS server never answers; the lookup thread outlives the test.
        thread::sleep(Duration::from_secs(30));
        Ok(Vec::new())
    }

    static COUNTED: AtomicUsize = AtomicUsize::new(0);

    fn counted(_: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        COUNTED.fetch_add(1, Ordering::SeqCst);
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    #[test]
    fn a_lookup_that_hangs_ends_at_the_deadline() {
        let start = Instant::now();
        let error = resolve_using(&name("slow.example", 80), Duration::from_millis(100), hangs)
            .expect_err("no answer");
        assert!(error.contains("no answer within 100 ms"), "{error}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_udp_association_looks_each_name_up_once() {
        let mut cache = NameCache::default();
        let limit = Duration::from_secs(5);
        for _ in 0..10 {
            let addrs = cache
                .resolve_using(&name("cached.example", 53), limit, counted)
                .expect("an answer");
            assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], 53))]);
        }
        assert_eq!(COUNTED.load(Ordering::SeqCst), 1);
        cache
            .resolve_using(&name("cached.example", 54), limit, counted)
            .expect("an answer");
        assert_eq!(
            COUNTED.load(Ordering::SeqCst),
            2,
            "another port is another key"
        );
    }

    #[test]
    fn a_name_that_hangs_stalls_an_association_once_only() {
        let mut cache = NameCache::default();
        let target = name("dead.example", 53);
        let start = Instant::now();
        for _ in 0..20 {
            assert!(
                cache
                    .resolve_using(&target, Duration::from_millis(50), hangs)
                    .is_err()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn addresses_need_no_lookup() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 9));
        assert_eq!(
            resolve_using(&Target::Addr(addr), Duration::ZERO, hangs),
            Ok(vec![addr])
        );
    }

    #[test]
    fn names_under_invalid_are_refused_without_asking_dns() {
        for name in ["invalid", "no-such-host.invalid", "A.B.INVALID."] {
            assert!(is_reserved_invalid(name), "{name}");
        }
        for name in [
            "localhost",
            "invalid.example",
            "notinvalid",
            "example.invalid.com",
        ] {
            assert!(!is_reserved_invalid(name), "{name}");
        }
    }
}
