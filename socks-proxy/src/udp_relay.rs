//! Step 8 for UDP ASSOCIATE: moving datagrams between the client and its targets, with the
//! SOCKS5 header on the client's side, and nothing for strangers.

use std::collections::HashSet;
use std::fmt::{self, Display};
use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::config::Config;
use crate::relay::{Activity, is_timeout};
use crate::resolve::NameCache;
use crate::wire::{self, Target};
use crate::{allowed, log};

/// How often the UDP relay looks up from its socket to see whether its TCP connection closed.
pub const UDP_POLL: Duration = Duration::from_millis(100);

/// The most distinct targets one UDP association may send to. Replies are accepted only
/// from these, and the set must not grow without bound.
pub const MAX_UDP_PEERS: usize = 256;

/// What a UDP association did, for the log.
#[derive(Debug, Default)]
pub(crate) struct DatagramCounts {
    sent: u64,
    received: u64,
    dropped: u64,
    pub(crate) ended: &'static str,
}

impl Display for DatagramCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} datagrams to targets, {} back to the client, {} dropped",
            self.sent, self.received, self.dropped
        )
    }
}

// ANCHOR: relay_datagrams
/// Moves datagrams between the client and its targets until `closed` is set.
///
/// From the client: strip the header, send the payload to the target it names. From a
/// target the client has sent to: put a header naming the sender in front, send it to the
/// client. Everything else is dropped: datagrams from any other address (the relay is not
/// for strangers), fragments (FRAG != 0), and malformed headers.
pub(crate) fn relay_datagrams(
    relay: &UdpSocket,
    client_ip: IpAddr,
    announced: &Target,
    closed: &AtomicBool,
    config: &Config,
) -> io::Result<DatagramCounts> {
    let idle = config.idle_timeout();
    let relay_addr = relay.local_addr()?;
    // The client's port: announced in the request, or learned from its first datagram.
    let mut client_port = match announced {
        Target::Addr(addr) if addr.port() != 0 => Some(addr.port()),
        _ => None,
    };
    let mut targets: HashSet<SocketAddr> = HashSet::new();
    // Names are looked up once per association, not for every datagram.
    let mut names = NameCache::default();
    let mut counts = DatagramCounts::default();
    let activity = Activity::new();
    // The largest UDP payload is 65,507 bytes over IPv4; a buffer this size never
    // truncates a datagram.
    let mut buffer = vec![0; 65_536];
    relay.set_read_timeout(Some(UDP_POLL))?;
    loop {
        if closed.load(Ordering::Acquire) {
            counts.ended = "the client closed its TCP connection";
            return Ok(counts);
        }
        if activity.idle_for() >= idle {
            counts.ended = "nothing relayed within --idle-timeout";
            return Ok(counts);
        }
        let (len, from) = match relay.recv_from(&mut buffer) {
            Ok(received) => received,
            // Timeouts let us look at `closed`; ICMP errors from earlier sends (some
            // systems report them here) concern one target, not the relay.
            Err(error) if is_timeout(&error) || is_icmp_error(&error) => continue,
            Err(error) => return Err(error),
        };
        let datagram = &buffer[..len];
        let from_client = from.ip().to_canonical() == client_ip.to_canonical()
            && client_port.is_none_or(|port| port == from.port());
        if from_client {
            client_port = Some(from.port());
            match forward_to_target(
                relay,
                datagram,
                (client_ip, relay_addr),
                (&mut targets, &mut names),
                config,
            ) {
                Ok(()) => counts.sent += 1,
                Err(reason) => {
                    counts.dropped += 1;
                    log(format_args!("{from} UDP datagram dropped: {reason}"));
                    continue;
                }
            }
        } else if targets.contains(&from) {
            let Some(port) = client_port else { continue };
            let header = wire::UdpHeader {
                fragment: 0,
                target: Target::Addr(from),
            };
            let reply = wire::encode_udp_datagram(&header, datagram);
            match relay.send_to(&reply, SocketAddr::new(client_ip, port)) {
                Ok(_) => counts.received += 1,
                Err(_) => counts.dropped += 1, // Too big with the header, most likely.
            }
        } else {
            counts.dropped += 1;
            log(format_args!(
                "{from} UDP datagram dropped: not the client, nor a target it sent to"
            ));
            continue;
        }
        activity.touch();
    }
}
// ANCHOR_END: relay_datagrams

/// Sends the payload of a client's datagram to the target its header names.
pub(crate) fn forward_to_target(
    relay: &UdpSocket,
    datagram: &[u8],
    (client_ip, relay_addr): (IpAddr, SocketAddr),
    (targets, names): (&mut HashSet<SocketAddr>, &mut NameCache),
    config: &Config,
) -> Result<(), String> {
    let (header, used) =
        wire::parse_udp_header(datagram).map_err(|e| format!("bad header: {e}"))?;
    if header.fragment != 0 {
        return Err(format!(
            "fragment {} (this relay does not reassemble)",
            header.fragment
        ));
    }
    // A socket bound to an IPv4 address can send only to IPv4 addresses, and likewise v6.
    let target = names
        .resolve(&header.target, config.connect_timeout())?
        .into_iter()
        .find(|addr| addr.is_ipv4() == relay_addr.is_ipv4())
        .ok_or_else(|| format!("{} has no address of the relay's family", header.target))?;
    allowed(config, client_ip, relay_addr, target).map_err(|rule| format!("{target}: {rule}"))?;
    if !targets.contains(&target) {
        if targets.len() >= MAX_UDP_PEERS {
            return Err(format!(
                "more than {MAX_UDP_PEERS} targets in one association"
            ));
        }
        targets.insert(target);
    }
    relay
        .send_to(&datagram[used..], target)
        .map_err(|e| format!("could not send to {target}: {e}"))?;
    Ok(())
}

pub(crate) fn is_icmp_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
