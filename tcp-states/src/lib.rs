//! The TCP states lab: one real connection on loopback, driven through its whole life one
//! step at a time, with the state the operating system reports for each end after every step.
//!
//! The notes (topics 3 to 7) list the states of a TCP connection; this lab makes each one
//! appear on the student's own machine and names the line of Rust that caused it:
//!
//! | step | Rust call (who)                          | packets on the wire         | states after it                |
//! |------|------------------------------------------|-----------------------------|--------------------------------|
//! | 1    | [`TcpListener::bind`] (server)           | none                        | LISTEN                         |
//! | 2    | [`TcpStream::connect_timeout`] (client)  | SYN, SYN+ACK, ACK           | ESTABLISHED on both ends       |
//! | 3    | [`TcpListener::accept`] (server)         | none                        | unchanged                      |
//! | 4    | [`TcpStream::shutdown`] (the closer)     | FIN, ACK                    | FIN_WAIT_2 / CLOSE_WAIT        |
//! | 5    | [`Read::read`] returns 0 (the other end) | none                        | unchanged                      |
//! | 6    | `drop` (the other end)                   | FIN, ACK                    | TIME_WAIT / gone               |
//! | 7    | `read` returns 0, `drop` (the closer)    | none                        | TIME_WAIT outlives the program |
//! | 8    | bind the same port again (a restart)     | none                        | "address in use" or not        |
//!
//! The states come from the kernel's own table: `/proc/net/tcp` on Linux (no privileges
//! needed), the output of `netstat -an` elsewhere (see the `table` module).
//!
//! Two more experiments share the file: `--window` shows the sliding window (a reader that
//! stops reading, a writer that fills both kernel buffers until its next write would block),
//! and `--syn-sent` makes the short-lived SYN_SENT last (a full accept queue makes the
//! server's kernel drop a SYN, and the client waits to resend it).

use std::fmt::{self, Display};
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

mod table;
#[cfg(target_os = "linux")]
pub use table::kernel_table;
pub use table::{Queues, SocketEntry, TcpState, netstat_table, parse_netstat, read_socket_table};

/// How long any one blocking step of the lab may take (connect, a read that must return 0).
///
/// On loopback each step takes microseconds; the bound only turns a bug into an error.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the lab keeps looking while a socket is in a short-lived state.
///
/// A state like FIN_WAIT_1 lasts until one packet comes back. On loopback that is well under a
/// millisecond, unless the peer delays its ACK (Linux may, for a few milliseconds, after a
/// FIN). One second is ample for the state to settle, and short enough not to bore anyone.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(1);

/// The TCP states lab: watch one connection on loopback go through its states.
///
/// Each step does one thing to the connection (connect, accept, shutdown, read, close),
/// names the packets that it sends and prints the state of both ends as the operating
/// system reports it. Watch the same connection yourself from a second terminal with
/// `ss -tan` (Linux) or `netstat -an` (macOS, Windows): the lab prints the exact command.
// The doc comments are the --help text: "[::1]" there is an address, not a rustdoc link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address for the lab's listening socket, as IP:PORT on loopback (127.0.0.1 or
    /// [::1]). Port 0 lets the OS choose a free port.
    #[arg(long, value_name = "ADDR", default_value = common::STATES_ADDR)]
    pub listen: String,

    /// Which end closes first. The end that closes first (the "active closer") is the one
    /// that ends in TIME_WAIT.
    #[arg(long, value_enum, default_value_t = Side::Client)]
    pub closer: Side,

    /// Pause after each step until you press Enter, so you can run `ss`/`netstat` in
    /// another terminal while the connection is in that state.
    #[arg(long)]
    pub step: bool,

    /// Show the sliding window instead: the reader stops reading and the writer writes
    /// until the kernel's buffers are full and its next write would block.
    #[arg(long, conflicts_with = "closer")]
    pub window: bool,

    /// Show SYN_SENT instead, a state too short to see on loopback: fill a listener's
    /// accept queue so that the server's kernel drops the next client's SYN, and watch
    /// that client wait and retry.
    #[arg(long, conflicts_with_all = ["closer", "window"])]
    pub syn_sent: bool,

    /// Window demo: never write more than this many bytes while the reader is stopped.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024, requires = "window",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_bytes: u64,

    /// Window demo: never keep writing for longer than this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "window",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub time_limit: u64,
}

/// One end of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    /// The end that called `connect`.
    Client,
    /// The end that `accept` returned.
    Server,
}

impl Side {
    /// The end at the other side of the connection.
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

impl Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// Runs the lab chosen by `config`: the connection's life, the window demo or the SYN_SENT
/// demo.
///
/// `input` is read only with `--step` (a line per pause); everything is printed to `out`.
pub fn run(config: &Config, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    if config.window {
        window(config, input, out).map(drop)
    } else if config.syn_sent {
        syn_sent(config, input, out).map(drop)
    } else {
        lifecycle(config, input, out).map(drop)
    }
}

// ---------------------------------------------------------------------------------------
// The connection's life
// ---------------------------------------------------------------------------------------

/// The lab's steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 1. The server listens.
    Listen,
    /// 2. The client connects: the three-way handshake.
    Connect,
    /// 3. The server accepts.
    Accept,
    /// 4. The closer shuts down its sending side: the first FIN.
    HalfClose,
    /// 5. The other end reads 0: it has seen the FIN.
    ReadEof,
    /// 6. The other end closes: the second FIN.
    PeerClose,
    /// 7. The closer reads 0 and closes its socket.
    CloserClose,
}

/// What the lab saw after one step.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The step just done.
    pub step: Step,
    /// The ends as the OS reported them once their states settled; `None` if the socket
    /// table could not be read on this machine.
    pub seen: Option<Snapshot>,
    /// Short-lived states seen on the way, before the states settled.
    pub caught: Vec<(End, TcpState)>,
}

impl Observation {
    /// The settled state of `end`: `None` when it is not in the table (CLOSED) or the
    /// table could not be read.
    pub fn state(&self, end: End) -> Option<TcpState> {
        self.seen
            .as_ref()
            .and_then(|seen| seen.entry(end))
            .map(|entry| entry.state)
    }
}

/// What the lab found out: one observation per step, and the restart experiment.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// The address the listener had.
    pub server: SocketAddr,
    /// The client's address (its port was chosen by the OS).
    pub client: SocketAddr,
    /// One entry per [`Step`], in order.
    pub observations: Vec<Observation>,
    /// Step 8: binding the server's port again after the connection ended.
    pub restart: Restart,
}

impl Lifecycle {
    /// The observation made after `step`.
    pub fn after(&self, step: Step) -> Option<&Observation> {
        self.observations.iter().find(|o| o.step == step)
    }
}

/// Drives one connection through its life, printing each step; returns what it saw.
pub fn lifecycle(
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Lifecycle> {
    let closer_side = config.closer;
    let peer_side = closer_side.other();

    // ANCHOR: listen
    // 1. Listen (passive open): CLOSED → LISTEN. `bind` creates the socket, binds the address
    //    and calls listen(): from now on the kernel answers SYNs for this port. No packet yet.
    let listener = listen(&config.listen)?;
    let server = listener
        .local_addr()
        .context("could not read the listener's address")?;
    say(out, format_args!("{}{server}", common::LISTENING_PREFIX));
    // ANCHOR_END: listen
    let mut lab = Lab::new(server, config.step, input, out);
    lab.intro(closer_side);
    lab.record(Step::Listen, closer_side);

    // ANCHOR: connect
    // 2. Connect (active open): the client sends SYN (CLOSED → SYN_SENT), the server's kernel
    //    answers SYN+ACK (LISTEN spawns a SYN_RCVD socket), the client answers ACK. `connect`
    //    returns once the client sent that ACK: both ends are then ESTABLISHED.
    let client = TcpStream::connect_timeout(&server, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to our own listener at {server}"))?;
    // ANCHOR_END: connect
    let client_addr = client
        .local_addr()
        .context("could not read the client's address")?;
    lab.ends.client = Some(client_addr);
    lab.record(Step::Connect, closer_side);

    // ANCHOR: accept
    // 3. Accept: no packet. The kernel finished the handshake in step 2 and queued the
    //    connection; `accept` only hands it to the program.
    let (server_stream, _) = accept(&listener)?;
    // ANCHOR_END: accept
    lab.record(Step::Accept, closer_side);

    // Who closes first is a choice; TCP itself does not care which end starts.
    let (closer, peer) = match closer_side {
        Side::Client => (client, server_stream),
        Side::Server => (server_stream, client),
    };
    for stream in [&closer, &peer] {
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .context("could not set a read timeout")?;
    }

    // ANCHOR: half_close
    // 4. The closer sends FIN (ESTABLISHED → FIN_WAIT_1); the peer's kernel ACKs it, at once
    //    or after a short delay (the closer: FIN_WAIT_1 → FIN_WAIT_2; the peer: ESTABLISHED →
    //    CLOSE_WAIT). Only the closer's sending half is closed: it can still read.
    closer
        .shutdown(Shutdown::Write)
        .context("could not shut down the sending side")?;
    // ANCHOR_END: half_close
    lab.record(Step::HalfClose, closer_side);

    // ANCHOR: read_eof
    // 5. The peer reads 0: that is how a program learns that the other end sent FIN. Nothing
    //    is sent. CLOSE_WAIT now lasts until this program closes its socket, for ever if it
    //    never does.
    expect_end_of_stream(&peer, peer_side)?;
    // ANCHOR_END: read_eof
    lab.record(Step::ReadEof, closer_side);

    // ANCHOR: peer_close
    // 6. The peer closes: its kernel sends FIN (CLOSE_WAIT → LAST_ACK), the closer's kernel
    //    ACKs it (FIN_WAIT_2 → TIME_WAIT), and the ACK ends the peer's socket (LAST_ACK →
    //    CLOSED: it leaves the table).
    drop(peer);
    // ANCHOR_END: peer_close
    lab.record(Step::PeerClose, closer_side);

    // ANCHOR: closer_close
    // 7. The closer reads 0 (the peer's FIN) and closes too. No packet: its FIN went out in
    //    step 4. The TIME_WAIT entry stays in the kernel for 2 MSL (60 s on Linux) even after
    //    the program has exited, so that a late copy of the peer's FIN can still be ACKed.
    expect_end_of_stream(&closer, closer_side)?;
    drop(closer);
    // ANCHOR_END: closer_close
    lab.record(Step::CloserClose, closer_side);

    // 8. Restart the server on the same port, as a server restarted after a crash would.
    drop(listener);
    let restart = restart(server);
    lab.report_restart(&restart, closer_side);

    Ok(Lifecycle {
        server,
        client: client_addr,
        observations: lab.observations,
        restart,
    })
}

/// Binds the lab's listener, on loopback only, with a message that says how to fix a failure.
pub fn listen(addr: &str) -> Result<TcpListener> {
    let addr = loopback_addr(addr)?;
    TcpListener::bind(addr).map_err(|error| cannot_listen(addr, error))
}

/// Reads `--listen`: an IP:PORT on loopback, nothing else.
fn loopback_addr(addr: &str) -> Result<SocketAddr> {
    let addr: SocketAddr = addr.parse().with_context(|| {
        format!(
            "cannot listen on {addr:?}: give IP:PORT on loopback, e.g. 127.0.0.1:8003 or [::1]:0"
        )
    })?;
    if !addr.ip().is_loopback() {
        bail!(
            "cannot listen on {addr}: the lab only uses loopback (127.0.0.1 or [::1]) so that \
             it never talks to another machine, e.g. `--listen 127.0.0.1:{}`",
            addr.port()
        );
    }
    Ok(addr)
}

/// Turns a failed bind into a message that says how to fix it.
fn cannot_listen(addr: SocketAddr, error: io::Error) -> anyhow::Error {
    let hint = match error.kind() {
        ErrorKind::AddrInUse => {
            "another program (perhaps another tcp-states) is listening there: stop it, \
             or choose another port, e.g. `--listen 127.0.0.1:0` for any free port"
        }
        ErrorKind::AddrNotAvailable => {
            "that loopback address is not configured on this machine (IPv6 may be off): \
             use 127.0.0.1"
        }
        ErrorKind::PermissionDenied => {
            "ports below 1024 need administrator rights: choose a port above 1024"
        }
        _ => "give the address as IP:PORT, e.g. 127.0.0.1:8003",
    };
    anyhow::Error::new(error).context(format!("cannot listen on {addr}: {hint}"))
}

/// Accepts the one connection of the lab, without waiting for ever if it never comes.
fn accept(listener: &TcpListener) -> Result<(TcpStream, SocketAddr)> {
    // The handshake is already done, so the connection is waiting: a non-blocking accept
    // finds it, and a bounded wait covers an OS that queues it a moment later.
    listener
        .set_nonblocking(true)
        .context("could not make the listener non-blocking")?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    let accepted = loop {
        match listener.accept() {
            Ok(accepted) => break accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e).context("accept failed"),
        }
    };
    accepted
        .0
        .set_nonblocking(false)
        .context("could not make the accepted socket blocking")?;
    Ok(accepted)
}

/// Reads once and checks that the result is 0: the other end has sent its FIN.
fn expect_end_of_stream(stream: &TcpStream, side: Side) -> Result<()> {
    let mut buf = [0; 64];
    // `Ok(0)` means end of stream: the peer sent FIN and every byte before it was read.
    match (&*stream).read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => bail!("the {side} expected the end of the stream but read {n} bytes"),
        Err(e) => {
            Err(e).with_context(|| format!("the {side} could not read the end of the stream"))
        }
    }
}

// ANCHOR: restart
/// Step 8: what happens when the server is restarted on the same port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    /// Whether `TcpListener::bind` had set `SO_REUSEADDR` on the lab's listener (read back
    /// from the socket). Rust's std sets it on every Unix, and not on Windows.
    pub std_sets_reuseaddr: bool,
    /// Binding the port with a plain socket, without `SO_REUSEADDR`.
    pub without_reuseaddr: std::result::Result<(), ErrorKind>,
    /// Binding the port with `TcpListener::bind`, as any Rust server would.
    pub with_std: std::result::Result<(), ErrorKind>,
}

/// Binds `server` twice, the way a restarted server would: once without `SO_REUSEADDR`,
/// once with Rust's `TcpListener::bind`. Each listener is closed again at once.
pub fn restart(server: SocketAddr) -> Restart {
    let std_listener = TcpListener::bind(server);
    let std_sets_reuseaddr = std_listener
        .as_ref()
        .ok()
        .and_then(|l| SockRef::from(l).reuse_address().ok())
        .unwrap_or(false);
    let with_std = std_listener.map(drop).map_err(|e| e.kind());
    let without_reuseaddr = bind_without_reuseaddr(server)
        .map(drop)
        .map_err(|e| e.kind());
    Restart {
        std_sets_reuseaddr,
        without_reuseaddr,
        with_std,
    }
}

/// A listener made the way the C socket API makes it by default: no `SO_REUSEADDR`.
///
/// On Linux and the BSDs such a bind fails with "address in use" while any connection on
/// the port is still in TIME_WAIT. `socket2` lets us leave the option unset, which std's
/// `TcpListener::bind` does not.
pub fn bind_without_reuseaddr(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}
// ANCHOR_END: restart

/// The step being printed, the sockets being watched, and what was seen so far.
struct Lab<'a> {
    ends: Ends,
    pause: bool,
    input: &'a mut dyn BufRead,
    out: &'a mut dyn Write,
    observations: Vec<Observation>,
    /// Set once the table could not be read or understood; the steps go on without it.
    table_unreadable: bool,
}

impl<'a> Lab<'a> {
    fn new(
        server: SocketAddr,
        pause: bool,
        input: &'a mut dyn BufRead,
        out: &'a mut dyn Write,
    ) -> Self {
        Lab {
            ends: Ends {
                server,
                client: None,
            },
            pause,
            input,
            out,
            observations: Vec::new(),
            table_unreadable: false,
        }
    }

    fn intro(&mut self, closer: Side) {
        let port = self.ends.server.port();
        say(
            self.out,
            format_args!(
                "the {closer} closes first; watch from another terminal with:\n    {}",
                watch_command(port)
            ),
        );
        if !self.pause {
            say(
                self.out,
                "(add --step to pause after each step; the TIME_WAIT at the end stays \
                 visible after the lab exits)",
            );
        }
    }

    /// Looks at the table, prints the step and what it did, and pauses with `--step`.
    fn record(&mut self, step: Step, closer: Side) {
        // A table found unreadable once is not read again: its note was printed once.
        let observed = if self.table_unreadable {
            None
        } else {
            let observed = observe(&self.ends).and_then(|(snapshot, caught)| {
                table_understood(&snapshot, self.ends.server)?;
                Ok((snapshot, caught))
            });
            match observed {
                Ok(observed) => Some(observed),
                Err(error) => {
                    say(
                        self.out,
                        format_args!(
                            "note: cannot read the socket table here ({error:#}); the steps \
                             run anyway: watch them with the command above"
                        ),
                    );
                    self.table_unreadable = true;
                    None
                }
            }
        };
        let (seen, caught) = match observed {
            Some((snapshot, caught)) => (Some(snapshot), caught),
            None => (None, Vec::new()),
        };
        let observation = Observation { step, seen, caught };
        print_step(self.out, &observation, &self.ends, closer);
        self.observations.push(observation);
        pause(&mut self.pause, self.input, self.out);
    }

    fn report_restart(&mut self, restart: &Restart, closer: Side) {
        let port = self.ends.server.port();
        say(self.out, "");
        say(self.out, "8. restart the server on the same port");
        say(
            self.out,
            format_args!(
                "   std's TcpListener::bind sets SO_REUSEADDR: {} (std sets it on Unix, not on \
                 Windows)",
                if restart.std_sets_reuseaddr {
                    "yes"
                } else {
                    "no"
                }
            ),
        );
        let outcome = |result: &std::result::Result<(), ErrorKind>| match result {
            Ok(()) => "bound".to_owned(),
            Err(kind) => format!("failed: {}", io::Error::from(*kind)),
        };
        say(
            self.out,
            format_args!(
                "   bind without SO_REUSEADDR (socket2):  {}",
                outcome(&restart.without_reuseaddr)
            ),
        );
        say(
            self.out,
            format_args!(
                "   bind with TcpListener::bind:          {}",
                outcome(&restart.with_std)
            ),
        );
        let why = match (closer, &restart.without_reuseaddr) {
            (Side::Server, Err(ErrorKind::AddrInUse)) => format!(
                "   the server closed first, so its end of the old connection is in TIME_WAIT \
                 on port {port}:\n   without SO_REUSEADDR the OS refuses the port until \
                 TIME_WAIT ends; SO_REUSEADDR allows it."
            ),
            (Side::Client, Ok(())) => format!(
                "   the client closed first, so TIME_WAIT is on the client's port, not on \
                 {port}:\n   a restarted server can bind at once, with or without \
                 SO_REUSEADDR."
            ),
            (Side::Client, Err(ErrorKind::AddrInUse)) => format!(
                "   the client closed first, so this run left no TIME_WAIT on {port}: an \
                 older connection\n   on {port} must still be in TIME_WAIT (an earlier run \
                 with --closer server?)."
            ),
            _ => "   (this OS decides differently from Linux here: see the book's chapter on \
                  the teardown)"
                .to_owned(),
        };
        say(self.out, why);
    }
}

/// What a step does, in words, for the printout.
struct StepText {
    title: String,
    code: String,
    packets: String,
    /// The short-lived states the step passes through on its way.
    passes: Vec<(End, TcpState)>,
    note: String,
}

fn describe(step: Step, closer: Side) -> StepText {
    let peer = closer.other();
    let (closer_end, peer_end) = (End::from(closer), End::from(peer));
    match step {
        Step::Listen => StepText {
            title: "1. the server listens".into(),
            code: "TcpListener::bind(addr)".into(),
            packets: "none: a listening socket waits for SYNs".into(),
            passes: vec![],
            note: "CLOSED → LISTEN (passive open). The client has no socket yet.".into(),
        },
        Step::Connect => StepText {
            title: "2. the client connects: the three-way handshake".into(),
            code: "TcpStream::connect_timeout(&server, timeout)".into(),
            packets: "client → server SYN; server → client SYN+ACK (sent by the server's \
                      kernel, not by our code); client → server ACK"
                .into(),
            passes: vec![
                (End::Client, TcpState::SynSent),
                (End::Server, TcpState::SynReceived),
            ],
            note: "connect returned after the client sent the last ACK. The server's end is \
                   already ESTABLISHED although accept() has not been called: the kernel \
                   did the handshake and queued the connection. (To see SYN_SENT, run the \
                   lab with --syn-sent.)"
                .into(),
        },
        Step::Accept => StepText {
            title: "3. the server accepts".into(),
            code: "listener.accept()".into(),
            packets: "none: accept takes a finished connection from the queue".into(),
            passes: vec![],
            note: "nothing changes on the wire; the program now holds the server's end.".into(),
        },
        Step::HalfClose => StepText {
            title: format!("4. the {closer} closes its sending side: the first FIN"),
            code: format!("{closer}.shutdown(Shutdown::Write)"),
            packets: format!("{closer} → {peer} FIN; {peer} → {closer} ACK (by its kernel)"),
            passes: vec![(closer_end, TcpState::FinWait1)],
            note: format!(
                "the {closer} is the active closer: FIN_WAIT_1 until the ACK, then FIN_WAIT_2 \
                 (half-closed: it can still read). The {peer} is in CLOSE_WAIT: no more data \
                 will come, but it may still send."
            ),
        },
        Step::ReadEof => StepText {
            title: format!("5. the {peer} reads 0"),
            code: format!("{peer}.read(&mut buf) returned Ok(0)"),
            packets: "none: reading is local".into(),
            passes: vec![],
            note: format!(
                "Ok(0) is how a program learns of the FIN. The {peer} stays in CLOSE_WAIT until \
                 it closes: a program that forgets to close keeps the socket in CLOSE_WAIT for \
                 ever."
            ),
        },
        Step::PeerClose => StepText {
            title: format!("6. the {peer} closes: the second FIN"),
            code: format!("drop({peer})"),
            packets: format!("{peer} → {closer} FIN; {closer} → {peer} ACK (by its kernel)"),
            passes: vec![(peer_end, TcpState::LastAck)],
            note: format!(
                "the {peer} went CLOSE_WAIT → LAST_ACK → CLOSED when the ACK came back, so it \
                 left the table. The {closer} went FIN_WAIT_2 → TIME_WAIT."
            ),
        },
        Step::CloserClose => StepText {
            title: format!("7. the {closer} reads 0 and closes"),
            code: format!("{closer}.read(&mut buf) returned Ok(0); drop({closer})"),
            packets: format!("none: the {closer}'s FIN went out in step 4"),
            passes: vec![],
            note: format!(
                "TIME_WAIT belongs to the kernel now and outlives the program: it waits 2 MSL \
                 (60 s on Linux, 30 s on macOS, 240 s on Windows) so that, if the last ACK was \
                 lost, the {peer}'s repeated FIN is still answered, and so that no stray packet \
                 of this connection can land in a new one with the same addresses."
            ),
        },
    }
}

fn print_step(out: &mut dyn Write, observation: &Observation, ends: &Ends, closer: Side) {
    let text = describe(observation.step, closer);
    say(out, "");
    say(out, &text.title);
    field(out, "code:", &text.code);
    field(out, "packets:", &text.packets);
    if let Some(seen) = &observation.seen {
        for end in [End::Listener, End::Client, End::Server] {
            let label = format!("{end}:");
            match seen.entry(end) {
                Some(entry) => {
                    // A listener's Recv-Q is its accept queue: handshakes done, not yet accepted.
                    let queued = match (end, entry.queues) {
                        (End::Listener, Some(queues)) if queues.recv > 0 => {
                            format!(" ({} connection waiting for accept)", queues.recv)
                        }
                        _ => String::new(),
                    };
                    say(
                        out,
                        format_args!("   {label:<10}{:<38}{}{queued}", entry.route(), entry.state),
                    );
                }
                None if end != End::Listener && ends.client.is_none() => {
                    field(out, &label, "no socket yet (CLOSED)");
                }
                None => field(out, &label, "gone from the table (CLOSED)"),
            }
        }
    }
    if !text.passes.is_empty() {
        let passes: Vec<String> = text
            .passes
            .iter()
            .map(|(e, s)| format!("{e} {s}"))
            .collect();
        let caught: Vec<String> = observation
            .caught
            .iter()
            .map(|(e, s)| format!("{e} {s}"))
            .collect();
        let verdict = if caught.is_empty() {
            "none caught: on loopback the answer arrives within microseconds, before the lab \
             can look"
                .to_owned()
        } else {
            format!("caught: {}", caught.join(", "))
        };
        field(
            out,
            "passed:",
            format_args!("{} ({verdict})", passes.join(", ")),
        );
    }
    field(out, "why:", &text.note);
}

// ---------------------------------------------------------------------------------------
// The sliding window
// ---------------------------------------------------------------------------------------

/// How many more bytes the writer sends once the reader reads again.
const MORE_AFTER_DRAIN: u64 = 1024 * 1024;

/// How long every write must keep failing with "would block" before the lab calls the
/// buffers full. A single failure can be momentary: on loopback, ACKs that free space in the
/// send buffer may still be on their way.
const FULL_AFTER: Duration = Duration::from_millis(200);

/// Why the writer stopped writing while the reader was not reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStop {
    /// The next write would block: the buffers on both sides are full.
    WouldBlock,
    /// `--max-bytes` was reached first.
    ByteLimit,
    /// `--time-limit` was reached first.
    TimeLimit,
}

/// What the window demo measured.
#[derive(Debug, Clone)]
pub struct WindowReport {
    /// Bytes the writer's `write` calls accepted while the reader did not read.
    pub accepted: u64,
    /// Why the writer stopped.
    pub stopped: WriteStop,
    /// How long the writer wrote before it stopped.
    pub fill_time: Duration,
    /// The writer's send buffer (`SO_SNDBUF`) as the OS reported it once full.
    pub send_buffer: usize,
    /// The reader's receive buffer (`SO_RCVBUF`) as the OS reported it once full.
    pub recv_buffer: usize,
    /// Bytes waiting in the reader's kernel buffer, unread (its Recv-Q), if the table says.
    pub reader_queue: Option<u64>,
    /// Bytes waiting in the writer's kernel buffer, not yet acknowledged (its Send-Q).
    pub writer_queue: Option<u64>,
    /// Bytes written after the reader started reading again.
    pub more: u64,
    /// Bytes the reader received in all, and whether they all came in the order written.
    pub received: u64,
    /// Whether every byte received was the byte written at that position.
    pub in_order: bool,
}

/// The sliding window: a reader that stops reading, a writer that fills the buffers.
pub fn window(
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<WindowReport> {
    let time_limit = Duration::from_secs(config.time_limit);

    // ANCHOR: window_connect
    // 1. Listen, connect, accept: one ESTABLISHED connection. The client writes, the
    //    server's end reads (or, for now, does not).
    let listener = listen(&config.listen)?;
    let server = listener
        .local_addr()
        .context("could not read the listener's address")?;
    say(out, format_args!("{}{server}", common::LISTENING_PREFIX));
    let writer = TcpStream::connect_timeout(&server, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to our own listener at {server}"))?;
    let (reader, _) = accept(&listener)?;
    // ANCHOR_END: window_connect
    let ends = Ends {
        server,
        client: Some(
            writer
                .local_addr()
                .context("could not read the writer's address")?,
        ),
    };
    say(
        out,
        format_args!(
            "watch the queues from another terminal with:\n    {}",
            watch_command(server.port())
        ),
    );
    let sizes = |w: &TcpStream, r: &TcpStream| -> Result<(usize, usize)> {
        Ok((
            SockRef::from(w)
                .send_buffer_size()
                .context("could not read SO_SNDBUF")?,
            SockRef::from(r)
                .recv_buffer_size()
                .context("could not read SO_RCVBUF")?,
        ))
    };
    let (send_at_start, recv_at_start) = sizes(&writer, &reader)?;
    say(out, "");
    say(
        out,
        "1. connected: the client will write, the server will read",
    );
    field(
        out,
        "buffers:",
        format_args!(
            "the OS gave the writer SO_SNDBUF {send_at_start} bytes and the reader SO_RCVBUF \
             {recv_at_start} bytes"
        ),
    );

    // ANCHOR: fill
    // 2. The reader stops reading. Every byte it receives stays in its receive buffer, and
    //    each ACK it sends advertises less free space: the window shrinks to 0.
    // 3. The writer writes without blocking until the OS says "would block": its peer's
    //    window is 0 and its own send buffer is full too.
    writer
        .set_nonblocking(true)
        .context("could not make the writer non-blocking")?;
    let chunk = pattern(64 * 1024 + PATTERN_PERIOD);
    let started = Instant::now();
    let mut accepted: u64 = 0;
    let mut last_accepted = started;
    let mut blocked_since: Option<Instant> = None;
    let stopped = loop {
        if accepted >= config.max_bytes {
            break WriteStop::ByteLimit;
        }
        if started.elapsed() >= time_limit {
            break WriteStop::TimeLimit;
        }
        let start = (accepted % PATTERN_PERIOD as u64) as usize;
        let len = (chunk.len() - PATTERN_PERIOD).min((config.max_bytes - accepted) as usize);
        match (&writer).write(&chunk[start..start + len]) {
            Ok(n) => {
                accepted += n as u64;
                last_accepted = Instant::now();
                blocked_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *blocked_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= FULL_AFTER {
                    break WriteStop::WouldBlock;
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("the writer's write failed"),
        }
    };
    // ANCHOR_END: fill
    let fill_time = last_accepted - started;
    let (send_buffer, recv_buffer) = sizes(&writer, &reader)?;
    // Two readings, the writer's first: a byte leaves the writer's Send-Q only once it is in
    // the reader's Recv-Q, so this order counts every byte at least once, whatever moves in
    // between. (One reading lists the two ends at slightly different moments, in any order.)
    let queues = |pick: fn(&Snapshot) -> Option<u64>| {
        read_socket_table()
            .ok()
            .and_then(|table| pick(&Snapshot::of(&table, &ends)))
    };
    let writer_queue = queues(|s| s.client.as_ref().and_then(|e| e.queues).map(|q| q.send));
    let reader_queue = queues(|s| s.server.as_ref().and_then(|e| e.queues).map(|q| q.recv));
    say(out, "");
    say(
        out,
        "2. the server stops reading; 3. the client writes until a write would block",
    );
    let why = match stopped {
        WriteStop::WouldBlock => format!(
            "then every write failed with WouldBlock for {} ms: the reader advertises a window \
             of 0 and the writer's send buffer is full",
            FULL_AFTER.as_millis()
        ),
        WriteStop::ByteLimit => {
            "then it stopped at --max-bytes before any write would block".into()
        }
        WriteStop::TimeLimit => {
            "then it stopped at --time-limit before any write would block".into()
        }
    };
    field(
        out,
        "writer:",
        format_args!(
            "write() accepted {accepted} bytes in {} ms, {why}",
            fill_time.as_millis()
        ),
    );
    field(
        out,
        "buffers:",
        format_args!(
            "now SO_SNDBUF {send_buffer} bytes (writer) and SO_RCVBUF {recv_buffer} bytes \
             (reader): {} together, and the OS counts its bookkeeping in them too",
            send_buffer + recv_buffer
        ),
    );
    if let (Some(recv_q), Some(send_q)) = (reader_queue, writer_queue) {
        field(
            out,
            "queues:",
            format_args!(
                "{recv_q} bytes wait unread in the reader's receive buffer (its Recv-Q); \
                 {send_q} bytes wait unacknowledged in the writer's send buffer (its Send-Q)"
            ),
        );
    }
    let mut pausing = config.step;
    pause(&mut pausing, input, out);

    // ANCHOR: drain
    // 4. The reader reads again. Each read frees space, its ACKs advertise a larger window,
    //    and the writer, blocking again, continues with more data. The writer then closes
    //    (FIN), so the reader knows when it has everything: `read` returns 0.
    writer
        .set_nonblocking(false)
        .context("could not make the writer blocking again")?;
    writer
        .set_write_timeout(Some(time_limit))
        .context("could not set a write timeout")?;
    reader
        .set_read_timeout(Some(time_limit))
        .context("could not set a read timeout")?;
    let more_started = Instant::now();
    let (sent_more, drained) = thread::scope(|scope| {
        let sender = scope.spawn(|| -> io::Result<Duration> {
            (&writer).write_all(&pattern_from(accepted, MORE_AFTER_DRAIN as usize))?;
            let took = more_started.elapsed();
            writer.shutdown(Shutdown::Write)?;
            Ok(took)
        });
        let drained = drain(&reader);
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
        (sent, drained)
    });
    // ANCHOR_END: drain
    let more_time = sent_more.context("the writer could not continue")?;
    let (received, in_order) = drained.context("the reader could not read everything")?;
    say(out, "");
    say(out, "4. the server reads again; the client continues");
    field(
        out,
        "writer:",
        format_args!(
            "write_all of {MORE_AFTER_DRAIN} more bytes returned after {} ms, as the reader \
             made room",
            more_time.as_millis()
        ),
    );
    field(
        out,
        "reader:",
        format_args!(
            "received {received} bytes ({} in the order written), then read returned 0",
            if in_order { "all" } else { "NOT all" }
        ),
    );
    let expected = accepted + MORE_AFTER_DRAIN;
    if received != expected || !in_order {
        bail!("the reader received {received} bytes, expected {expected} in order");
    }

    Ok(WindowReport {
        accepted,
        stopped,
        fill_time,
        send_buffer,
        recv_buffer,
        reader_queue,
        writer_queue,
        more: MORE_AFTER_DRAIN,
        received,
        in_order,
    })
}

/// The data the writer sends repeats every 251 bytes: a prime, so no chunk boundary lines up
/// with it, and a byte received out of place shows up as a wrong value.
const PATTERN_PERIOD: usize = 251;

/// The byte written at position `offset` of the stream.
fn pattern_byte(offset: u64) -> u8 {
    (offset % PATTERN_PERIOD as u64) as u8
}

/// `len` bytes of the stream, from position 0.
fn pattern(len: usize) -> Vec<u8> {
    pattern_from(0, len)
}

/// `len` bytes of the stream, from position `offset`.
fn pattern_from(offset: u64, len: usize) -> Vec<u8> {
    (offset..offset + len as u64).map(pattern_byte).collect()
}

/// Reads until the end of the stream; returns the bytes read and whether each was in place.
fn drain(reader: &TcpStream) -> io::Result<(u64, bool)> {
    let mut buf = vec![0; 64 * 1024];
    let mut received: u64 = 0;
    let mut in_order = true;
    loop {
        match (&*reader).read(&mut buf) {
            Ok(0) => return Ok((received, in_order)), // FIN: the writer is done.
            Ok(n) => {
                // Check only the `n` bytes this read returned, never the whole buffer.
                in_order &= buf[..n]
                    .iter()
                    .zip(received..)
                    .all(|(&byte, offset)| byte == pattern_byte(offset));
                received += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// With `--step`, waits for Enter; at the end of input it stops pausing for good.
fn pause(pausing: &mut bool, input: &mut dyn BufRead, out: &mut dyn Write) {
    if !*pausing {
        return;
    }
    say(out, "   [press Enter for the next step]");
    let _ = out.flush();
    let mut line = String::new();
    if !matches!(input.read_line(&mut line), Ok(n) if n > 0) {
        *pausing = false;
    }
}

// ---------------------------------------------------------------------------------------
// SYN_SENT, made visible
// ---------------------------------------------------------------------------------------

/// The most clients the SYN_SENT demo connects while looking for one that must wait.
const MAX_QUEUED_CLIENTS: usize = 16;

/// How long a client's `connect` must go unanswered before the demo calls it waiting. A
/// handshake on loopback takes microseconds; a dropped SYN is resent only after a second.
const WAITING_AFTER: Duration = Duration::from_millis(300);

/// How long the waiting client may keep trying. The demo makes room after 300 ms, and the
/// first resent SYN goes out 1 s after the first one, so a few seconds are plenty.
const SYN_RETRY_TIMEOUT: Duration = Duration::from_secs(10);

/// The same with `--step`, where a teacher may pause with the queue full. Then the client's
/// kernel decides: Linux resends the SYN `tcp_syn_retries` times, plus
/// `tcp_syn_linear_timeouts` since Linux 6.5 (6 + 4 by default), and fails the connect
/// 131 s after the first SYN by the kernel's documentation (127 s on older kernels),
/// a little later in practice because long timers fire late.
const SYN_RETRY_TIMEOUT_STEPPING: Duration = Duration::from_secs(180);

/// How long a paused teacher has, in words, for the pause and for the error after it.
const SYN_GIVE_UP: &str = "about 2 minutes on Linux (it resends the SYN up to 10 times, \
                           net.ipv4.tcp_syn_retries = 6 plus tcp_syn_linear_timeouts = 4, \
                           then gives up; other systems may give up sooner)";

/// What the SYN_SENT demo saw.
#[derive(Debug, Clone)]
pub struct SynSentReport {
    /// How many connections the listener's full queue held (handshake done, never accepted).
    pub queued: usize,
    /// The waiting client's state while the queue was full, from the OS's table: SYN_SENT
    /// where the server's kernel drops the SYN. `None` if the table could not be read.
    pub waiting_state: Option<TcpState>,
    /// How long after its `connect` started the waiting client was connected, once the
    /// server had accepted one connection and so made room.
    pub connected_after: Duration,
}

/// A connect running on a thread of its own; its result comes back over a channel.
struct PendingConnect {
    result: mpsc::Receiver<io::Result<TcpStream>>,
    started: Instant,
}

impl PendingConnect {
    fn start(server: SocketAddr, timeout: Duration) -> PendingConnect {
        let (sender, result) = mpsc::channel();
        thread::spawn(move || {
            // The demo may have given up already; then nobody listens, and that is fine.
            let _ = sender.send(TcpStream::connect_timeout(&server, timeout));
        });
        PendingConnect {
            result,
            started: Instant::now(),
        }
    }

    /// The connected stream, if the handshake finishes within `timeout`.
    fn wait(&self, timeout: Duration) -> Result<Option<TcpStream>> {
        match self.result.recv_timeout(timeout) {
            Ok(Ok(stream)) => Ok(Some(stream)),
            Ok(Err(error)) if error.kind() == ErrorKind::TimedOut => Err(error).context(format!(
                "the waiting client gave up: its kernel stopped resending the SYN before the \
                 queue had room (with --step, press Enter sooner: the client waits \
                 {SYN_GIVE_UP})"
            )),
            Ok(Err(error)) => Err(error).context(
                "the connection failed: this OS refuses a connection when the accept queue is \
                 full, instead of dropping the SYN and letting the client wait",
            ),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the connecting thread failed"),
        }
    }
}

/// SYN_SENT on loopback: a full accept queue makes the server's kernel drop a client's SYN.
pub fn syn_sent(
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<SynSentReport> {
    let addr = loopback_addr(&config.listen)?;

    // ANCHOR: tiny_backlog
    // 1. Listen with the shortest accept queue there is: backlog 0 (Linux still queues one
    //    connection). std's `TcpListener::bind` always asks for 128, so socket2 builds this one.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .context("could not create a socket")?;
    socket
        .set_reuse_address(true)
        .context("could not set SO_REUSEADDR")?;
    socket
        .bind(&addr.into())
        .map_err(|error| cannot_listen(addr, error))?;
    socket.listen(0).context("could not listen")?;
    let listener = TcpListener::from(socket);
    // ANCHOR_END: tiny_backlog
    let server = listener
        .local_addr()
        .context("could not read the listener's address")?;
    say(out, format_args!("{}{server}", common::LISTENING_PREFIX));
    say(
        out,
        format_args!(
            "watch from another terminal with:\n    {}",
            watch_command(server.port())
        ),
    );
    say(out, "");
    say(
        out,
        "1. the server listens with the shortest accept queue (backlog 0)",
    );
    field(out, "code:", "socket.listen(0), with socket2");

    // ANCHOR: fill_queue
    // 2. Clients connect; the server never accepts. While the queue has room, the kernel
    //    completes each handshake and `connect` returns at once. Once it is full, the kernel
    //    drops the next SYN without a word: that client stays in SYN_SENT, and its kernel
    //    sends the SYN again a second later, and again, waiting longer each time.
    let retry_timeout = if config.step {
        SYN_RETRY_TIMEOUT_STEPPING
    } else {
        SYN_RETRY_TIMEOUT
    };
    let mut queued = Vec::new();
    let waiting = loop {
        if queued.len() >= MAX_QUEUED_CLIENTS {
            bail!(
                "{MAX_QUEUED_CLIENTS} clients connected to a listener with backlog 0 without \
                 waiting: this OS does not limit the accept queue the way Linux does"
            );
        }
        let pending = PendingConnect::start(server, retry_timeout);
        match pending.wait(WAITING_AFTER)? {
            Some(stream) => queued.push(stream),
            None => break pending,
        }
    };
    // ANCHOR_END: fill_queue
    let waiting_state = read_socket_table().ok().and_then(|table| {
        table
            .iter()
            .find(|e| e.remote == Some(server) && e.state == TcpState::SynSent)
            .map(|e| e.state)
    });
    say(out, "");
    say(out, "2. clients connect; the server does not accept");
    field(
        out,
        "queued:",
        format_args!(
            "{} connection(s) connected at once: their handshakes are done and they wait in \
             the accept queue, which is now full",
            queued.len()
        ),
    );
    let seen = match waiting_state {
        Some(state) => format!("is in {state}"),
        None => "is still connecting (the state table cannot be read here)".to_owned(),
    };
    field(
        out,
        "waiting:",
        format_args!(
            "the next client {seen} after {} ms: the server's kernel dropped its SYN, and \
             connect() has not returned",
            WAITING_AFTER.as_millis()
        ),
    );
    if config.step {
        field(
            out,
            "hurry:",
            format_args!("press Enter before the waiting client gives up: {SYN_GIVE_UP}"),
        );
    }
    let mut pausing = config.step;
    pause(&mut pausing, input, out);

    // ANCHOR: make_room
    // 3. The server accepts one connection: there is room in the queue again. The waiting
    //    client's next SYN (its first retransmission) gets an answer, and `connect` returns.
    let (first, _) = accept(&listener)?;
    let Some(_connected) = waiting.wait(retry_timeout + STEP_TIMEOUT)? else {
        bail!("the waiting client was not connected within {retry_timeout:?}");
    };
    let connected_after = waiting.started.elapsed();
    // ANCHOR_END: make_room
    drop(first);
    say(out, "");
    say(
        out,
        "3. the server accepts one connection, which makes room",
    );
    field(
        out,
        "waiting:",
        format_args!(
            "connect() returned {} ms after it started: its kernel resent the SYN (first after \
             1 s, then again and again, waiting as long or longer each time), and the first \
             SYN after the accept found room in the queue",
            connected_after.as_millis()
        ),
    );

    Ok(SynSentReport {
        queued: queued.len(),
        waiting_state,
        connected_after,
    })
}

// ---------------------------------------------------------------------------------------
// The lab's sockets in the OS's table (read by the `table` module)
// ---------------------------------------------------------------------------------------

/// The three sockets the lab watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The listening socket.
    Listener,
    /// The client's end of the connection.
    Client,
    /// The server's end of the connection (the socket `accept` returns).
    Server,
}

impl From<Side> for End {
    fn from(side: Side) -> End {
        match side {
            Side::Client => End::Client,
            Side::Server => End::Server,
        }
    }
}

impl Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            End::Listener => "listener",
            End::Client => "client",
            End::Server => "server",
        })
    }
}

/// The addresses that pick the lab's sockets out of the machine's whole table.
#[derive(Debug, Clone, Copy)]
struct Ends {
    /// The listener's address, which is also the server end's local address.
    server: SocketAddr,
    /// The client's address, once it has one.
    client: Option<SocketAddr>,
}

/// The lab's sockets as found in one reading of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The listening socket.
    pub listener: Option<SocketEntry>,
    /// The client's end.
    pub client: Option<SocketEntry>,
    /// The server's end.
    pub server: Option<SocketEntry>,
}

impl Snapshot {
    fn of(table: &[SocketEntry], ends: &Ends) -> Snapshot {
        let find = |local: SocketAddr, remote: Option<SocketAddr>| {
            table
                .iter()
                .find(|e| e.local == local && e.remote == remote && remote.is_some())
                .copied()
        };
        Snapshot {
            listener: table
                .iter()
                .find(|e| e.local == ends.server && e.state == TcpState::Listen)
                .copied(),
            client: ends
                .client
                .and_then(|client| find(client, Some(ends.server))),
            server: ends
                .client
                .and_then(|client| find(ends.server, Some(client))),
        }
    }

    /// The entry of `end`, if it is in the table.
    pub fn entry(&self, end: End) -> Option<SocketEntry> {
        match end {
            End::Listener => self.listener,
            End::Client => self.client,
            End::Server => self.server,
        }
    }
}

// ANCHOR: observe
/// Reads the table until the lab's sockets are out of their short-lived states (or one
/// second passed), and returns the settled snapshot plus the short-lived states seen.
fn observe(ends: &Ends) -> Result<(Snapshot, Vec<(End, TcpState)>)> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    let mut caught = Vec::new();
    loop {
        let snapshot = Snapshot::of(&read_socket_table()?, ends);
        let mut settled = true;
        for end in [End::Listener, End::Client, End::Server] {
            if let Some(entry) = snapshot.entry(end)
                && entry.state.is_short_lived()
            {
                settled = false;
                if !caught.contains(&(end, entry.state)) {
                    caught.push((end, entry.state));
                }
            }
        }
        if settled || Instant::now() >= deadline {
            return Ok((snapshot, caught));
        }
        thread::sleep(Duration::from_millis(2));
    }
}
// ANCHOR_END: observe

/// Whether a reading of the table can be believed: the listener, open from step 1 until
/// step 8, must be in it.
///
/// A table read without error can still be useless: `netstat` output the parser does not
/// understand (state names in another language, as on a German Windows, or columns in an
/// unknown order) gives an empty list. Without this check every socket of the lab would
/// look "gone from the table (CLOSED)", at every step: wrong, and confidently so.
fn table_understood(snapshot: &Snapshot, server: SocketAddr) -> Result<()> {
    if snapshot.listener.is_none() {
        bail!(
            "our own listener on {server} is not in it, so the output of the system's tool \
             was not understood (state names in another language?)"
        );
    }
    Ok(())
}

// ANCHOR: watch_command
/// The command a student types in a second terminal to watch the lab's port, on this OS.
pub fn watch_command(port: u16) -> String {
    if cfg!(target_os = "linux") {
        format!("ss -tan '( sport = :{port} or dport = :{port} )'")
    } else if cfg!(windows) {
        format!("netstat -an | findstr {port}")
    } else {
        format!("netstat -an | grep {port}")
    }
}
// ANCHOR_END: watch_command

/// Prints `text` after a label, wrapped to fit a terminal, continuation lines indented.
fn field(out: &mut dyn Write, label: &str, text: impl Display) {
    const WIDTH: usize = 92;
    const LABEL_WIDTH: usize = 10;
    let indent = " ".repeat(3 + LABEL_WIDTH);
    let mut line = format!("   {label:<LABEL_WIDTH$}");
    let mut line_has_words = false;
    for word in text.to_string().split(' ').filter(|w| !w.is_empty()) {
        if line_has_words && line.chars().count() + 1 + word.chars().count() > WIDTH {
            say(out, &line);
            line.clone_from(&indent);
            line_has_words = false;
        }
        if line_has_words {
            line.push(' ');
        }
        line.push_str(word);
        line_has_words = true;
    }
    say(out, line);
}

/// Prints one line, ignoring write errors: a closed stdout must not stop the lab midway.
fn say(out: &mut dyn Write, line: impl Display) {
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> SocketAddr {
        text.parse().expect("a valid address in the test")
    }

    #[test]
    fn snapshot_picks_the_labs_sockets_out_of_the_whole_table() {
        let entry = |local: &str, remote: Option<&str>, state| SocketEntry {
            local: v4(local),
            remote: remote.map(v4),
            state,
            queues: None,
        };
        let table = [
            // An older run's TIME_WAIT on the same server port, with another client port.
            entry(
                "127.0.0.1:8003",
                Some("127.0.0.1:40000"),
                TcpState::TimeWait,
            ),
            entry("127.0.0.1:8003", None, TcpState::Listen),
            entry(
                "127.0.0.1:50000",
                Some("127.0.0.1:8003"),
                TcpState::FinWait2,
            ),
            entry(
                "127.0.0.1:8003",
                Some("127.0.0.1:50000"),
                TcpState::CloseWait,
            ),
            entry("127.0.0.1:9999", None, TcpState::Listen),
        ];
        let ends = Ends {
            server: v4("127.0.0.1:8003"),
            client: Some(v4("127.0.0.1:50000")),
        };
        let snapshot = Snapshot::of(&table, &ends);
        assert_eq!(snapshot.listener, Some(table[1]));
        assert_eq!(snapshot.client, Some(table[2]));
        assert_eq!(snapshot.server, Some(table[3]));
        let before_connect = Snapshot::of(
            &table,
            &Ends {
                client: None,
                ..ends
            },
        );
        assert_eq!((before_connect.client, before_connect.server), (None, None));
    }

    #[test]
    fn a_table_without_our_listener_is_unreadable_not_empty() {
        let ends = Ends {
            server: v4("127.0.0.1:8003"),
            client: Some(v4("127.0.0.1:50000")),
        };
        // A German Windows: netstat's state names are translated, so no line parses.
        let german = parse_netstat(
            "  Proto  Lokale Adresse         Remoteadresse          Status
  TCP    127.0.0.1:8003         0.0.0.0:0              ABH\u{d6}REN
  TCP    127.0.0.1:50000        127.0.0.1:8003         HERGESTELLT
  TCP    127.0.0.1:8003         127.0.0.1:50000        HERGESTELLT
",
        );
        let error = table_understood(&Snapshot::of(&german, &ends), ends.server)
            .expect_err("nothing understood: the table cannot be believed");
        assert!(error.to_string().contains("not in it"), "{error}");
        // The same sockets in English: understood.
        let english = parse_netstat(
            "  TCP    127.0.0.1:8003         0.0.0.0:0              LISTENING
  TCP    127.0.0.1:50000        127.0.0.1:8003         ESTABLISHED
  TCP    127.0.0.1:8003         127.0.0.1:50000        ESTABLISHED
",
        );
        assert!(table_understood(&Snapshot::of(&english, &ends), ends.server).is_ok());
        // With the listener found, a missing connection is news, not an unreadable table.
        let after_close = parse_netstat("  TCP    127.0.0.1:8003   0.0.0.0:0   LISTENING\n");
        assert!(table_understood(&Snapshot::of(&after_close, &ends), ends.server).is_ok());
    }

    #[test]
    fn pattern_continues_across_writes() {
        let whole = pattern(1000);
        assert_eq!(pattern_from(300, 700), whole[300..]);
        assert_eq!(whole[251], 0);
    }

    #[test]
    fn watch_command_filters_by_the_port() {
        assert!(watch_command(8003).contains("8003"));
    }
}
