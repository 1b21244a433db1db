//! Why `bind` failed, in words that say how to fix it: the first error every student meets
//! is a port still taken by the server they started a minute ago.

use std::io::{self, ErrorKind};

/// Wraps a failed `TcpListener::bind(addr)` in a message that names the fix.
pub fn explain(error: io::Error, addr: &str) -> anyhow::Error {
    let hint = match error.kind() {
        ErrorKind::AddrInUse => {
            "another program (perhaps another tcp-server) is listening there: stop it, \
             or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
        }
        // Linux reserves ports below 1024 for administrators (root, or CAP_NET_BIND_SERVICE);
        // macOS (since 10.14) and Windows do not, so there the cause is something else, such
        // as a security tool or a port Windows has excluded.
        ErrorKind::PermissionDenied => {
            "permission denied: on Linux, ports below 1024 need administrator rights; \
             choose a port above 1024, e.g. `--listen 127.0.0.1:8000`"
        }
        ErrorKind::AddrNotAvailable => {
            "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
        }
        _ => "give the address as IP:PORT, e.g. 127.0.0.1:8000 or [::1]:0",
    };
    anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
}
