//! What to do when the address is wrong or `bind` fails: the OS's error, plus advice.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;

/// The message for text that is not an address.
pub fn not_an_address(text: &str) -> String {
    format!("cannot use {text:?} as an address: give IP:PORT, e.g. 127.0.0.1:8001 or [::1]:0")
}

/// The OS's error from `UdpSocket::bind(addr)`, with what to do about it.
pub fn bind_failed(error: io::Error, addr: SocketAddr) -> anyhow::Error {
    let hint = match error.kind() {
        ErrorKind::AddrInUse => {
            "another program (perhaps another udp-server) is bound there: stop it, \
             or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
        }
        ErrorKind::PermissionDenied => {
            "ports below 1024 need administrator rights on Linux: choose a port above 1024, \
             e.g. `--listen 127.0.0.1:8001`"
        }
        ErrorKind::AddrNotAvailable => {
            "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
        }
        _ => "give the address as IP:PORT, e.g. 127.0.0.1:8001 or [::1]:0",
    };
    anyhow::Error::new(error).context(format!("cannot bind {addr}: {hint}"))
}
