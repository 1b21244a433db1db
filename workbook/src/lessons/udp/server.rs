//! The checks of the UDP lesson's server exercises: raw UDP sockets of the check's own send
//! to the student's server (one datagram, the largest, two clients at once) and see the exact
//! bytes and sender of each reply; then the real `udp-client`.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use super::{error_text, shown, stopped_at_gap, told};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::Program;

/// How long a check waits for one reply. Loopback answers in microseconds; this is for a
/// busy machine.
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The largest datagram over IPv4: 65,535 bytes less the IPv4 header (20) and UDP's (8).
const MAX_IPV4_PAYLOAD: usize = 65_507;

/// The notes' server: the exact reply to one datagram, the real client, two clients at once.
pub(super) fn check_udp_server_1(program: &Program) -> Result<()> {
    let (mut server, addr) = start_student_server(program)?;
    answers_one_datagram(&mut server, addr)?;
    answers_the_real_client(&mut server, addr)?;
    serves_two_clients_at_once(addr)
}

/// As exercise 1, and the largest datagram comes back whole.
pub(super) fn check_udp_server_2(program: &Program) -> Result<()> {
    let (mut server, addr) = start_student_server(program)?;
    answers_one_datagram(&mut server, addr)?;
    answers_the_largest_datagram(&mut server, addr)?;
    answers_the_real_client(&mut server, addr)?;
    serves_two_clients_at_once(addr)
}

/// Starts the student's server on `127.0.0.1:0` and waits for its `listening on` line.
///
/// As `check::start_server`, in the UDP lesson's terms: the socket is bound in step 2.
fn start_student_server(program: &Program) -> Result<(Running, SocketAddr)> {
    check::start_server_at(program, &["127.0.0.1:0"], None, 2, "socket.local_addr()?")
}

/// A UDP socket of the check's own on IPv4 loopback, whose `recv` gives up after
/// [`REPLY_WAIT`].
fn raw_client() -> Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0").context("the check could not bind a socket")?;
    socket.set_read_timeout(Some(REPLY_WAIT))?;
    Ok(socket)
}

/// The next datagram on `socket` and its sender, or `None` when none comes in time.
fn receive(socket: &UdpSocket) -> Result<Option<(Vec<u8>, SocketAddr)>> {
    let mut buf = vec![0; 65_536];
    match socket.recv_from(&mut buf) {
        Ok((n, from)) => {
            buf.truncate(n);
            Ok(Some((buf, from)))
        }
        // A timeout (WouldBlock on Unix, TimedOut on Windows), or Windows reporting that
        // the server's port is closed: either way, no reply.
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::WouldBlock
                    | ErrorKind::TimedOut
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionRefused
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error).context("the check could not receive a reply"),
    }
}

/// Why the student's server sent no reply to `what`: it ended (how, and what it said), or it
/// is running and silent.
fn no_reply(server: &mut Running, what: &str) -> anyhow::Error {
    match server.wait_exit(Duration::from_millis(200)) {
        Ok(status) => {
            if let Err(error) = stopped_at_gap(server, "your server", status) {
                return error;
            }
            let said = told(server);
            let stderr = error_text(server);
            // "Message too long" (Unix), "...larger than the internal message buffer" (Windows).
            if stderr.contains("too long") || stderr.contains("larger than") {
                anyhow!(
                    "step 4: your server ended ({}) when it answered {what}: its reply was too \
                     long for one datagram{said}\nDid you reply with the whole buffer? A datagram \
                     is the n bytes received: send only the n bytes received, `&buf[..n]`",
                    check::describe(status)
                )
            } else {
                anyhow!(
                    "steps 3 and 4: your server ended ({}) when {what} came, without a reply{said}",
                    check::describe(status)
                )
            }
        }
        Err(_) => anyhow!(
            "steps 3 and 4: {what} got no reply within {} s{}\nDoes step 3 `recv_from` into \
             the buffer, and step 4 `send_to` the address `recv_from` gave?",
            REPLY_WAIT.as_secs(),
            told(server)
        ),
    }
}

/// Checks the reply to `sent`: its upper-case form, byte for byte.
fn judge_reply(sent: &str, reply: &[u8]) -> Result<()> {
    let want = sent.to_uppercase();
    if reply == want.as_bytes() {
        return Ok(());
    }
    if reply == sent.as_bytes() {
        bail!(
            "step 4: the reply to `{sent}` was `{sent}`: did you upper-case it? \
             (`String::from_utf8_lossy(&buf[..n]).to_uppercase()`)"
        );
    }
    if let Some(rest) = reply.strip_prefix(want.as_bytes())
        && rest.iter().all(|&byte| byte == 0)
    {
        bail!(
            "step 4: the reply to `{sent}` was {} bytes: `{want}` and then {} zero bytes, the \
             rest of your buffer. A datagram is only the n bytes `recv_from` received: send \
             only the n bytes received, `&buf[..n]`",
            reply.len(),
            rest.len()
        );
    }
    bail!(
        "step 4: the reply to `{sent}` was `{}`, not `{want}`",
        shown(reply)
    )
}

/// Steps 3 and 4 with a socket of the check's own: `hello` comes back as `HELLO`, exactly,
/// from the address it was sent to.
fn answers_one_datagram(server: &mut Running, addr: SocketAddr) -> Result<()> {
    let socket = raw_client()?;
    socket
        .send_to(b"hello", addr)
        .context("the check could not send `hello`")?;
    let Some((reply, from)) = receive(&socket)? else {
        return Err(no_reply(server, "the datagram `hello`"));
    };
    if from != addr {
        bail!(
            "step 4: the reply to `hello` came from {from}, not from {addr}, where it was sent: \
             a client that `connect`ed to your server drops it. Reply from the socket that \
             received the datagram (`socket.send_to(reply.as_bytes(), peer)`)"
        );
    }
    judge_reply("hello", &reply)
}

/// Step 3 with the largest datagram IPv4 carries: it must come back whole.
fn answers_the_largest_datagram(server: &mut Running, addr: SocketAddr) -> Result<()> {
    let socket = raw_client()?;
    let sent = vec![b'a'; MAX_IPV4_PAYLOAD];
    socket
        .send_to(&sent, addr)
        .context("the check could not send a datagram of 65,507 bytes")?;
    let Some((reply, _)) = receive(&socket)? else {
        return Err(no_reply(
            server,
            "a datagram of 65,507 bytes (the largest over IPv4)",
        ));
    };
    let all_upper = reply.iter().all(|&byte| byte == b'A');
    if all_upper && reply.len() == sent.len() {
        return Ok(());
    }
    if all_upper && reply.len() < sent.len() {
        bail!(
            "step 3: a datagram of {} letters `a` came back as {} letters `A`: the OS cut it \
             to fit your buffer of {} bytes and threw the rest away, without a word. Size the \
             buffer for the largest datagram: 65,535 bytes",
            sent.len(),
            reply.len(),
            reply.len()
        );
    }
    bail!(
        "step 4: the reply to a datagram of {} letters `a` was {} bytes, not {} letters `A`: \
         `{}`",
        sent.len(),
        reply.len(),
        sent.len(),
        shown(&reply)
    )
}

/// Steps 3 and 4 with the real `udp-client`: `hello`, and its reply.
fn answers_the_real_client(server: &mut Running, addr: SocketAddr) -> Result<()> {
    let client = check::partner("udp-client")?;
    let addr = addr.to_string();
    let timeout = REPLY_WAIT.as_secs().to_string();
    let (status, stdout, stderr) = check::run_to_end(
        &client,
        &[
            "--connect",
            &addr,
            "--message",
            "hello",
            "--timeout",
            &timeout,
        ],
        b"",
        STEP_TIMEOUT,
    )?;
    if let Some(line) = stdout.first() {
        return judge_reply("hello", line.as_bytes());
    }
    if server.wait_exit(Duration::from_millis(200)).is_ok() {
        return Err(no_reply(server, "udp-client's `hello`"));
    }
    bail!(
        "step 4: udp-client sent `hello` and got no reply, though the check's own first \
         datagram had its reply: does your server answer only its first client (a `connect` \
         to it, or its address kept)? One socket serves every client: `recv_from` each \
         datagram and `send_to` its sender\nudp-client ended ({}) and said: {}",
        check::describe(status),
        stderr.join(" ")
    )
}

/// "A UDP server is concurrent by default": two clients send at once, and each gets its
/// own reply from the one socket.
fn serves_two_clients_at_once(addr: SocketAddr) -> Result<()> {
    let a = raw_client()?;
    let b = raw_client()?;
    a.send_to(b"from a", addr)
        .context("the check could not send")?;
    b.send_to(b"from b", addr)
        .context("the check could not send")?;
    let (reply_a, reply_b) = (receive(&a)?, receive(&b)?);
    let (Some((reply_a, _)), Some((reply_b, _))) = (reply_a, reply_b) else {
        bail!(
            "step 4: two clients sent a datagram each, at once, and one of them got no reply \
             within {} s: does your server answer only its first client (a `connect` to it, \
             or its address kept)? One socket serves every client: `recv_from` each datagram \
             and `send_to` its sender",
            REPLY_WAIT.as_secs()
        );
    };
    if reply_a == b"FROM B" || reply_b == b"FROM A" {
        bail!(
            "step 4: of two clients sending at once, one got the reply meant for the other: \
             send each reply to the address `recv_from` gave with that datagram"
        );
    }
    judge_reply("from a", &reply_a)?;
    judge_reply("from b", &reply_b)
}
