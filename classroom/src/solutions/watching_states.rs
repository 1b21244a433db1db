//! Solutions for "Watching the states" (the `tcp-states` lab).
//!
//! * Exercise 2: find a connection in `/proc/net/tcp` by hand. [`port_hex`] turns a port
//!   into the table's spelling, [`decode_line`] reads one line of the table the way the
//!   chapter does on paper. The teardown and states solutions use it to check states.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// One line of `/proc/net/tcp`, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelEntry {
    /// This end's address.
    pub local: SocketAddrV4,
    /// The other end's address (`0.0.0.0:0` for a listener).
    pub remote: SocketAddrV4,
    /// The state, with the notes' spelling (`TIME_WAIT`, `FIN_WAIT_2`, ...).
    pub state: &'static str,
    /// Time left on the socket's timer, when one runs (the `TIME_WAIT` countdown among them).
    pub timer_left: Option<Duration>,
}

// ANCHOR: port_hex
/// A port as `/proc/net/tcp` writes it: four upper-case hex digits, 8003 is `1F43`.
pub fn port_hex(port: u16) -> String {
    format!("{port:04X}")
}
// ANCHOR_END: port_hex

// ANCHOR: decode_line
/// Decodes one line of `/proc/net/tcp`; `None` for the header or a line of another shape.
///
/// `  71: 0100007F:E35A 0100007F:1F43 06 00000000:00000000 03:00001748 ...`
/// is 127.0.0.1:58202 → 127.0.0.1:8003, state 06 (`TIME_WAIT`), timer 3 (the `TIME_WAIT`
/// timer) with 0x1748 hundredths of a second left: 59.6 s.
pub fn decode_line(line: &str) -> Option<KernelEntry> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [_slot, local, remote, state, _queues, timer, ..] = fields.as_slice() else {
        return None;
    };
    let (timer_kind, when) = timer.split_once(':')?;
    let timer_left = match u8::from_str_radix(timer_kind, 16).ok()? {
        0 => None, // no timer runs
        // The kernel prints the delay in USER_HZ ticks: hundredths of a second.
        _ => Some(Duration::from_millis(
            u64::from_str_radix(when, 16).ok()? * 10,
        )),
    };
    Some(KernelEntry {
        local: decode_address(local)?,
        remote: decode_address(remote)?,
        state: state_name(u8::from_str_radix(state, 16).ok()?)?,
        timer_left,
    })
}

/// `0100007F:E35A` → 127.0.0.1:58202.
fn decode_address(text: &str) -> Option<SocketAddrV4> {
    let (ip, port) = text.split_once(':')?;
    // The kernel prints the address's four bytes as one number in the machine's own byte
    // order: 127.0.0.1 comes out as 0100007F on a little-endian PC. `to_ne_bytes` (native
    // endian) undoes exactly that, on any machine.
    let ip = Ipv4Addr::from(u32::from_str_radix(ip, 16).ok()?.to_ne_bytes());
    // The port is printed as a plain number.
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddrV4::new(ip, port))
}

/// The kernel's state numbers (`include/net/tcp_states.h`), with the notes' names.
fn state_name(number: u8) -> Option<&'static str> {
    Some(match number {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RCVD",
        0x04 => "FIN_WAIT_1",
        0x05 => "FIN_WAIT_2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSED",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        _ => return None,
    })
}
// ANCHOR_END: decode_line

/// Every IPv4 TCP socket of this machine, from `/proc/net/tcp` (Linux only).
#[cfg(target_os = "linux")]
pub fn kernel_table() -> std::io::Result<Vec<KernelEntry>> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    Ok(table.lines().filter_map(decode_line).collect())
}

/// The state of the socket whose local and remote addresses are `local` and `remote`, if
/// the kernel still lists it (Linux only).
#[cfg(target_os = "linux")]
pub fn state_of(
    local: std::net::SocketAddr,
    remote: std::net::SocketAddr,
) -> std::io::Result<Option<&'static str>> {
    let matches = |entry: &KernelEntry| {
        std::net::SocketAddr::V4(entry.local) == local
            && std::net::SocketAddr::V4(entry.remote) == remote
    };
    Ok(kernel_table()?.into_iter().find(matches).map(|e| e.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_8003_is_1f43_in_the_table() {
        assert_eq!(port_hex(8003), "1F43");
        assert_eq!(port_hex(80), "0050");
    }

    #[test]
    fn the_chapters_line_decodes_to_a_time_wait_with_59_6_seconds_left() {
        let line = "  71: 0100007F:E35A 0100007F:1F43 06 00000000:00000000 03:00001748 \
                    00000000     0        0 0 3 000000003079229a";
        let entry = decode_line(line).expect("a table line");
        // The chapter's line was written by a little-endian PC.
        if cfg!(target_endian = "little") {
            assert_eq!(entry.local, "127.0.0.1:58202".parse().expect("address"));
            assert_eq!(entry.remote, "127.0.0.1:8003".parse().expect("address"));
        }
        assert_eq!(entry.state, "TIME_WAIT");
        assert_eq!(entry.timer_left, Some(Duration::from_millis(59_600)));
    }

    #[test]
    fn the_header_line_is_not_an_entry() {
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when \
                      retrnsmt   uid  timeout inode";
        assert_eq!(decode_line(header), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_of_ours_is_found_in_the_kernel_table_as_listen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let addr = listener.local_addr().expect("bound address");
        let unspecified = "0.0.0.0:0".parse().expect("address");
        assert_eq!(
            state_of(addr, unspecified).expect("/proc/net/tcp is readable"),
            Some("LISTEN")
        );
    }
}
