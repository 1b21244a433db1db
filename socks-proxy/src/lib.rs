//! The SOCKS proxy lesson: a server that connects to other servers on its clients' behalf.
//!
//! The notes say it in one line: SOCKS4 carries only TCP, SOCKS5 carries TCP and UDP. This
//! crate is a working proxy that shows why. It speaks SOCKS4 and SOCKS4a (CONNECT, BIND)
//! and SOCKS5 (RFC 1928: CONNECT, BIND and UDP ASSOCIATE, with the username/password check
//! of RFC 1929), and it serves each client like the TCP server lesson does, on a thread of
//! its own. The steps of one client, top to bottom in this file:
//!
//! | step | what happens                           | SOCKS4 / 4a                | SOCKS5                         |
//! |------|----------------------------------------|----------------------------|--------------------------------|
//! | 1    | listen                                 | [`TcpListener::bind`]      | same                           |
//! | 2    | accept, one thread per client          | [`TcpListener::incoming`]  | same                           |
//! | 3    | greet: agree on how to authenticate    | (no such step)             | greeting, method selection     |
//! | 4    | authenticate                           | (cannot)                   | RFC 1929 name and password     |
//! | 5    | read the request                       | to an IPv4 address or name | to IPv4, IPv6 or a name        |
//! | 6    | connect, listen (BIND) or open a relay | [`TcpStream::connect_timeout`] | same, or [`UdpSocket::bind`] |
//! | 7    | reply: granted, or why not             | 8-byte reply               | reply with a bound address     |
//! | 8    | relay until both sides are done        | TCP both ways              | TCP both ways, or datagrams    |
//!
//! The byte layouts of every message live in [`wire`], as pure functions; this file holds
//! the steps, and moves bytes between sockets and those functions. The machinery lives in
//! modules named for what it does: [`config`] (the options), `handshake` (one deadline,
//! and refusing without losing the reply), `relay` and `udp_relay` (step 8), [`reach`]
//! (where a client may go), `exposure` (where the proxy may listen), `bind_wait`, [`resolve`] (name lookups under a deadline), [`auth`]
//! (passwords and guessing), [`slots`] (the caps), [`open_files`] (caps that follow the
//! machine), [`dual_stack`] and [`escape`].

pub mod auth;
mod bind_wait;
pub mod config;
pub mod dual_stack;
pub mod escape;
mod exposure;
mod handshake;
pub mod open_files;
pub mod reach;
mod relay;
pub mod resolve;
pub mod slots;
mod udp_relay;
pub mod wire;

use std::fmt::Display;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub use bind_wait::BIND_POLL;
pub use config::Config;
pub use exposure::exposure_check;
pub use handshake::LINGER;
pub use relay::RELAY_BUFFER;
pub use udp_relay::{MAX_UDP_PEERS, UDP_POLL};

use bind_wait::accept_from;
use exposure::resolve_listen_address;
use handshake::{Handshake, HandshakeError, UNSPECIFIED, close_gently, refuse};
use relay::relay;
use slots::{Full, Slots};
use udp_relay::relay_datagrams;
use wire::{Command, Method, ReplyCode, Socks4Status, Target, WireError};

/// Runs the proxy until the process is stopped (Ctrl-C).
pub fn run(config: Config) -> Result<()> {
    // Each client costs file descriptors: allow as many as the system lets us.
    let open_files = open_files::raise_soft_limit();
    // ANCHOR: listen
    // 1. Listen, on loopback unless told otherwise: a proxy lends its network to whoever
    //    can reach it.
    let addr = resolve_listen_address(&config.listen)?;
    for warning in exposure_check(addr, config.allow_public, config.user.is_some())? {
        eprintln!("{warning}");
    }
    let listener = listen(addr)?;
    let local_addr = listener
        .local_addr()
        .context("could not read the bound address")?;
    log(format_args!("{}{local_addr}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    if !config.quiet {
        log(format_args!(
            "serving at most {} clients at once, {} per address (--max-clients, \
             --max-per-address; open files allowed: {open_files})",
            config.max_clients, config.max_per_address
        ));
    }
    serve(&listener, Arc::new(config));
    Ok(())
}

/// Binds `addr`, turning the usual failures into a message that says how to fix them.
pub fn listen(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|error| {
        let hint = match error.kind() {
            ErrorKind::AddrInUse => {
                "another program (perhaps another socks-proxy) is listening there: stop it, \
                 or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
            }
            ErrorKind::PermissionDenied => {
                "ports below 1024 need administrator rights: choose a port above 1024"
            }
            ErrorKind::AddrNotAvailable => {
                "that IP address does not belong to this machine: use 127.0.0.1 or [::1]"
            }
            _ => "give the address as IP:PORT, e.g. 127.0.0.1:1080 or [::1]:0",
        };
        anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
    })
}

/// Accepts clients for ever, each served on a thread of its own.
pub fn serve(listener: &TcpListener, config: Arc<Config>) {
    QUIET.store(config.quiet, Ordering::Relaxed);
    let mut config = Arc::unwrap_or_clone(config);
    config.wildcard_listener = listener
        .local_addr()
        .is_ok_and(|addr| addr.ip().is_unspecified());
    let config = Arc::new(config);
    let slots = Slots::new(config.max_clients, config.max_per_address);
    // ANCHOR: accept
    // 2. Accept. One thread per client, at most --max-clients of them, and at most
    //    --max-per-address from any one address.
    for incoming in listener.incoming() {
        let client = match incoming {
            Ok(client) => client,
            Err(error) => {
                // Out of file descriptors, or a client that gave up while queued: pause so
                // a lasting error cannot spin this loop, and go on serving the others.
                log(format_args!("accept failed: {error}"));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(peer) = dual_stack::peer_addr(&client) else {
            continue; // Reset before we got to it: nothing to serve.
        };
        let slot = match slots.take(peer.ip()) {
            Ok(slot) => slot,
            // Neither SOCKS version has a "busy" reply that fits before we know which
            // version the client speaks; closing is the honest answer.
            Err(Full::All(max)) => {
                log(format_args!(
                    "{peer} refused: already serving {max} clients (--max-clients)"
                ));
                continue;
            }
            Err(Full::Address(max)) => {
                log(format_args!(
                    "{peer} refused: already serving {max} clients from this address (--max-per-address)"
                ));
                continue;
            }
        };
        let config = Arc::clone(&config);
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                let outcome = match serve_client(&client, &config) {
                    Ok(summary) => summary,
                    Err(error) => format!("{error:#}"),
                };
                log(format_args!("{peer} done: {outcome}"));
                drop(slot); // Frees the place for the next client.
            });
        if let Err(error) = spawned {
            log(format_args!(
                "{peer} dropped: could not start a thread: {error}"
            ));
        }
    }
    // ANCHOR_END: accept
}

/// Serves one client from its first byte to the end of its relay; returns a summary.
fn serve_client(client: &TcpStream, config: &Config) -> Result<String> {
    let mut handshake = Handshake::new(client, config.handshake_timeout())?;
    // SOCKS4 starts with its request, SOCKS5 with a greeting; the first byte of either is
    // the version, and tells which one this client speaks.
    let version =
        handshake.read(|bytes| bytes.first().map(|&v| (v, 0)).ok_or(WireError::Incomplete))?;
    match version {
        wire::SOCKS4 => socks4(handshake, config),
        wire::SOCKS5 => socks5(handshake, config),
        b'A'..=b'Z' => {
            close_gently(client);
            bail!(
                "not a SOCKS client: it began with {:?}, like an HTTP request. Set it up \
                 as a SOCKS proxy, not an HTTP proxy",
                char::from(version)
            )
        }
        other => {
            close_gently(client);
            bail!("not a SOCKS client: the first byte was {other:#04x}, not 4 or 5")
        }
    }
}

// ANCHOR: socks5
/// The SOCKS5 conversation: greeting, authentication, request, reply, relay.
fn socks5(mut handshake: Handshake<'_>, config: &Config) -> Result<String> {
    let client = handshake.client;
    // 3. Greet: the client lists the methods it can do, the proxy picks one. With
    //    --user, "no authentication" is never picked, whatever the client offers.
    let greeting = match handshake.read(wire::parse_greeting) {
        Err(HandshakeError::Wire(error)) => {
            refuse(
                client,
                &wire::encode_method_selection(Method::NO_ACCEPTABLE),
            );
            bail!("bad SOCKS5 greeting: {error}")
        }
        other => other?,
    };
    let required = match config.user {
        Some(_) => Method::USERNAME_PASSWORD,
        None => Method::NO_AUTH,
    };
    if !greeting.methods.contains(&required) {
        refuse(
            client,
            &wire::encode_method_selection(Method::NO_ACCEPTABLE),
        );
        bail!(
            "SOCKS5 client offered methods {:?} but this proxy requires {}",
            greeting.methods.iter().map(|m| m.0).collect::<Vec<_>>(),
            if config.user.is_some() {
                "a user name and password (2)"
            } else {
                "none (0)"
            }
        );
    }
    handshake.send(&wire::encode_method_selection(required))?;

    // 4. Authenticate (RFC 1929): the name and password travel in the clear.
    if let Some(credentials) = &config.user {
        let attempt = match handshake.read(wire::parse_auth_request) {
            Err(HandshakeError::Wire(error)) => {
                refuse(client, &wire::encode_auth_reply(false));
                bail!("bad SOCKS5 authentication request: {error}")
            }
            other => other?,
        };
        let ip = handshake.peer.ip();
        let locked_out = config
            .guesses
            .locked_out(ip, Instant::now(), config.max_auth_failures);
        if locked_out || !credentials.accept(&attempt) {
            // The same answer, after the same delay, whether the address is locked out or
            // the password is wrong: a guesser cannot tell when it found the password.
            thread::sleep(handshake.time_left().min(config.auth_failure_delay()));
            refuse(client, &wire::encode_auth_reply(false));
            if locked_out {
                bail!(
                    "SOCKS5 authentication refused: {} failed passwords from this address \
                     (--max-auth-failures)",
                    config.max_auth_failures
                );
            }
            config.guesses.failed(ip, Instant::now());
            bail!(
                "SOCKS5 authentication failed for user \"{}\"",
                escape::escape_bytes(&attempt.username)
            );
        }
        config.guesses.succeeded(ip);
        handshake.send(&wire::encode_auth_reply(true))?;
    }

    // 5. Read the request. A request we cannot parse still gets a reply saying why.
    let request = match handshake.read(wire::parse_request) {
        Err(HandshakeError::Wire(error)) => {
            let code = match error {
                WireError::UnknownCommand(_) => ReplyCode::CommandNotSupported,
                WireError::UnknownAddressType(_) => ReplyCode::AddressTypeNotSupported,
                _ => ReplyCode::GeneralFailure,
            };
            refuse(client, &wire::encode_reply(code, UNSPECIFIED));
            bail!("bad SOCKS5 request: {error}; replied {code:?}")
        }
        other => other?,
    };

    // 6. Act on it: connect, open a UDP relay, or listen for the target (BIND).
    match request.command {
        Command::Connect => {
            let target = match connect(&request.target, client, config) {
                Ok(target) => target,
                Err(refusal) => {
                    refuse(client, &wire::encode_reply(refusal.code, UNSPECIFIED));
                    bail!(
                        "SOCKS5 CONNECT {} refused ({:?}): {}",
                        request.target,
                        refusal.code,
                        refusal.reason
                    );
                }
            };
            // 7. Reply: success, and the proxy's own end of the new connection.
            let bound = target.local_addr().unwrap_or(UNSPECIFIED);
            handshake.send(&wire::encode_reply(ReplyCode::Succeeded, bound))?;
            // 8. Relay, starting with any bytes the client sent before our reply.
            log(format_args!(
                "{} SOCKS5 CONNECT {} via {bound}: relaying",
                handshake.peer, request.target
            ));
            let early = handshake.into_leftover();
            let summary = relay(client, &target, &early, config.idle_timeout())?;
            Ok(format!("SOCKS5 CONNECT {}: {summary}", request.target))
        }
        Command::UdpAssociate => udp_associate(handshake, &request.target, config),
        Command::Bind => {
            let reply = |bound: Option<SocketAddr>| match bound {
                Some(addr) => wire::encode_reply(ReplyCode::Succeeded, addr),
                None => wire::encode_reply(ReplyCode::GeneralFailure, UNSPECIFIED),
            };
            bind(handshake, &request.target, config, &reply, "SOCKS5")
        }
    }
}
// ANCHOR_END: socks5

// ANCHOR: socks4
/// The SOCKS4 and SOCKS4a conversation: request, reply, relay. No greeting, no password.
fn socks4(mut handshake: Handshake<'_>, config: &Config) -> Result<String> {
    let client = handshake.client;
    let rejected = wire::encode_socks4_reply(
        Socks4Status::Rejected,
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    );
    // 5. Read the request: it is the first message.
    let request = match handshake.read(wire::parse_socks4_request) {
        Err(HandshakeError::Wire(error)) => {
            refuse(client, &rejected);
            bail!("bad SOCKS4 request: {error}; rejected")
        }
        other => other?,
    };
    // Its user id proves nothing, so with --user SOCKS4 is refused outright.
    if config.user.is_some() {
        refuse(client, &rejected);
        bail!("SOCKS4 refused: this proxy requires a password (--user), which SOCKS4 cannot send");
    }
    // A name as the target is what makes a request SOCKS4a.
    let version = if matches!(request.target, Target::Name(..)) {
        "SOCKS4a"
    } else {
        "SOCKS4"
    };
    if request.command == Command::Bind {
        // SOCKS4 replies carry IPv4 addresses only, so it can listen on IPv4 only.
        if !dual_stack::local_addr(client)?.is_ipv4() {
            refuse(client, &rejected);
            bail!("SOCKS4 BIND needs an IPv4 address to listen on; rejected");
        }
        let reply = |bound: Option<SocketAddr>| match bound {
            Some(SocketAddr::V4(addr)) => wire::encode_socks4_reply(Socks4Status::Granted, addr),
            _ => rejected,
        };
        return bind(handshake, &request.target, config, &reply, version);
    }
    // 6. Connect. SOCKS4's other failure codes (0x5C, 0x5D) report identd checks, which
    // this proxy does not make, so every failure is 0x5B and the reason goes to the log.
    let target = match connect(&request.target, client, config) {
        Ok(target) => target,
        Err(refusal) => {
            refuse(client, &rejected);
            bail!(
                "{version} CONNECT {} rejected: {}",
                request.target,
                refusal.reason
            );
        }
    };
    // 7. Reply. Clients ignore its address; we send ours when it is IPv4.
    let bound = match target.local_addr() {
        Ok(SocketAddr::V4(bound)) => bound,
        _ => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    };
    handshake.send(&wire::encode_socks4_reply(Socks4Status::Granted, bound))?;
    // 8. Relay.
    log(format_args!(
        "{} {version} CONNECT {} via {bound}: relaying",
        handshake.peer, request.target
    ));
    let early = handshake.into_leftover();
    let summary = relay(client, &target, &early, config.idle_timeout())?;
    Ok(format!("{version} CONNECT {}: {summary}", request.target))
}
// ANCHOR_END: socks4

/// Encodes a BIND reply in the client's SOCKS version: success with an address, or failure.
type BindReply<'a, R> = &'a dyn Fn(Option<SocketAddr>) -> R;

// ANCHOR: bind
/// BIND: listen for one connection *from* the target, then relay it.
///
/// In some protocols the server opens a second connection back to the client: active FTP
/// sends each file that way. Behind a proxy the client cannot accept connections from the
/// server, so it asks the proxy to accept one for it. There are two replies: the first
/// says where the proxy listens (the client tells the server, in FTP's PORT command), the
/// second, once the server has connected, says from where.
fn bind<R: AsRef<[u8]>>(
    handshake: Handshake<'_>,
    expected: &Target,
    config: &Config,
    reply: BindReply<'_, R>,
    version: &str,
) -> Result<String> {
    let client = handshake.client;
    // Only the host the client named may connect: anyone else could take its place.
    let expected_ips: Vec<IpAddr> = match resolve::resolve(expected, config.connect_timeout()) {
        Ok(addrs) => addrs.iter().map(|addr| addr.ip().to_canonical()).collect(),
        Err(reason) => {
            refuse(client, reply(None).as_ref());
            bail!("{version} BIND refused: {reason}");
        }
    };
    // 6. Listen, on the address the client reached us on, on a port the OS chooses.
    let local_ip = dual_stack::local_addr(client)?.ip();
    let listener = match TcpListener::bind((local_ip, 0)) {
        Ok(listener) => listener,
        Err(error) => {
            refuse(client, reply(None).as_ref());
            bail!("{version} BIND: could not listen on {local_ip}: {error}");
        }
    };
    let listening = listener.local_addr()?;
    // 7. First reply: where the target must connect.
    handshake.send(reply(Some(listening)).as_ref())?;
    log(format_args!(
        "{} {version} BIND: waiting on {listening} for {expected}",
        handshake.peer
    ));
    let incoming = match accept_from(&listener, &expected_ips, client, config.idle_timeout()) {
        Ok(incoming) => incoming,
        Err(reason) => {
            refuse(client, reply(None).as_ref());
            bail!("{version} BIND on {listening}: {reason}");
        }
    };
    drop(listener); // One connection per BIND: stop listening at once.
    let from = incoming.peer_addr()?;
    // Second reply: who connected.
    handshake.send(reply(Some(from)).as_ref())?;
    // 8. Relay.
    let early = handshake.into_leftover();
    let summary = relay(client, &incoming, &early, config.idle_timeout())?;
    Ok(format!(
        "{version} BIND on {listening}, connected from {from}: {summary}"
    ))
}
// ANCHOR_END: bind

/// A refused CONNECT: the SOCKS5 code for the client, the details for the log.
#[derive(Debug)]
struct Refusal {
    code: ReplyCode,
    reason: String,
}

// ANCHOR: connect
/// Connects to the target, trying each address a name resolves to in turn.
fn connect(target: &Target, client: &TcpStream, config: &Config) -> Result<TcpStream, Refusal> {
    let deadline = Instant::now() + config.connect_timeout();
    let addrs = resolve::resolve(target, config.connect_timeout()).map_err(|reason| Refusal {
        code: ReplyCode::HostUnreachable,
        reason,
    })?;
    let client_ip = dual_stack::peer_addr(client)
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let proxy = dual_stack::local_addr(client).unwrap_or(UNSPECIFIED);
    let mut last = Refusal {
        code: ReplyCode::HostUnreachable,
        reason: format!("{target} has no address"),
    };
    for addr in addrs {
        if let Err(rule) = allowed(config, client_ip, proxy, addr) {
            last = Refusal {
                code: ReplyCode::NotAllowed,
                reason: format!("{addr}: {rule}"),
            };
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = connect_refusal(addr, &error, config.connect_timeout),
        }
    }
    Err(last)
}

/// The proxy's rules ([`reach::target_allowed`]) for a client at `client_ip` reaching us
/// at `proxy`.
pub(crate) fn allowed(
    config: &Config,
    client_ip: IpAddr,
    proxy: SocketAddr,
    target: SocketAddr,
) -> Result<(), &'static str> {
    let request = reach::Request {
        remote_client: config.treat_loopback_as_remote || !client_ip.to_canonical().is_loopback(),
        proxy,
        wildcard: config.wildcard_listener,
        target,
    };
    reach::target_allowed(request, reach::is_own_address, &config.allow_range)
}

/// The SOCKS5 reply code that tells a client why a connect failed.
fn connect_refusal(addr: SocketAddr, error: &io::Error, timeout_secs: u64) -> Refusal {
    let (code, why) = match error.kind() {
        // The target's OS answered our SYN with RST: nothing listens on that port.
        ErrorKind::ConnectionRefused => (
            ReplyCode::ConnectionRefused,
            "connection refused".to_owned(),
        ),
        ErrorKind::NetworkUnreachable => (
            ReplyCode::NetworkUnreachable,
            "network unreachable".to_owned(),
        ),
        ErrorKind::HostUnreachable => (ReplyCode::HostUnreachable, "host unreachable".to_owned()),
        // No answer at all: lost packets, a firewall dropping them, a host that is off.
        ErrorKind::TimedOut | ErrorKind::WouldBlock => (
            ReplyCode::HostUnreachable,
            format!("no answer within {timeout_secs} s (--connect-timeout)"),
        ),
        _ => (ReplyCode::GeneralFailure, error.to_string()),
    };
    Refusal {
        code,
        reason: format!("{addr}: {why}"),
    }
}
// ANCHOR_END: connect

// ANCHOR: udp_associate
/// UDP ASSOCIATE: relay datagrams for exactly as long as this TCP connection stays open.
///
/// UDP has no connection, so SOCKS5 uses the TCP one as the association's lifeline: the
/// client keeps it open while it needs the relay, and closing it (or crashing) ends the
/// relay. SOCKS4 has no such command, and no header to say where each datagram goes:
/// that is why it carries TCP only.
fn udp_associate(handshake: Handshake<'_>, announced: &Target, config: &Config) -> Result<String> {
    let control = handshake.client;
    let client_addr = handshake.peer;
    // 6. Open the relay socket on the address the client reached us on: the one address
    //    we know it can reach. Never 0.0.0.0, which would listen on every network.
    let local_ip = dual_stack::local_addr(control)?.ip();
    let relay = match UdpSocket::bind((local_ip, 0)) {
        Ok(relay) => relay,
        Err(error) => {
            refuse(
                control,
                &wire::encode_reply(ReplyCode::GeneralFailure, UNSPECIFIED),
            );
            bail!("could not open a UDP relay on {local_ip}: {error}");
        }
    };
    let relay_addr = relay.local_addr()?;
    // 7. Reply: where the client must send its datagrams.
    handshake.send(&wire::encode_reply(ReplyCode::Succeeded, relay_addr))?;
    log(format_args!(
        "{client_addr} UDP ASSOCIATE: relaying datagrams on {relay_addr}"
    ));

    // 8. Relay datagrams on this thread; a second one watches the TCP connection.
    let closed = AtomicBool::new(false);
    let counts = thread::scope(|scope| {
        let watcher = thread::Builder::new()
            .name("udp: watch the TCP connection".to_owned())
            .spawn_scoped(scope, || {
                // The client sends nothing more on this connection; `read` returns when it
                // closes (0), resets, or when the relay below shuts it down.
                let _ = control.set_read_timeout(None);
                let mut sink = [0; 512];
                while matches!((&*control).read(&mut sink), Ok(n) if n > 0) {}
                closed.store(true, Ordering::Release);
            })?;
        let counts = relay_datagrams(&relay, client_addr.ip(), announced, &closed, config);
        // If the relay stopped first (idle, error), close the connection: the watcher
        // wakes, and the client learns that its association is over.
        let _ = control.shutdown(Shutdown::Both);
        let _ = watcher.join();
        counts
    })?;
    Ok(format!(
        "UDP ASSOCIATE on {relay_addr} ended ({}): {counts}",
        counts.ended
    ))
}
// ANCHOR_END: udp_associate

/// Set by `--quiet`: no log line per client.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Prints one line of the proxy's log on stdout, ignoring a closed stdout.
pub(crate) fn log(message: impl Display) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(io::stdout().lock(), "{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_failures_map_to_socks5_reply_codes() {
        let target = SocketAddr::from(([127, 0, 0, 1], 9));
        let code = |kind| connect_refusal(target, &io::Error::from(kind), 10).code;
        assert_eq!(
            code(ErrorKind::ConnectionRefused),
            ReplyCode::ConnectionRefused
        );
        assert_eq!(
            code(ErrorKind::NetworkUnreachable),
            ReplyCode::NetworkUnreachable
        );
        assert_eq!(code(ErrorKind::HostUnreachable), ReplyCode::HostUnreachable);
        assert_eq!(code(ErrorKind::TimedOut), ReplyCode::HostUnreachable);
        assert_eq!(code(ErrorKind::PermissionDenied), ReplyCode::GeneralFailure);
    }
}
