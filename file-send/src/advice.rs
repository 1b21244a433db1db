//! Error advice: a failed connection, a receiver that went away, a reply that makes no sense,
//! said in words that tell the user what happened to the file and what to do.

use std::io::{self, BufReader, ErrorKind};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result};
use file_recv::protocol::{self, Outcome};

/// The addresses `addr` stands for: `localhost:8002` may be both `[::1]` and `127.0.0.1`.
pub(crate) fn resolve(addr: &str) -> Result<Vec<SocketAddr>> {
    let found: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .with_context(|| {
            format!(
                "cannot use {addr:?} as the receiver's address: give IP:PORT, e.g. {}",
                common::FILE_ADDR
            )
        })?
        .collect();
    anyhow::ensure!(
        !found.is_empty(),
        "{addr} did not resolve to any IP address"
    );
    Ok(found)
}

/// Why no address of `addr` accepted the connection; `failed` is the last one tried.
pub(crate) fn cannot_connect(
    addr: &str,
    failed: SocketAddr,
    error: io::Error,
    timeout: Duration,
) -> anyhow::Error {
    let start_hint = if addr == common::FILE_ADDR {
        "cargo run -p file-recv".to_owned()
    } else {
        format!("cargo run -p file-recv -- --listen {addr}")
    };
    let message = match error.kind() {
        ErrorKind::ConnectionRefused => format!(
            "connection refused by {failed}: nothing is listening there. \
             Is file-recv running? Start it with `{start_hint}`"
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "no answer from {failed} within {} s: is the address right?",
            timeout.as_secs()
        ),
        _ => format!("cannot connect to {failed}"),
    };
    anyhow::Error::new(error).context(message)
}

/// Explains a connection that broke while streaming, with the receiver's reason if it
/// managed to send one (`error: the disk is full ...`) before closing.
pub(crate) fn connection_cut(
    reader: &mut BufReader<&TcpStream>,
    receiver: SocketAddr,
    sent: u64,
    size: u64,
    error: io::Error,
) -> anyhow::Error {
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(500)));
    if let Ok(Some(line)) = protocol::read_message(reader)
        && let Ok(Outcome::Failed(reason)) = Outcome::parse(&line)
    {
        return anyhow::anyhow!(
            "the receiver stopped the transfer after {sent} of {size} bytes: {reason}"
        );
    }
    let why = match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "the receiver stopped reading",
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "reset: the receiver crashed or was stopped"
        }
        _ => "the receiver went away",
    };
    anyhow::Error::new(error).context(format!(
        "connection to {receiver} closed after {sent} of {size} bytes ({why}); \
         the file was not stored"
    ))
}

/// Explains an I/O error on the connection.
pub(crate) fn lost(error: io::Error, receiver: SocketAddr, doing: &str) -> anyhow::Error {
    let message = match error.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => format!(
            "the connection to {receiver} was reset while {doing}: the receiver crashed or \
             was stopped"
        ),
        ErrorKind::BrokenPipe => format!("{receiver} closed the connection while {doing}"),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("{receiver} did not respond while {doing} (--timeout)")
        }
        ErrorKind::InvalidData => format!("{receiver} does not speak the file protocol ({doing})"),
        _ => format!("the connection to {receiver} failed while {doing}"),
    };
    anyhow::Error::new(error).context(message)
}
