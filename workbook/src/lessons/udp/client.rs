//! The checks of the UDP lesson's client exercises: the student's client against the real
//! `udp-server`, a socket of the check's own that receives and never answers, and a port
//! where nothing is bound.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use super::{error_text, shown, stopped_at_gap, told};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::Program;

/// The notes' client against the real `udp-server`: one message, then lines typed.
pub(super) fn check_udp_client_1(program: &Program) -> Result<()> {
    let (mut server, addr) = start_partner_server("127.0.0.1:0")?;
    sends_one_message(program, &mut server, addr)?;
    sends_each_line(program, addr)?;
    if testkit::ipv6_available() {
        let (mut server, addr) = start_partner_server("[::1]:0")?;
        sends_one_message(program, &mut server, addr).map_err(|error| {
            anyhow!(
                "step 1: with the server on IPv6 loopback, {addr}: {error:#}. Bind a socket of \
                 the server's family: `[::]:0` for an IPv6 server, `0.0.0.0:0` for IPv4"
            )
        })?;
    }
    Ok(())
}

/// As exercise 1, and then: a server that never answers, and a port where nothing listens.
pub(super) fn check_udp_client_2(program: &Program) -> Result<()> {
    let (mut server, addr) = start_partner_server("127.0.0.1:0")?;
    sends_one_message(program, &mut server, addr)?;
    drop(server);
    let (silent_addr, said_to_silence) = gives_up_on_silence(program)?;
    explains_a_refusal(program, &said_to_silence, silent_addr)
}

/// Starts the real `udp-server` on `listen` and waits for its `listening on` line.
fn start_partner_server(listen: &str) -> Result<(Running, SocketAddr)> {
    check::start_server(&check::partner("udp-server")?, &["--listen", listen], None)
}

/// How many datagrams `udp-server` has logged: each line after its `listening on` line.
fn datagrams_logged(server: &Running) -> usize {
    server.stdout.snapshot().len().saturating_sub(1)
}

/// Steps 1 to 3 against the real server: `[ADDR] hello` prints `HELLO` and ends well.
fn sends_one_message(program: &Program, server: &mut Running, addr: SocketAddr) -> Result<()> {
    let before = datagrams_logged(server);
    let addr_text = addr.to_string();
    let mut client = Running::start(program, &[&addr_text, "hello"], None)?;
    client.feed(b"")?;
    let status = match client.wait_exit(STEP_TIMEOUT) {
        Ok(status) => status,
        Err(_) if datagrams_logged(server) == before => bail!(
            "step 2: udp-server received nothing from your client, which was still running \
             after {} s{}\nSend the line as one datagram (`conn.send(line.as_bytes())?`) \
             before waiting for the reply",
            STEP_TIMEOUT.as_secs(),
            told(&client)
        ),
        Err(_) => bail!(
            "step 3: udp-server answered `hello`, but your client was still running after {} \
             s{}\nReceive the reply with `conn.recv(&mut buf)?` and print it",
            STEP_TIMEOUT.as_secs(),
            told(&client)
        ),
    };
    stopped_at_gap(&client, "your client", status)?;
    let stdout = client.stdout.snapshot();
    match stdout.first().map(String::as_str) {
        Some("HELLO") if status.success() => Ok(()),
        Some("HELLO") => bail!(
            "step 4: your client printed `HELLO` but ended with {}{}: after the last reply, \
             end with `Ok(())`",
            check::describe(status),
            told(&client)
        ),
        Some("hello") => bail!(
            "step 3: your client printed `hello`, the line it sent: print the reply that \
             `recv` put in the buffer, `&buf[..n]`"
        ),
        Some(line) => match line.strip_prefix("HELLO") {
            Some(rest) if rest.chars().all(|c| c == '\0') => bail!(
                "step 3: your client printed `HELLO` and then {} zero bytes, the rest of its \
                 buffer: print only the n bytes received, `&buf[..n]`",
                rest.len()
            ),
            _ => bail!(
                "step 3: your client printed `{}`, where udp-server's reply is `HELLO`",
                shown(line.as_bytes())
            ),
        },
        None if datagrams_logged(server) == before => bail!(
            "steps 1 and 2: udp-server received nothing from your client, which ended \
             ({}){}\nStep 1 binds a socket of your own to port 0 (`0.0.0.0:0`: the OS picks a \
             free port) and `connect`s it to the server's address; step 2 `send`s the line",
            check::describe(status),
            told(&client)
        ),
        None => bail!(
            "step 3: udp-server answered `hello`, but your client printed nothing and ended \
             ({}){}\nReceive the reply with `conn.recv(&mut buf)?` and print its n bytes",
            check::describe(status),
            told(&client)
        ),
    }
}

/// Steps 2 and 3 for each line typed: with no MESSAGE, `one two three` in, `ONE TWO THREE` out.
fn sends_each_line(program: &Program, addr: SocketAddr) -> Result<()> {
    let addr = addr.to_string();
    let mut client = Running::start(program, &[&addr], None)?;
    client.feed(b"one\ntwo\nthree\n")?;
    let status = client.wait_exit(STEP_TIMEOUT).map_err(|_| {
        anyhow!(
            "step 2: with no MESSAGE and the lines `one`, `two`, `three` as its input, your \
             client was still running after {} s{}\nRead each line of the input; the loop \
             ends when the input ends",
            STEP_TIMEOUT.as_secs(),
            told(&client)
        )
    })?;
    stopped_at_gap(&client, "your client", status)?;
    let status = check::describe(status);
    let stdout = client.stdout.snapshot();
    if stdout != ["ONE", "TWO", "THREE"] {
        bail!(
            "step 2: with no MESSAGE, your client sends each line of its input as one \
             datagram and prints each reply on a line of its own. For the lines `one`, `two`, \
             `three` it printed {stdout:?} and ended ({status}){}",
            told(&client)
        );
    }
    Ok(())
}

/// A server that receives and never answers: the client must give up, and say so in words
/// that name the server. Returns the silent address and what the client said.
fn gives_up_on_silence(program: &Program) -> Result<(SocketAddr, String)> {
    let silent = UdpSocket::bind("127.0.0.1:0").context("the check could not bind a socket")?;
    let addr = silent.local_addr()?;
    let addr_text = addr.to_string();
    let mut client = Running::start(program, &[&addr_text, "hello"], None)?;
    client.feed(b"")?;
    let Ok(status) = client.wait_exit(STEP_TIMEOUT) else {
        bail!(
            "step 3: your client sent `hello` to a server that never answers, and was still \
             waiting after {} s: UDP never reports a lost datagram or reply, so give every \
             wait a deadline (`conn.set_read_timeout(Some(TIMEOUT))?`) and let `recv` give up",
            STEP_TIMEOUT.as_secs()
        );
    };
    stopped_at_gap(&client, "your client", status)?;
    // Sent before the client ended, so it is already queued: a short wait is enough.
    silent.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = [0; 64];
    if !matches!(silent.recv_from(&mut buf), Ok((5, _)) if &buf[..5] == b"hello") {
        bail!(
            "step 2: your client ended ({}) without sending `hello` to {addr}{}",
            check::describe(status),
            told(&client)
        );
    }
    if status.success() {
        bail!(
            "step 3: no reply came from {addr}, yet your client ended with exit code 0, as if \
             all went well: a missing reply is a failure; return an error that says so"
        );
    }
    let said = error_text(&client);
    let words = ["reply", "answer", "respon", "lost", "time"];
    if !said.contains(&addr_text) || !mentions(&said, &words) {
        bail!(
            "step 3: your client gave up waiting (good), but its message {said:?} does not \
             name the server and say that no reply came. A bare \"Resource temporarily \
             unavailable\" is how Unix reports an expired read timeout (`ErrorKind::WouldBlock`; \
             Windows: `TimedOut`). Say it in words the user can act on, e.g. `no reply from \
             {addr} within 1 s`"
        );
    }
    Ok((addr, said))
}

/// A port where nothing is bound: the OS answers with an ICMP "port unreachable", which the
/// client's connected socket reports as "connection refused"; the client must say that
/// nothing listens there, not that a reply was lost.
fn explains_a_refusal(program: &Program, said_to_silence: &str, silent: SocketAddr) -> Result<()> {
    // A port that was free a moment ago: bind it, note it, let it go.
    let closed = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .context("the check could not find a free port")?;
    let closed_text = closed.to_string();
    let mut client = Running::start(program, &[&closed_text, "hello"], None)?;
    client.feed(b"")?;
    let Ok(status) = client.wait_exit(STEP_TIMEOUT) else {
        bail!(
            "step 3: nothing is bound to {closed}, yet your client was still running after {} s",
            STEP_TIMEOUT.as_secs()
        );
    };
    stopped_at_gap(&client, "your client", status)?;
    if status.success() {
        bail!(
            "step 3: nothing is bound to {closed}, yet your client ended with exit code 0: \
             return an error that says nothing is listening there"
        );
    }
    let said = error_text(&client);
    let same =
        said.replace(&closed_text, "ADDR") == said_to_silence.replace(&silent.to_string(), "ADDR");
    let words = [
        "listen",
        "nothing",
        "nobody",
        "no server",
        "not running",
        "unreachable",
        "start",
    ];
    if same || !said.contains(&closed_text) || !mentions(&said, &words) {
        let why = if same {
            " It said the same as to a server that never answers (a socket that is not \
             `connect`ed never hears of the ICMP message)."
        } else {
            ""
        };
        bail!(
            "step 3: nothing is bound to {closed}; the OS there said so at once with an ICMP \
             \"port unreachable\", which a connected socket reports as \
             `ErrorKind::ConnectionRefused` (Windows: `ConnectionReset`). Your client's message \
             {said:?} does not say that nothing is listening on {closed}.{why} Match that error \
             kind, e.g. `nothing is listening on {closed}: is the server running?`"
        );
    }
    Ok(())
}

/// Whether `text` contains any of `words`, ignoring case.
fn mentions(text: &str, words: &[&str]) -> bool {
    let text = text.to_lowercase();
    words.iter().any(|word| text.contains(word))
}
