//! Where the proxy may connect for a client. A proxy connects from inside its own network,
//! so without rules a client on the Internet could use it to reach what only that network
//! should see (server-side request forgery): the cloud's metadata service at
//! 169.254.169.254, private servers, this machine's own services, the proxy itself.

use std::fmt;
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// A range of addresses written as ADDRESS/PREFIX (`10.0.0.0/8`, `fd00::/8`), for
/// `--allow-range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses ADDRESS/PREFIX; the address alone means just that address.
    pub fn parse(text: &str) -> Result<IpRange, String> {
        let (ip, prefix) = text.split_once('/').unwrap_or((text, ""));
        let network: IpAddr = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not an IP address: write e.g. 10.0.0.0/8"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => bits,
            digits => digits
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= bits)
                .ok_or_else(|| format!("the prefix must be 0 to {bits}, not {digits:?}"))?,
        };
        Ok(IpRange {
            network: network.to_canonical(),
            prefix,
        })
    }

    /// Whether `ip` is in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(net.to_bits()) << 96,
                u128::from(ip.to_bits()) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(net.to_bits(), ip.to_bits(), self.prefix)
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    a & mask == b & mask
}

/// What the rules need to know about one request.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// The client is on another machine (not loopback).
    pub remote_client: bool,
    /// The proxy's end of the client's connection.
    pub proxy: SocketAddr,
    /// The proxy listens on every address (`0.0.0.0` or `[::]`).
    pub wildcard: bool,
    /// Where the client wants to go (one resolved address).
    pub target: SocketAddr,
}

// ANCHOR: rules
/// The proxy's rules: may this request go ahead? The reason comes back when it may not
/// (the client gets SOCKS5 reply 0x02, "not allowed by the rules", or SOCKS4's 0x5B).
///
/// * Nobody may reach the proxy itself: chains of the proxy through itself would take
///   every client slot. On a wildcard listener, every address of this machine is the proxy.
/// * A client on another machine may not reach this machine (its loopback services and
///   its own addresses) nor the networks only this machine should see: link-local (the
///   cloud metadata service), private and unique-local ranges, unless `allowed` names them.
pub fn target_allowed(
    request: Request,
    is_own_address: impl Fn(IpAddr) -> bool,
    allowed: &[IpRange],
) -> Result<(), &'static str> {
    let target_ip = request.target.ip().to_canonical();
    let this_machine = target_ip.is_loopback() || target_ip.is_unspecified();
    if request.target.port() == request.proxy.port()
        && (target_ip == request.proxy.ip().to_canonical()
            || this_machine
            || (request.wildcard && is_own_address(target_ip)))
    {
        return Err("that is this proxy itself");
    }
    if !request.remote_client || allowed.iter().any(|range| range.contains(target_ip)) {
        return Ok(());
    }
    if this_machine {
        return Err("loopback services of the proxy's machine are not for remote clients");
    }
    if is_link_local(target_ip) {
        return Err("link-local addresses (such as cloud metadata) are not for remote clients");
    }
    if is_private(target_ip) {
        return Err("private networks behind the proxy are not for remote clients");
    }
    if is_own_address(target_ip) {
        return Err("the proxy's own machine is not for remote clients");
    }
    Ok(())
}
// ANCHOR_END: rules

/// Whether `ip` belongs to this machine: only then can a socket be bound to it.
pub fn is_own_address(ip: IpAddr) -> bool {
    UdpSocket::bind((ip.to_canonical(), 0)).is_ok()
}

/// 169.254.0.0/16 and fe80::/10: reachable on the local link only.
fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_link_local(),
        IpAddr::V6(ip) => ip.is_unicast_link_local(),
    }
}

/// 10/8, 172.16/12, 192.168/16 (RFC 1918) and fc00::/7 (unique local, RFC 4193).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_private(),
        IpAddr::V6(ip) => ip.is_unique_local(),
    }
}

/// The ranges as one list for a log line or an error message.
pub fn describe(allowed: &[IpRange]) -> String {
    let shown: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("a valid test address")
    }

    /// A remote (or local) client of a proxy at `proxy`, asking for `target`; this
    /// machine's addresses are 192.0.2.1 and 2001:db8::1, and loopback.
    fn check(remote: bool, proxy: &str, wildcard: bool, target: &str) -> Result<(), &'static str> {
        check_with(remote, proxy, wildcard, target, &[])
    }

    fn check_with(
        remote: bool,
        proxy: &str,
        wildcard: bool,
        target: &str,
        allowed: &[IpRange],
    ) -> Result<(), &'static str> {
        let own = |ip: IpAddr| {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip == IpAddr::from([192, 0, 2, 1])
                || ip == "2001:db8::1".parse::<IpAddr>().expect("address")
        };
        let request = Request {
            remote_client: remote,
            proxy: addr(proxy),
            wildcard,
            target: addr(target),
        };
        target_allowed(request, own, allowed)
    }

    #[test]
    fn nobody_reaches_the_proxy_itself() {
        let proxy = "127.0.0.1:1080";
        assert!(check(false, proxy, false, "127.0.0.1:8080").is_ok());
        for target in [
            "127.0.0.1:1080",
            "0.0.0.0:1080",
            "[::ffff:127.0.0.1]:1080",
            "[::1]:1080",
        ] {
            assert_eq!(
                check(false, proxy, false, target),
                Err("that is this proxy itself")
            );
        }
        // On a wildcard listener, another address of this machine is the proxy too.
        for target in ["192.0.2.1:1080", "[2001:db8::1]:1080"] {
            assert_eq!(
                check(false, "127.0.0.1:1080", true, target),
                Err("that is this proxy itself")
            );
            assert!(check(false, "127.0.0.1:1080", false, target).is_ok());
        }
    }

    #[test]
    fn remote_clients_do_not_reach_this_machine_or_its_networks() {
        let proxy = "[2001:db8::1]:1080";
        for target in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "0.0.0.0:8080",
            "169.254.169.254:80",
            "[fe80::1]:80",
            "10.0.0.7:80",
            "172.16.0.1:80",
            "172.31.255.255:80",
            "192.168.1.1:80",
            "[fd00::1]:80",
            "[fc00::1]:80",
            "[::ffff:10.1.2.3]:80",
            "192.0.2.1:22",
            "[2001:db8::1]:22",
        ] {
            assert!(check(true, proxy, false, target).is_err(), "{target}");
            assert!(
                check(false, proxy, false, target).is_ok(),
                "local client: {target}"
            );
        }
        for target in [
            "198.51.100.3:80",
            "172.32.0.1:80",
            "[2001:db8::7]:443",
            "8.8.8.8:53",
        ] {
            assert!(check(true, proxy, false, target).is_ok(), "{target}");
        }
    }

    #[test]
    fn named_ranges_can_be_allowed_but_never_the_proxy_itself() {
        let allowed = [
            IpRange::parse("10.1.0.0/16").expect("range"),
            IpRange::parse("fd00::/8").expect("range"),
            IpRange::parse("127.0.0.1").expect("range"),
        ];
        let proxy = "192.0.2.1:1080";
        for target in ["10.1.2.3:80", "[fd12::1]:80", "127.0.0.1:8080"] {
            assert!(
                check_with(true, proxy, false, target, &allowed).is_ok(),
                "{target}"
            );
        }
        assert!(check_with(true, proxy, false, "10.2.0.1:80", &allowed).is_err());
        assert!(check_with(true, proxy, false, "127.0.0.1:1080", &allowed).is_err());
    }

    #[test]
    fn ranges_parse_and_match_by_prefix() {
        let range = IpRange::parse("172.16.0.0/12").expect("range");
        assert!(range.contains(IpAddr::from([172, 31, 0, 1])));
        assert!(!range.contains(IpAddr::from([172, 32, 0, 1])));
        assert!(range.contains("::ffff:172.16.9.9".parse().expect("address")));
        assert!(
            IpRange::parse("0.0.0.0/0")
                .expect("all")
                .contains(IpAddr::from([1, 2, 3, 4]))
        );
        assert!(
            !IpRange::parse("::/0")
                .expect("all v6")
                .contains(IpAddr::from([1, 2, 3, 4]))
        );
        for bad in ["10.0.0.0/33", "fd00::/129", "ten/8", "10.0.0.0/x", ""] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(range.to_string(), "172.16.0.0/12");
    }

    #[test]
    fn loopback_addresses_are_this_machines_own() {
        assert!(is_own_address(IpAddr::from([127, 0, 0, 1])));
        // TEST-NET-1 (RFC 5737) is never assigned to a machine; nothing is sent to it.
        assert!(!is_own_address(IpAddr::from([192, 0, 2, 123])));
    }
}
