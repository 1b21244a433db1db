//! Error messages that say what happened to the connection and what to do next: start the
//! server, fix the address, try again later. A bare "os error 111" teaches nothing.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::Duration;

/// Explains why `connect` to `candidate` (one address of `addr`) failed.
pub fn connect_failed(
    error: io::Error,
    candidate: SocketAddr,
    addr: &str,
    timeout: Duration,
) -> anyhow::Error {
    let message = match error.kind() {
        _ if candidate.port() == 0 => format!(
            "cannot connect to port 0 ({addr}): port 0 means \"any free port\" only when \
             listening; connect to the port the server printed in its `listening on` line"
        ),
        // Nothing listens on the port: the server's OS answered our SYN with RST.
        ErrorKind::ConnectionRefused => format!(
            "connection refused by {candidate}: nothing is listening there. \
             Is tcp-server running? Start it with `{}`",
            start_command(addr)
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "no answer from {candidate} within {} s: is the address right? \
             tcp-server listens on {} unless told otherwise",
            timeout.as_secs(),
            common::TCP_ADDR
        ),
        _ => format!("cannot connect to {candidate}"),
    };
    anyhow::Error::new(error).context(message)
}

/// Explains an I/O error on an open connection.
pub fn lost(error: io::Error, addr: &str, server: SocketAddr) -> anyhow::Error {
    let restart = start_command(addr);
    let message = match error.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => format!(
            "the connection to {server} was reset: the server crashed or was stopped; \
             start it again with `{restart}`"
        ),
        ErrorKind::BrokenPipe => {
            format!("the server at {server} closed the connection; start it again with `{restart}`")
        }
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "the server at {server} stopped reading what we send (is it stuck?); \
             restart it with `{restart}`"
        ),
        _ => format!("the connection to {server} failed"),
    };
    anyhow::Error::new(error).context(message)
}

/// Everything was sent, and the server has been silent for `timeout`.
pub fn no_reply(server: SocketAddr, timeout: Duration, addr: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "no reply from {server} within {} s: the server is stuck, or it is not a tcp-server; \
         restart it with `{}`",
        timeout.as_secs(),
        start_command(addr)
    )
}

/// The server closed while the person was still typing.
pub fn hung_up(server: SocketAddr, addr: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the server at {server} closed the connection (it was stopped, or hung up after \
         its --idle-timeout): start it again with `{}`, then reconnect",
        start_command(addr)
    )
}

/// The command that starts a tcp-server listening on `addr`, for error messages.
fn start_command(addr: &str) -> String {
    if addr == common::TCP_ADDR {
        "cargo run -p tcp-server".to_owned()
    } else {
        format!("cargo run -p tcp-server -- --listen {addr}")
    }
}
