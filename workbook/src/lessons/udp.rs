//! The UDP lesson's exercises (chapter "UDP: a server and a client"): the notes' server and
//! client first, then one hardening each.
//!
//! A server is checked with raw UDP sockets of the check's own (the exact bytes of a reply,
//! the address it comes from, two clients at once) and with the real `udp-client`; a client
//! against the real `udp-server`, a socket that receives and never answers, and a port where
//! nothing is bound.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitStatus;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::{Exercise, Mistake, Program};

/// In the order of the chapter.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "udp-server-1",
        lesson: "UDP server",
        chapter: "udp.md",
        title: "the notes' server: resolve, bind, recv_from, send_to the sender upper-cased",
        hints: &[
            "Step 1: `text.to_socket_addrs()?` gives the addresses a name stands for; `.next()` is the first, an Option (`.context(\"...\")?`). Step 2: `UdpSocket::bind(addr)?`, then print `listening on` and `socket.local_addr()?`: with port 0, only the OS knows the port.",
            "Step 3: `let (n, peer) = socket.recv_from(&mut buf)?;` gives one datagram's length and its sender's address. There is no `accept`: every client's datagrams come to this one socket.",
            "Step 4: upper-case only the n bytes received, `String::from_utf8_lossy(&buf[..n]).to_uppercase()`, and `socket.send_to(reply.as_bytes(), peer)?` answers whoever sent this datagram. Never `connect` a server's UDP socket: the OS would shut out every other client.",
        ],
        mistakes: &[
            Mistake {
                name: "echo",
                caught_by: "did you upper-case it?",
            },
            Mistake {
                name: "connected",
                caught_by: "answer only its first client",
            },
        ],
        check: check_udp_server_1,
    },
    Exercise {
        name: "udp-server-2",
        lesson: "UDP server",
        chapter: "udp.md",
        title: "a buffer for the largest datagram, and a reply of the bytes received only",
        hints: &[
            "One `recv_from` delivers one datagram, whole or cut to fit your buffer: the OS throws the rest away and nothing tells you. Which size holds every datagram?",
            "IP's length field has 16 bits: no datagram is longer than 65,535 bytes, headers included. `vec![0; 65_535]` (an array would do, but 64 KiB is a lot for the stack).",
            "Step 4: the buffer holds 65,535 bytes, the datagram only n. Reply with `String::from_utf8_lossy(&buf[..n]).to_uppercase()` and `socket.send_to(reply.as_bytes(), peer)?`: the whole buffer would not even fit in one datagram.",
        ],
        mistakes: &[
            Mistake {
                name: "wholebuf",
                caught_by: "send only the n bytes received",
            },
            Mistake {
                name: "mtubuf",
                caught_by: "Size the buffer for the largest datagram",
            },
        ],
        check: check_udp_server_2,
    },
    Exercise {
        name: "udp-client-1",
        lesson: "UDP client",
        chapter: "udp.md",
        title: "the notes' client: bind port 0, connect, send each line, recv the reply, print it",
        hints: &[
            "Step 1: resolve `addr` with `to_socket_addrs()?` and `.next()`. Your socket's own address is not the server's: bind it to port 0, `\"0.0.0.0:0\"` (`\"[::]:0\"` for an IPv6 server: `server.is_ipv4()`), and the OS picks a free port.",
            "Still step 1: `conn.connect(server)?` sends nothing; it sets where `send` goes and which datagrams `recv` accepts. Step 2: `conn.send(line.as_bytes())?`: one call, one datagram.",
            "Step 3: `let n = conn.recv(&mut buf)?;` then write `&buf[..n]` and a newline to stdout (`io::stdout().write_all(..)?`), never the whole buffer.",
        ],
        mistakes: &[
            Mistake {
                name: "wholebuf",
                caught_by: "print only the n bytes received",
            },
            Mistake {
                name: "bindserver",
                caught_by: "binds a socket of your own to port 0",
            },
        ],
        check: check_udp_client_1,
    },
    Exercise {
        name: "udp-client-2",
        lesson: "UDP client",
        chapter: "udp.md",
        title: "a read timeout, so a lost reply ends the wait; clear words for no reply and for refused",
        hints: &[
            "Without a deadline, `recv` waits for a reply that may never come: UDP never reports a lost datagram. A socket can be told how long any read may wait: see `UdpSocket::set_read_timeout`.",
            "`conn.set_read_timeout(Some(TIMEOUT))?`. When it expires, `recv` fails with `ErrorKind::WouldBlock` on Unix, `ErrorKind::TimedOut` on Windows: that is `explain`'s first case, \"no reply from {server} within 1 s\".",
            "With nothing bound to the server's port, the OS there answers with an ICMP \"port unreachable\", and a connected socket gets it as `ErrorKind::ConnectionRefused` (Windows: `ConnectionReset`): the second case, \"nothing is listening on {server}\".",
            "`let message = match error.kind() { ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(\"no reply from {server} ...\"), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => format!(\"nothing is listening on {server} ...\"), _ => format!(\"...\") };` then `anyhow::Error::new(error).context(message)`.",
        ],
        mistakes: &[
            Mistake {
                name: "bare",
                caught_by: "does not name the server and say that no reply came",
            },
            Mistake {
                name: "forever",
                caught_by: "still waiting after",
            },
        ],
        check: check_udp_client_2,
    },
];

/// How long a check waits for one reply. Loopback answers in microseconds; this is for a
/// busy machine.
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The largest datagram over IPv4: 65,535 bytes less the IPv4 header (20) and UDP's (8).
const MAX_IPV4_PAYLOAD: usize = 65_507;

/// The notes' server: the exact reply to one datagram, the real client, two clients at once.
fn check_udp_server_1(program: &Program) -> Result<()> {
    let (mut server, addr) = start_student_server(program)?;
    answers_one_datagram(&mut server, addr)?;
    answers_the_real_client(&mut server, addr)?;
    serves_two_clients_at_once(addr)
}

/// As exercise 1, and the largest datagram comes back whole.
fn check_udp_server_2(program: &Program) -> Result<()> {
    let (mut server, addr) = start_student_server(program)?;
    answers_one_datagram(&mut server, addr)?;
    answers_the_largest_datagram(&mut server, addr)?;
    answers_the_real_client(&mut server, addr)?;
    serves_two_clients_at_once(addr)
}

/// The notes' client against the real `udp-server`: one message, then lines typed.
fn check_udp_client_1(program: &Program) -> Result<()> {
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
fn check_udp_client_2(program: &Program) -> Result<()> {
    let (mut server, addr) = start_partner_server("127.0.0.1:0")?;
    sends_one_message(program, &mut server, addr)?;
    drop(server);
    let (silent_addr, said_to_silence) = gives_up_on_silence(program)?;
    explains_a_refusal(program, &said_to_silence, silent_addr)
}

/// Starts the student's server on `127.0.0.1:0` and waits for its `listening on` line.
///
/// As `check::start_server`, in the UDP lesson's terms: the socket is bound in step 2.
fn start_student_server(program: &Program) -> Result<(Running, SocketAddr)> {
    check::start_server_at(program, &["127.0.0.1:0"], None, 2, "socket.local_addr()?")
}

/// Starts the real `udp-server` on `listen` and waits for its `listening on` line.
fn start_partner_server(listen: &str) -> Result<(Running, SocketAddr)> {
    check::start_server(&check::partner("udp-server")?, &["--listen", listen], None)
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

/// Bytes a peer sent, escaped and shortened for a message.
fn shown(bytes: &[u8]) -> String {
    const SHOWN: usize = 60;
    let text = bytes[..bytes.len().min(SHOWN)].escape_ascii().to_string();
    if bytes.len() > SHOWN {
        format!("{text}... ({} bytes)", bytes.len())
    } else {
        text
    }
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

/// Fails when `program` stopped at a `todo!()`: then that gap is all there is to say.
fn stopped_at_gap(program: &Running, who: &str, status: ExitStatus) -> Result<()> {
    let said = program.said();
    if said.contains("a gap you have not filled yet") {
        bail!("{who} ended ({}){said}", check::describe(status));
    }
    Ok(())
}

/// What a program said, for a message: the gap it stopped at, or its error.
fn told(program: &Running) -> String {
    let said = program.said();
    let error = error_text(program);
    if said.contains("a gap you have not filled yet") || error.is_empty() {
        said
    } else {
        format!(": it said `{error}`")
    }
}

/// A program's error on stderr, on one line, without the backtrace that `RUST_BACKTRACE=1`
/// adds to an error returned from `main` or to a panic.
fn error_text(program: &Running) -> String {
    let lines = program.stderr.snapshot();
    let error: Vec<&str> = lines
        .iter()
        .map(|line| line.trim())
        .take_while(|line| !line.to_lowercase().starts_with("stack backtrace:"))
        .filter(|line| !line.is_empty())
        .collect();
    error.join(" ")
}

/// Whether `text` contains any of `words`, ignoring case.
fn mentions(text: &str, words: &[&str]) -> bool {
    let text = text.to_lowercase();
    words.iter().any(|word| text.contains(word))
}
