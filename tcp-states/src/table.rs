//! How the lab learns the state of a socket: it asks the operating system for its table of
//! TCP sockets, the same table that `ss` and `netstat` print.
//!
//! * Linux: the kernel's own table, in `/proc/net/tcp` (IPv4) and `/proc/net/tcp6` (IPv6).
//!   Any user may read it, no privileges needed.
//! * macOS, the BSDs, Windows: the output of `netstat -an`, the notes' own method, read and
//!   filtered by the program instead of by `grep`/`findstr`.

use std::fmt::{self, Display};
use std::net::{IpAddr, SocketAddr};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The states of RFC 9293's state machine, named as the notes and `netstat` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// Waiting for SYNs (a listening socket).
    Listen,
    /// SYN sent, waiting for SYN+ACK (the client, during the handshake).
    SynSent,
    /// SYN received and SYN+ACK sent, waiting for the ACK (the server, during the handshake).
    SynReceived,
    /// The handshake is done: data flows both ways.
    Established,
    /// Our FIN is sent, not yet acknowledged.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's FIN (half-closed).
    FinWait2,
    /// The peer's FIN arrived; waiting for our program to close.
    CloseWait,
    /// Both ends sent FIN at the same time; waiting for the ACK of ours.
    Closing,
    /// Our FIN (after the peer's) is sent; waiting for its ACK.
    LastAck,
    /// Both FINs are acknowledged; waiting 2 MSL before forgetting the connection.
    TimeWait,
    /// No connection (seldom listed: a closed socket usually leaves the table).
    Closed,
}

impl TcpState {
    /// Whether the state normally lasts only until one packet comes back.
    pub fn is_short_lived(self) -> bool {
        matches!(
            self,
            TcpState::SynSent
                | TcpState::SynReceived
                | TcpState::FinWait1
                | TcpState::Closing
                | TcpState::LastAck
        )
    }

    /// Reads a state as any `netstat` or `ss` prints it: `FIN_WAIT_2` (macOS, Windows),
    /// `FIN_WAIT2` (Linux netstat), `FIN-WAIT-2` (ss), `LISTENING` (Windows), `SYN_RCVD`...
    pub fn from_name(name: &str) -> Option<TcpState> {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Some(match name.as_str() {
            "LISTEN" | "LISTENING" => TcpState::Listen,
            "SYNSENT" => TcpState::SynSent,
            "SYNRECV" | "SYNRCVD" | "SYNRECEIVED" => TcpState::SynReceived,
            "ESTAB" | "ESTABLISHED" => TcpState::Established,
            "FINWAIT1" => TcpState::FinWait1,
            "FINWAIT2" => TcpState::FinWait2,
            "CLOSEWAIT" => TcpState::CloseWait,
            "CLOSING" => TcpState::Closing,
            "LASTACK" => TcpState::LastAck,
            "TIMEWAIT" => TcpState::TimeWait,
            "CLOSED" | "CLOSE" | "UNCONN" => TcpState::Closed,
            _ => return None,
        })
    }
}

impl Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynReceived => "SYN_RCVD",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Closed => "CLOSED",
        })
    }
}

/// One line of the OS's TCP table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketEntry {
    /// This end's address.
    pub local: SocketAddr,
    /// The other end's address; `None` for a listening socket.
    pub remote: Option<SocketAddr>,
    /// The TCP state.
    pub state: TcpState,
    /// The bytes waiting in the kernel's buffers, when the table says.
    pub queues: Option<Queues>,
}

impl SocketEntry {
    pub(crate) fn route(&self) -> String {
        match self.remote {
            Some(remote) => format!("{} → {remote}", self.local),
            None => format!("{} (any peer)", self.local),
        }
    }
}

/// Bytes waiting in one socket's kernel buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queues {
    /// Received, not yet read by the program (`Recv-Q`).
    pub recv: u64,
    /// Written by the program, not yet acknowledged by the peer (`Send-Q`).
    pub send: u64,
}

/// The machine's TCP sockets as the OS reports them.
///
/// Linux: the kernel's own table, read from `/proc/net/tcp` and `/proc/net/tcp6`.
/// Elsewhere: the output of `netstat -an`.
pub fn read_socket_table() -> Result<Vec<SocketEntry>> {
    #[cfg(target_os = "linux")]
    let table = kernel_table();
    #[cfg(not(target_os = "linux"))]
    let table = netstat_table();
    table
}

// ANCHOR: kernel_table
/// Linux: every TCP socket of this network namespace, from `/proc/net/tcp` and `tcp6`.
///
/// Any user may read these files, and the `procfs` crate turns each line (hexadecimal
/// addresses in the kernel's byte order, the state as a number) into typed fields.
#[cfg(target_os = "linux")]
pub fn kernel_table() -> Result<Vec<SocketEntry>> {
    use procfs::net::TcpState as Kernel;

    let ipv4 = procfs::net::tcp().context("could not read /proc/net/tcp")?;
    // No tcp6 file means IPv6 is off in this kernel: there are no IPv6 sockets to list.
    let ipv6 = if std::path::Path::new("/proc/net/tcp6").exists() {
        procfs::net::tcp6().context("could not read /proc/net/tcp6")?
    } else {
        Vec::new()
    };
    let table = ipv4
        .into_iter()
        .chain(ipv6)
        .map(|entry| SocketEntry {
            local: entry.local_address,
            // A listening socket's peer is 0.0.0.0:0 in the table: no peer at all.
            remote: (entry.remote_address.port() != 0).then_some(entry.remote_address),
            state: match entry.state {
                Kernel::Listen => TcpState::Listen,
                Kernel::SynSent => TcpState::SynSent,
                Kernel::SynRecv | Kernel::NewSynRecv => TcpState::SynReceived,
                Kernel::Established => TcpState::Established,
                Kernel::FinWait1 => TcpState::FinWait1,
                Kernel::FinWait2 => TcpState::FinWait2,
                Kernel::CloseWait => TcpState::CloseWait,
                Kernel::Closing => TcpState::Closing,
                Kernel::LastAck => TcpState::LastAck,
                Kernel::TimeWait => TcpState::TimeWait,
                Kernel::Close => TcpState::Closed,
            },
            queues: Some(Queues {
                recv: u64::from(entry.rx_queue),
                send: u64::from(entry.tx_queue),
            }),
        })
        .collect();
    Ok(table)
}
// ANCHOR_END: kernel_table

/// Any OS: the TCP sockets listed by `netstat -an`.
///
/// This is the notes' own method (`netstat -an | grep PORT`), done by the program. It is the
/// path taken on macOS, the BSDs and Windows; on Linux it needs the `net-tools` package.
pub fn netstat_table() -> Result<Vec<SocketEntry>> {
    let output = Command::new("netstat")
        .arg("-an")
        .output()
        .context("could not run `netstat -an`")?;
    if !output.status.success() {
        bail!("`netstat -an` failed: {}", output.status);
    }
    Ok(parse_netstat(&String::from_utf8_lossy(&output.stdout)))
}

// ANCHOR: parse_netstat
/// The TCP lines of `netstat -an` output, from Linux, macOS, the BSDs or Windows.
///
/// Each platform prints the columns a little differently:
///
/// ```text
/// Linux:   tcp    0   0 127.0.0.1:8003     127.0.0.1:41234    ESTABLISHED
/// macOS:   tcp4   0   0 127.0.0.1.8003     127.0.0.1.41234    ESTABLISHED
/// Windows:   TCP    127.0.0.1:8003         127.0.0.1:41234        ESTABLISHED
/// ```
///
/// so a line is read as: a protocol starting with "tcp", then the two queue sizes if there
/// are numbers, the local and the remote address, and the state last. Lines that do not fit
/// (headers, UDP, Unix sockets) are skipped.
pub fn parse_netstat(output: &str) -> Vec<SocketEntry> {
    output.lines().filter_map(parse_netstat_line).collect()
}

fn parse_netstat_line(line: &str) -> Option<SocketEntry> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (protocol, rest) = fields.split_first()?;
    if !protocol.to_ascii_lowercase().starts_with("tcp") {
        return None;
    }
    let state = TcpState::from_name(rest.last()?)?;
    // Unix netstat prints Recv-Q and Send-Q before the addresses; Windows does not.
    let (queues, addresses) = match rest {
        [recv, send, after @ ..] => match (recv.parse(), send.parse()) {
            (Ok(recv), Ok(send)) => (Some(Queues { recv, send }), after),
            _ => (None, rest),
        },
        _ => (None, rest),
    };
    let local = parse_netstat_addr(addresses.first()?)?;
    let remote = addresses.get(1).and_then(|addr| parse_netstat_addr(addr));
    Some(SocketEntry {
        local,
        remote,
        state,
        queues,
    })
}

/// An address as netstat prints it: `127.0.0.1:8003`, `[::1]:8003` (Windows), `::1:8003`
/// (Linux), `127.0.0.1.8003` or `::1.8003` (macOS). `*:*`, `0.0.0.0:*` give `None`.
fn parse_netstat_addr(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse() {
        return Some(addr);
    }
    [':', '.'].into_iter().find_map(|separator| {
        let (ip, port) = text.rsplit_once(separator)?;
        let ip: IpAddr = ip
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, port.parse().ok()?))
    })
}
// ANCHOR_END: parse_netstat

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> SocketAddr {
        text.parse().expect("a valid address in the test")
    }

    #[test]
    fn netstat_lines_of_linux_macos_and_windows_are_understood() {
        let output = "\
Active Internet connections (servers and established)
Proto Recv-Q Send-Q Local Address           Foreign Address         State
tcp        0      0 127.0.0.1:8003          0.0.0.0:*               LISTEN
tcp        0      0 127.0.0.1:41234         127.0.0.1:8003          FIN_WAIT2
tcp6       0      0 ::1:8003                ::1:41236               CLOSE_WAIT
tcp4       7      9  127.0.0.1.8003         127.0.0.1.41238        ESTABLISHED
tcp6       0      0  ::1.41240              ::1.8003               TIME_WAIT
  TCP    127.0.0.1:8003         127.0.0.1:41242        ESTABLISHED
  TCP    [::1]:8003             [::]:0                 LISTENING
  UDP    127.0.0.1:8003         *:*
unix  2      [ ACC ]     STREAM     LISTENING     12345    /run/x.sock
";
        let table = parse_netstat(output);
        let states: Vec<TcpState> = table.iter().map(|e| e.state).collect();
        assert_eq!(
            states,
            [
                TcpState::Listen,
                TcpState::FinWait2,
                TcpState::CloseWait,
                TcpState::Established,
                TcpState::TimeWait,
                TcpState::Established,
                TcpState::Listen,
            ]
        );
        assert_eq!(table[0].local, v4("127.0.0.1:8003"));
        assert_eq!(table[0].remote, None);
        assert_eq!(table[2].remote, Some(v4("[::1]:41236")));
        assert_eq!(table[3].local, v4("127.0.0.1:8003"));
        assert_eq!(table[3].queues, Some(Queues { recv: 7, send: 9 }));
        assert_eq!(table[4].local, v4("[::1]:41240"));
        assert_eq!(table[5].queues, None, "Windows prints no queues");
        assert_eq!(table[6].local, v4("[::1]:8003"));
    }

    #[test]
    fn state_names_of_every_tool_map_to_one_state() {
        for (name, state) in [
            ("FIN-WAIT-2", TcpState::FinWait2),
            ("FIN_WAIT2", TcpState::FinWait2),
            ("FIN_WAIT_2", TcpState::FinWait2),
            ("SYN-RECV", TcpState::SynReceived),
            ("SYN_RCVD", TcpState::SynReceived),
            ("SYN_RECEIVED", TcpState::SynReceived),
            ("ESTAB", TcpState::Established),
            ("LISTENING", TcpState::Listen),
            ("TIME-WAIT", TcpState::TimeWait),
        ] {
            assert_eq!(TcpState::from_name(name), Some(state), "{name}");
        }
        assert_eq!(TcpState::from_name("Foreign"), None);
    }
}
