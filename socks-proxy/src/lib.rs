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
//! The byte layouts of every message live in [`wire`], as pure functions; this file only
//! moves bytes between sockets and those functions.

pub mod auth;
pub mod dual_stack;
pub mod escape;
pub mod reach;
pub mod resolve;
pub mod slots;
pub mod wire;

use std::collections::HashSet;
use std::fmt::{self, Display};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream, ToSocketAddrs,
    UdpSocket,
};
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
#[cfg(target_os = "linux")]
use nix::{
    errno::Errno,
    fcntl::{OFlag, SpliceFFlags, splice},
    unistd::pipe2,
};

use auth::{Credentials, Guesses};
use reach::IpRange;
use slots::{Full, Slots};
use wire::{Command, Method, ReplyCode, Socks4Status, Target, WireError};

/// How many bytes one step of the relay may move: one `read`, or on Linux one `splice`
/// into a pipe (whose default capacity is also 64 KiB). Large buffers mean fewer system
/// calls per megabyte, but on loopback 16, 64 and 256 KiB measured the same within noise
/// (`socks-bench`), and so did a 256 KiB or 1 MiB pipe.
pub const RELAY_BUFFER: usize = 64 * 1024;

/// How long a failure reply is given to reach the client before the socket is closed.
pub const LINGER: Duration = Duration::from_secs(1);

/// How often a BIND looks for the target's connection while it waits.
pub const BIND_POLL: Duration = Duration::from_millis(50);

/// How often the UDP relay looks up from its socket to see whether its TCP connection closed.
pub const UDP_POLL: Duration = Duration::from_millis(100);

/// The most distinct targets one UDP association may send to. Replies are accepted only
/// from these, and the set must not grow without bound.
pub const MAX_UDP_PEERS: usize = 256;

/// A SOCKS4, SOCKS4a and SOCKS5 proxy (TCP CONNECT and BIND, and UDP ASSOCIATE).
///
/// Run it, then in a second terminal:
///   curl --socks5-hostname 127.0.0.1:1080 http://example.com/
// The doc comments are the --help text: "[::1]:0" there is an address, not a rustdoc link,
// and the URL is a command to type.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port; [::1]:0
    /// listens on IPv6 loopback. Only loopback addresses, unless --allow-public.
    #[arg(long, value_name = "ADDR", default_value = common::SOCKS_ADDR)]
    pub listen: String,

    /// Require a user name and password (SOCKS5, RFC 1929), given as NAME:PASSWORD.
    /// SOCKS4 clients are then refused: SOCKS4 has no way to authenticate. Prefer the
    /// environment variable: every user of this machine can read command lines.
    #[arg(long, value_name = "NAME:PASSWORD", env = "SOCKS_PROXY_USER",
          hide_env_values = true, value_parser = Credentials::parse)]
    pub user: Option<Credentials>,

    /// Allow listening on an address other than loopback, where other machines can reach
    /// the proxy. Without --user that makes an open proxy: a loud warning is printed.
    #[arg(long)]
    pub allow_public: bool,

    /// Milliseconds to wait before answering a wrong password, so that guessing is slow.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub auth_failure_delay_ms: u64,

    /// Wrong passwords one client address may send before it is refused even the right
    /// one, until it has stopped for 10 minutes.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_auth_failures: u32,

    /// Let clients on other machines reach this range, as ADDRESS/PREFIX (repeat for
    /// more). Without it they cannot reach this machine, link-local addresses
    /// (169.254.0.0/16, fe80::/10: cloud metadata), nor private ranges (10/8,
    /// 172.16/12, 192.168/16, fc00::/7): a proxy must not open its network to strangers.
    #[arg(long, value_name = "RANGE", value_parser = IpRange::parse)]
    pub allow_range: Vec<IpRange>,

    /// For tests only: apply the rules for remote clients to loopback clients too, so that
    /// tests can check them without any traffic leaving the machine.
    #[arg(long, hide = true)]
    pub treat_loopback_as_remote: bool,

    /// Whether the listener is on every address (set by `serve`, not a command-line option).
    #[arg(skip)]
    pub wildcard_listener: bool,

    /// The failed passwords per client address (shared by every client's thread).
    #[arg(skip)]
    pub guesses: Arc<Guesses>,

    /// How many clients are served at once. One more is closed at once, so a flood of
    /// connections cannot use up the machine's threads and sockets.
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_clients: usize,

    /// How many clients from one IP address are served at once, so that one address
    /// cannot take every place of --max-clients and lock the others out.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_per_address: usize,

    /// Seconds a client has for the whole handshake (greeting, password, request). A
    /// client that stalls is dropped.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub handshake_timeout: u64,

    /// Seconds to wait for a target to accept the proxy's connection.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// Seconds a relay may go without moving a byte (or a datagram) before the proxy
    /// closes it.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Print only the listening line, not a line per client (for benchmarks: writing the
    /// log costs more than a short connection).
    #[arg(long)]
    pub quiet: bool,
}

impl Config {
    fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout)
    }

    fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout)
    }

    fn auth_failure_delay(&self) -> Duration {
        Duration::from_millis(self.auth_failure_delay_ms)
    }

    fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout)
    }
}

/// Runs the proxy until the process is stopped (Ctrl-C).
pub fn run(config: Config) -> Result<()> {
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
    serve(&listener, Arc::new(config));
    Ok(())
}

/// Turns `--listen` into one socket address.
fn resolve_listen_address(text: &str) -> Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| {
            format!("cannot listen on {text}: give the address as IP:PORT, e.g. 127.0.0.1:1080")
        })?
        .next()
        .ok_or_else(|| anyhow!("cannot listen on {text}: the name has no address"))
}

// ANCHOR: exposure
/// Decides whether listening on `addr` is allowed, and what to warn about.
///
/// Loopback is reachable only from this machine. Any other address makes the proxy
/// reachable by the network: it must be asked for (`--allow-public`), and without a
/// password it is an open proxy, which strangers find within hours and use to hide
/// their traffic behind your address.
pub fn exposure_check(
    addr: SocketAddr,
    allow_public: bool,
    authenticated: bool,
) -> Result<Vec<String>> {
    if addr.ip().to_canonical().is_loopback() {
        return Ok(Vec::new());
    }
    if !allow_public {
        bail!(
            "refusing to listen on {addr}: it is not a loopback address, so other machines \
             could use this proxy. Listen on 127.0.0.1 or [::1], or pass --allow-public \
             (and --user NAME:PASSWORD) if that is really what you want"
        );
    }
    if authenticated {
        return Ok(Vec::new());
    }
    let line = "!".repeat(78);
    Ok(vec![
        line.clone(),
        format!("WARNING: OPEN PROXY. Listening on {addr} without --user:"),
        "anyone who can reach this address can send traffic through this machine,".to_owned(),
        "and it will look as if it came from you. Add --user NAME:PASSWORD.".to_owned(),
        line,
    ])
}
// ANCHOR_END: exposure

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

/// Waits on `listener` for a connection from one of `expected`, for at most `limit`, and
/// only while the client is still there.
fn accept_from(
    listener: &TcpListener,
    expected: &[IpAddr],
    client: &TcpStream,
    limit: Duration,
) -> Result<TcpStream, String> {
    // `accept` has no timeout in std, so poll: a non-blocking accept, then a look at the
    // client (if it has gone, nobody wants the connection any more), then a short nap.
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("could not poll the listener: {e}"))?;
    let deadline = Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((incoming, peer)) if expected.contains(&peer.ip().to_canonical()) => {
                // Some systems pass the listener's non-blocking mode on to accepted sockets.
                incoming
                    .set_nonblocking(false)
                    .map_err(|e| format!("could not use the connection: {e}"))?;
                return Ok(incoming);
            }
            Ok((stray, peer)) => {
                log(format_args!(
                    "BIND on {}: closed a connection from {peer}, not the expected host",
                    listener.local_addr().unwrap_or(UNSPECIFIED)
                ));
                drop(stray);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => return Err(format!("accept failed: {error}")),
        }
        if client_left(client) {
            return Err("the client closed its connection while waiting".to_owned());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "nobody connected within {} s (--idle-timeout)",
                limit.as_secs()
            ));
        }
        thread::sleep(BIND_POLL);
    }
}

/// Whether the client has closed (or reset) its connection, without waiting or reading.
fn client_left(client: &TcpStream) -> bool {
    if client.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0];
    let left = match client.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false, // Early data for the relay: the client is very much there.
        Err(error) => error.kind() != ErrorKind::WouldBlock,
    };
    let _ = client.set_nonblocking(false);
    left
}

/// The address sent in failure replies: the field is required, and nothing is bound.
const UNSPECIFIED: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// Why the handshake stopped.
#[derive(Debug)]
enum HandshakeError {
    /// The bytes can never become a valid message: the caller replies with the right code.
    Wire(WireError),
    /// The client closed before finishing its message.
    Closed,
    /// The whole-handshake deadline passed.
    TimedOut(Duration),
    Io(io::Error),
}

impl Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Wire(error) => write!(f, "{error}"),
            HandshakeError::Closed => write!(f, "the client closed in the middle of the handshake"),
            HandshakeError::TimedOut(limit) => write!(
                f,
                "the handshake took longer than {} s (--handshake-timeout)",
                limit.as_secs()
            ),
            HandshakeError::Io(error) => write!(f, "I/O error during the handshake: {error}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

// ANCHOR: handshake
/// The handshake's reading side: the bytes received but not yet used, and a deadline for
/// the whole handshake (not per read: a client trickling one byte a second must not last).
struct Handshake<'a> {
    client: &'a TcpStream,
    peer: SocketAddr,
    received: Vec<u8>,
    started: Instant,
    limit: Duration,
}

impl<'a> Handshake<'a> {
    fn new(client: &'a TcpStream, limit: Duration) -> io::Result<Handshake<'a>> {
        client.set_write_timeout(Some(limit))?;
        Ok(Handshake {
            client,
            peer: dual_stack::peer_addr(client)?,
            received: Vec::new(),
            started: Instant::now(),
            limit,
        })
    }

    /// Reads until `parse` finds a whole message at the start of the received bytes.
    ///
    /// The buffer stays small: each parser decides within its message's maximum size, so
    /// it holds at most that plus one read.
    fn read<T>(&mut self, parse: impl Fn(&[u8]) -> wire::Parsed<T>) -> Result<T, HandshakeError> {
        let mut chunk = [0; 512];
        loop {
            match parse(&self.received) {
                Ok((message, used)) => {
                    self.received.drain(..used);
                    return Ok(message);
                }
                Err(WireError::Incomplete) => {}
                Err(error) => return Err(HandshakeError::Wire(error)),
            }
            let left = self.limit.saturating_sub(self.started.elapsed());
            if left.is_zero() {
                return Err(HandshakeError::TimedOut(self.limit));
            }
            self.client
                .set_read_timeout(Some(left))
                .map_err(HandshakeError::Io)?;
            match (&*self.client).read(&mut chunk) {
                Ok(0) => return Err(HandshakeError::Closed), // FIN before a whole message.
                Ok(n) => self.received.extend_from_slice(&chunk[..n]),
                Err(error) if is_timeout(&error) => {
                    return Err(HandshakeError::TimedOut(self.limit));
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(HandshakeError::Io(error)),
            }
        }
    }

    /// What is left of the whole handshake's time.
    fn time_left(&self) -> Duration {
        self.limit.saturating_sub(self.started.elapsed())
    }

    /// Sends one message of the handshake: all of it (`write_all`, never a bare `write`).
    fn send(&self, message: &[u8]) -> io::Result<()> {
        (&*self.client).write_all(message)
    }

    /// The bytes the client sent after its request: the beginning of its data.
    fn into_leftover(self) -> Vec<u8> {
        self.received
    }
}
// ANCHOR_END: handshake

// ANCHOR: refuse
/// Sends a failure reply, then closes in a way that does not destroy it.
fn refuse(client: &TcpStream, reply: &[u8]) {
    let _ = client.set_write_timeout(Some(LINGER));
    let _ = (&*client).write_all(reply);
    close_gently(client);
}

/// Closes after our last bytes: FIN first, then wait (briefly) for the client's FIN.
///
/// Closing a socket while bytes from the peer sit unread in its receive buffer makes the
/// kernel send RST instead of FIN. Our kernel then discards what it has not sent yet of the
/// reply, and a Windows client discards what it received but has not read: either way the
/// client sees "connection reset" instead of the reason. So read and discard until the
/// client closes too, for at most [`LINGER`] and a bounded number of bytes.
fn close_gently(client: &TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0; 4096];
    let mut discarded = 0;
    while discarded < 64 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || client.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*client).read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
}
// ANCHOR_END: refuse

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
fn allowed(
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

// ANCHOR: relay
/// Copies bytes both ways until both directions are finished; returns a summary.
///
/// A TCP connection is two independent byte streams, so each direction is copied on its
/// own thread. When one side finishes sending (its FIN: `read` returns 0) the proxy passes
/// that on with `shutdown(Write)` and keeps the other direction flowing: many protocols
/// send a whole request, half-close, and then read the whole answer.
fn relay(client: &TcpStream, target: &TcpStream, early: &[u8], idle: Duration) -> Result<String> {
    for stream in [client, target] {
        stream.set_read_timeout(Some(idle))?;
        stream.set_write_timeout(Some(idle))?;
    }
    (&*target)
        .write_all(early)
        .context("could not pass the client's first bytes on")?;
    let (mut up_buffer, mut down_buffer) = (RelayBuffer::new(), RelayBuffer::new());
    let activity = Activity::new();
    let (up, down) = thread::scope(|scope| {
        let download = thread::Builder::new()
            .name("relay: target to client".to_owned())
            .spawn_scoped(scope, || {
                copy_one_way(target, client, &mut down_buffer, &activity, idle)
            })?;
        let up = copy_one_way(client, target, &mut up_buffer, &activity, idle);
        let down = download
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("relay thread panicked")));
        io::Result::Ok((up, down))
    })
    .context("could not start the relay's second thread")?;
    let up = up.map_err(|e| anyhow!("client to target: {}", why_relay_ended(&e, idle)))?
        + early.len() as u64;
    let down = down.map_err(|e| anyhow!("target to client: {}", why_relay_ended(&e, idle)))?;
    Ok(format!(
        "relayed {up} bytes up, {down} bytes down; both sides closed"
    ))
}

/// Copies `from` to `to` until `from` finishes, then half-closes `to`.
fn copy_one_way(
    from: &TcpStream,
    to: &TcpStream,
    buffer: &mut RelayBuffer,
    activity: &Activity,
    idle: Duration,
) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let n = match buffer.fill_from(from) {
            Ok(0) => break, // `from` sent FIN: nothing more will come this way.
            Ok(n) => n,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            // Silence this way is fine while the other way is busy (a long download
            // after a short request); the relay is idle only when both ways are. Wait
            // again only for what is left of the idle time since the last byte either way,
            // or a relay could stay open for nearly twice --idle-timeout.
            Err(error) if is_timeout(&error) && activity.idle_for() < idle => {
                let left = idle.saturating_sub(activity.idle_for());
                if left.is_zero() || from.set_read_timeout(Some(left)).is_err() {
                    abort(from, to);
                    return Err(error);
                }
                continue;
            }
            Err(error) => {
                abort(from, to);
                return Err(error);
            }
        };
        activity.touch();
        if let Err(error) = buffer.empty_into(to, n) {
            abort(from, to);
            return Err(error);
        }
        total += n as u64;
    }
    // Half-close: pass the FIN on; the other direction keeps flowing.
    let _ = to.shutdown(Shutdown::Write);
    Ok(total)
}
// ANCHOR_END: relay

// ANCHOR: splice
/// Where the relay holds the bytes between reading them from one socket and writing them
/// to the other.
///
/// The relay is the proxy's hot loop: every byte of every download passes through it.
/// With `read` and `write` every byte is copied twice more than on a direct connection:
/// out of the kernel into a buffer here, and back in. On Linux, `splice(2)` avoids both:
/// it moves references to the kernel's pages of received data into a pipe, and from the
/// pipe to the other socket, so the bytes never enter this process. It behaves like `read`
/// and `write` on a blocking socket: 0 means FIN, and the sockets' read and write
/// timeouts (SO_RCVTIMEO, SO_SNDTIMEO) apply.
#[derive(Debug)]
enum RelayBuffer {
    /// Linux: a pipe inside the kernel, filled and emptied with `splice`.
    #[cfg(target_os = "linux")]
    Pipe {
        read_end: OwnedFd,
        write_end: OwnedFd,
    },
    /// Other systems, or Linux when no pipe can be had: a buffer in this process.
    Memory(Vec<u8>),
}

impl RelayBuffer {
    fn new() -> RelayBuffer {
        // A pipe costs two file descriptors; if the process has run out of them, the relay
        // still works, with copies.
        #[cfg(target_os = "linux")]
        if let Ok((read_end, write_end)) = pipe2(OFlag::O_CLOEXEC) {
            return RelayBuffer::Pipe {
                read_end,
                write_end,
            };
        }
        RelayBuffer::Memory(vec![0; RELAY_BUFFER])
    }

    /// Takes up to [`RELAY_BUFFER`] bytes from `from`; like `read`, returns how many, and 0
    /// when `from` has sent FIN.
    fn fill_from(&mut self, from: &TcpStream) -> io::Result<usize> {
        match self {
            #[cfg(target_os = "linux")]
            RelayBuffer::Pipe { write_end, .. } => {
                Ok(splice(from, None, write_end, None, RELAY_BUFFER, NO_FLAGS)?)
            }
            RelayBuffer::Memory(bytes) => (&*from).read(bytes),
        }
    }

    /// Passes the `len` bytes taken last on to `to`; like `write_all`, all or an error.
    fn empty_into(&mut self, to: &TcpStream, len: usize) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            RelayBuffer::Pipe { read_end, .. } => {
                let mut left = len;
                while left > 0 {
                    match splice(&*read_end, None, to, None, left, NO_FLAGS) {
                        Ok(0) => return Err(ErrorKind::WriteZero.into()),
                        Ok(moved) => left -= moved,
                        Err(Errno::EINTR) => continue,
                        Err(errno) => return Err(errno.into()),
                    }
                }
                Ok(())
            }
            RelayBuffer::Memory(bytes) => (&*to).write_all(&bytes[..len]),
        }
    }
}
// ANCHOR_END: splice

/// Plain blocking `splice`. (`SPLICE_F_MOVE` has done nothing since Linux 2.6.21, and
/// `SPLICE_F_NONBLOCK` would make it return at once instead of waiting for bytes.)
#[cfg(target_os = "linux")]
const NO_FLAGS: SpliceFFlags = SpliceFFlags::empty();

/// Ends both directions at once, after an error in one: `shutdown(Both)` wakes the other
/// direction's thread from its blocking `read`.
fn abort(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// When a relay last moved anything, shared by its threads.
#[derive(Debug)]
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// Unix reports an expired socket timeout as WouldBlock, Windows as TimedOut.
fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn why_relay_ended(error: &io::Error, idle: Duration) -> String {
    match error.kind() {
        _ if is_timeout(error) => format!("idle for {} s (--idle-timeout)", idle.as_secs()),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "connection reset (RST)".to_owned()
        }
        ErrorKind::BrokenPipe => "the receiver closed and stopped reading".to_owned(),
        ErrorKind::NotConnected => "the other direction failed first".to_owned(),
        _ => error.to_string(),
    }
}

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

/// What a UDP association did, for the log.
#[derive(Debug, Default)]
struct DatagramCounts {
    sent: u64,
    received: u64,
    dropped: u64,
    ended: &'static str,
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
fn relay_datagrams(
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
    let mut names = resolve::NameCache::default();
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
fn forward_to_target(
    relay: &UdpSocket,
    datagram: &[u8],
    (client_ip, relay_addr): (IpAddr, SocketAddr),
    (targets, names): (&mut HashSet<SocketAddr>, &mut resolve::NameCache),
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

fn is_icmp_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}

/// Set by `--quiet`: no log line per client.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Prints one line of the proxy's log on stdout, ignoring a closed stdout.
fn log(message: impl Display) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(io::stdout().lock(), "{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relays a download of `len` patterned bytes through `buffer` and returns what the
    /// receiver got and what `copy_one_way` counted.
    fn relay_through(buffer: &mut RelayBuffer, len: usize) -> (Vec<u8>, u64) {
        let limit = Some(Duration::from_secs(10));
        let pair = || {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
            let near = TcpStream::connect(listener.local_addr().expect("bound")).expect("connect");
            let (far, _) = listener.accept().expect("accept");
            for stream in [&near, &far] {
                stream.set_read_timeout(limit).expect("read timeout");
                stream.set_write_timeout(limit).expect("write timeout");
            }
            (near, far)
        };
        let (mut sender, from) = pair();
        let (to, mut receiver) = pair();
        let download: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        thread::scope(|scope| {
            scope.spawn(|| {
                sender.write_all(&download).expect("send the download");
                sender.shutdown(Shutdown::Write).expect("half-close");
            });
            let received = scope.spawn(|| {
                let mut received = Vec::new();
                receiver
                    .read_to_end(&mut received)
                    .expect("the download, then FIN");
                received
            });
            let counted = copy_one_way(
                &from,
                &to,
                buffer,
                &Activity::new(),
                Duration::from_secs(10),
            )
            .expect("the relay ends at the sender's FIN");
            (received.join().expect("receiver thread"), counted)
        })
    }

    #[test]
    fn both_relay_buffers_pass_every_byte_then_the_fin() {
        let len = 3 * RELAY_BUFFER + 17;
        let expected: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut usual = RelayBuffer::new();
        #[cfg(target_os = "linux")]
        assert!(
            matches!(usual, RelayBuffer::Pipe { .. }),
            "Linux relays with splice"
        );
        let mut memory = RelayBuffer::Memory(vec![0; RELAY_BUFFER]);
        for buffer in [&mut usual, &mut memory] {
            let (received, counted) = relay_through(buffer, len);
            assert!(
                received == expected,
                "{} bytes arrived, not the ones sent",
                received.len()
            );
            assert_eq!(counted, len as u64);
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("a valid test address")
    }

    #[test]
    fn loopback_is_always_allowed_and_public_needs_a_flag() {
        assert!(
            exposure_check(addr("127.0.0.1:1080"), false, false)
                .expect("ok")
                .is_empty()
        );
        assert!(
            exposure_check(addr("[::1]:1080"), false, false)
                .expect("ok")
                .is_empty()
        );
        let refused = exposure_check(addr("0.0.0.0:1080"), false, true).expect_err("refused");
        assert!(refused.to_string().contains("--allow-public"));
        assert!(
            exposure_check(addr("0.0.0.0:1080"), true, true)
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn public_without_a_password_warns_of_an_open_proxy() {
        let warning = exposure_check(addr("[::]:1080"), true, false)
            .expect("allowed")
            .join("\n");
        assert!(warning.contains("WARNING: OPEN PROXY"), "{warning}");
    }

    #[test]
    fn connect_failures_map_to_socks5_reply_codes() {
        let target = addr("127.0.0.1:9");
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
