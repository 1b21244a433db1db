//! Who can reach the receiver: on an address other than loopback, anyone on the network may
//! store files here without a password, so the receiver says so loudly at start.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;

/// The warning for listening on `addr`, one line each; none for loopback.
pub(crate) fn warning(addr: SocketAddr, dir: &Path) -> Vec<String> {
    if addr.ip().to_canonical().is_loopback() {
        return Vec::new();
    }
    let line = "!".repeat(78);
    vec![
        line.clone(),
        format!("WARNING: OPEN UPLOAD SERVICE. Listening on {addr}, not a loopback address:"),
        format!(
            "anyone who can reach this address can store files in {}, without a",
            dir.display()
        ),
        "password, up to --max-size each. Listen on 127.0.0.1 or [::1] unless that is".to_owned(),
        "really what you want.".to_owned(),
        line,
    ]
}

/// Prints [`warning`] on stderr, ignoring a closed stderr.
pub(crate) fn warn(addr: SocketAddr, dir: &Path) {
    let mut stderr = io::stderr().lock();
    for line in warning(addr, dir) {
        let _ = writeln!(stderr, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("a valid test address")
    }

    #[test]
    fn only_a_listener_beyond_loopback_is_warned_about() {
        let dir = Path::new("/srv/inbox");
        for quiet in [
            "127.0.0.1:8002",
            "127.0.0.2:8002",
            "[::1]:8002",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(warning(addr(quiet), dir).is_empty(), "{quiet}");
        }
        for loud in ["0.0.0.0:8002", "[::]:8002", "192.168.1.5:8002"] {
            let text = warning(addr(loud), dir).join("\n");
            assert!(text.contains("WARNING: OPEN UPLOAD SERVICE"), "{text}");
            assert!(text.contains("/srv/inbox"), "{text}");
        }
    }
}
