//! Error advice: the usual failures of the network and the disk, said in words that tell the
//! user (or the sender) what happened and what to do.

use std::io::{self, ErrorKind};
use std::time::Duration;

/// Why `bind` failed, and how to fix it.
pub(crate) fn cannot_listen(error: io::Error, addr: &str) -> anyhow::Error {
    let hint = match error.kind() {
        ErrorKind::AddrInUse => {
            "another program (perhaps another file-recv) is listening there: stop it, \
             or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
        }
        ErrorKind::PermissionDenied => {
            "ports below 1024 need administrator rights on Linux: choose a port above 1024"
        }
        ErrorKind::AddrNotAvailable => {
            "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
        }
        _ => "give the address as IP:PORT, e.g. 127.0.0.1:8002 or [::1]:0",
    };
    anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
}

/// Says in words what went wrong on the connection.
pub(crate) fn network_problem(error: &io::Error, idle: Duration, doing: &str) -> String {
    match error.kind() {
        // Unix reports an expired socket timeout as WouldBlock, Windows as TimedOut.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "the sender stalled while {doing}: nothing for {} s (--idle-timeout)",
            idle.as_secs()
        ),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!("the sender vanished while {doing} (connection reset)")
        }
        ErrorKind::InvalidData => format!("not the file protocol while {doing}: {error}"),
        _ => format!("network error while {doing}: {error}"),
    }
}

/// Says in words what went wrong on the disk.
pub(crate) fn disk_problem(error: &io::Error, doing: &str) -> String {
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => format!("{doing}: the disk is full"),
        ErrorKind::FileTooLarge => {
            format!("{doing}: the file size limit of the receiver is reached (ulimit -f)")
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            format!("{doing}: the target directory is not writable")
        }
        _ => format!("{doing}: {error}"),
    }
}
