//! The password check (RFC 1929) and its defences against guessing: a comparison whose
//! time tells nothing, a delay after each wrong guess, and a limit of failures per client
//! address. Without them, one client could try thousands of passwords a second.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::wire;

/// How long failures are remembered: after this long without one, an address starts anew.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);

/// The most addresses whose failures are remembered at once, so the table cannot grow
/// without bound under guesses from many addresses.
pub const MAX_TRACKED: usize = 4096;

/// The one user name and password the proxy accepts.
#[derive(Clone)]
pub struct Credentials {
    username: Vec<u8>,
    password: Vec<u8>,
}

impl Credentials {
    /// Parses NAME:PASSWORD (the password may contain ':'; the name may not).
    pub fn parse(text: &str) -> Result<Credentials, String> {
        let (username, password) = text
            .split_once(':')
            .ok_or("give the credentials as NAME:PASSWORD")?;
        // RFC 1929 sends each with a one-byte length, and requires at least one byte.
        for (what, field) in [("name", username), ("password", password)] {
            if field.is_empty() || field.len() > 255 {
                return Err(format!("the {what} must be 1 to 255 bytes long"));
            }
        }
        Ok(Credentials {
            username: username.as_bytes().to_vec(),
            password: password.as_bytes().to_vec(),
        })
    }

    /// Whether a client's name and password are these.
    pub fn accept(&self, request: &wire::AuthRequest) -> bool {
        // `&` and not `&&`: check both, so the answer takes as long for a right name
        // with a wrong password as for a wrong name.
        same_bytes(&request.username, &self.username)
            & same_bytes(&request.password, &self.password)
    }
}

/// Shows the user name, never the password, so printing a `Config` cannot leak it.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &String::from_utf8_lossy(&self.username))
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Compares two byte strings of at most 255 bytes (RFC 1929's limit) in a time that
/// depends on neither their contents nor their lengths.
///
/// `==` stops at the first different byte; by timing many guesses, an attacker could find
/// the password byte by byte. Here every one of the 255 places is compared, a missing byte
/// counting as 0, and the lengths are compared alongside.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..255 {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        diff |= usize::from(x.unwrap_or(0) ^ y.unwrap_or(0));
    }
    diff == 0
}

/// Failed passwords per client address, for `--max-auth-failures`.
#[derive(Debug, Default)]
pub struct Guesses {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Guesses {
    /// Whether `ip` has failed `limit` times, the last within [`FAILURE_WINDOW`].
    pub fn locked_out(&self, ip: IpAddr, now: Instant, limit: u32) -> bool {
        let failures = self.lock();
        failures.get(&ip).is_some_and(|&(count, last)| {
            count >= limit && now.saturating_duration_since(last) < FAILURE_WINDOW
        })
    }

    /// Counts one failure of `ip`.
    pub fn failed(&self, ip: IpAddr, now: Instant) {
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&ip) {
            failures
                .retain(|_, &mut (_, last)| now.saturating_duration_since(last) < FAILURE_WINDOW);
            if failures.len() >= MAX_TRACKED {
                return; // Every entry is recent: the table keeps what it has.
            }
        }
        let entry = failures.entry(ip).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= FAILURE_WINDOW {
            entry.0 = 0; // A long quiet: start anew.
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
    }

    /// Forgets the failures of `ip`, after it gave the right password.
    pub fn succeeded(&self, ip: IpAddr) {
        self.lock().remove(&ip);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_name_colon_password() {
        let credentials = Credentials::parse("alice:pa:ss").expect("valid");
        assert_eq!(credentials.username, b"alice");
        assert_eq!(credentials.password, b"pa:ss");
        assert!(Credentials::parse("alice").is_err());
        assert!(Credentials::parse(":secret").is_err());
        assert!(Credentials::parse("alice:").is_err());
        assert!(!format!("{credentials:?}").contains("pa:ss"));
    }

    #[test]
    fn credentials_accept_only_the_exact_name_and_password() {
        let credentials = Credentials::parse("alice:secret").expect("valid");
        let attempt = |username: &[u8], password: &[u8]| wire::AuthRequest {
            username: username.to_vec(),
            password: password.to_vec(),
        };
        assert!(credentials.accept(&attempt(b"alice", b"secret")));
        assert!(!credentials.accept(&attempt(b"alice", b"secreT")));
        assert!(!credentials.accept(&attempt(b"alice", b"secret2")));
        assert!(!credentials.accept(&attempt(b"bob", b"secret")));
        assert!(!credentials.accept(&attempt(b"", b"")));
    }

    #[test]
    fn the_comparison_looks_at_every_place_whatever_the_lengths() {
        assert!(same_bytes(b"", b""));
        assert!(same_bytes(b"abc", b"abc"));
        assert!(
            !same_bytes(b"abc", b"abc\0"),
            "a trailing zero byte still differs"
        );
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(!same_bytes(&[7; 255], &[7; 254]));
        assert!(same_bytes(&[7; 255], &[7; 255]));
    }

    #[test]
    fn failures_lock_an_address_out_until_the_window_passes() {
        let guesses = Guesses::default();
        let (a, b) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(!guesses.locked_out(a, start, 3));
            guesses.failed(a, start);
        }
        assert!(guesses.locked_out(a, start, 3));
        assert!(
            !guesses.locked_out(b, start, 3),
            "other addresses are not punished"
        );
        assert!(!guesses.locked_out(a, start + FAILURE_WINDOW, 3));
        guesses.failed(a, start + FAILURE_WINDOW);
        assert!(
            !guesses.locked_out(a, start + FAILURE_WINDOW, 3),
            "counting starts anew"
        );
        guesses.succeeded(a);
        assert!(guesses.lock().is_empty());
    }

    #[test]
    fn the_table_of_failures_stays_bounded() {
        let guesses = Guesses::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 100) {
            guesses.failed(IpAddr::from(i.to_be_bytes()), now);
        }
        assert_eq!(guesses.lock().len(), MAX_TRACKED);
    }
}
