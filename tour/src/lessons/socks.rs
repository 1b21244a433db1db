//! A request through the SOCKS proxy: the tour speaks SOCKS5 to `socks-proxy`, byte by
//! byte, and asks it to connect to a `tcp-server`; then a line goes through both.
//!
//! The tour plays the client itself (a few `write_all`s on a `TcpStream`), so each message
//! of RFC 1928 is shown as the bytes that travel.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};

use anyhow::{Context, Result, bail, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::{Step, output};
use crate::process::{Process, STEP_TIMEOUT};

pub const LESSON: Lesson = Lesson {
    name: "socks",
    title: "A request through the SOCKS5 proxy to a TCP server",
    programs: &["socks-proxy", "tcp-server"],
    by_hand: &[
        ("terminal 1:", "cargo run -p tcp-server"),
        ("terminal 2:", "cargo run -p socks-proxy"),
        (
            "terminal 3:",
            "nc -X 5 -x 127.0.0.1:1080 127.0.0.1 8000    (type lines; Ctrl-D ends)",
        ),
    ],
    run,
};

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "A target server and the proxy listen",
        notes: "a SOCKS proxy connects to servers on behalf of its clients",
        rust: "TcpListener::bind(addr), twice: tcp-server (the target) and socks-proxy",
        expect: "tcp-server and socks-proxy each print `listening on ADDR`",
    })?;
    let (mut target, target_addr) =
        Process::start_server(session, "tcp-server", &["--listen", "127.0.0.1:0"])?;
    let (mut proxy, proxy_addr) =
        Process::start_server(session, "socks-proxy", &["--listen", "127.0.0.1:0"])?;
    let IpAddr::V4(target_ip) = target_addr.ip() else {
        bail!("tcp-server listens on {target_addr}, not an IPv4 address");
    };

    session.narrator.step(Step {
        title: "The client greets the proxy",
        notes: "SOCKS5 (RFC 1928): the version, and the ways to authenticate the client knows",
        rust: "stream.write_all(&[5, 1, 0]): version 5, one method, method 0 (none)",
        expect: "the proxy answers 05 00: version 5, method 0 chosen",
    })?;
    let mut stream = TcpStream::connect_timeout(&proxy_addr, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to the proxy at {proxy_addr}"))?;
    stream.set_read_timeout(Some(STEP_TIMEOUT))?;
    stream.set_write_timeout(Some(STEP_TIMEOUT))?;
    send(&mut stream, &[5, 1, 0])?;
    let choice = receive(&mut stream, 2)?;
    ensure!(choice == [5, 0], "the proxy answered {}", hex(&choice));
    session
        .narrator
        .saw("no password needed (start socks-proxy with --user to require one)");

    session.narrator.step(Step {
        title: "The client asks the proxy to CONNECT to the target",
        notes: "SOCKS4 and SOCKS5 both carry TCP: the CONNECT command",
        rust: "write_all(&[5, 1, 0, 1, ip.., port..]): CONNECT, IPv4 address, port",
        expect: "reply code 0 (granted); tcp-server sees a client: the proxy, not the tour",
    })?;
    let mut request = vec![5, 1, 0, 1];
    request.extend_from_slice(&target_ip.octets());
    request.extend_from_slice(&target_addr.port().to_be_bytes());
    send(&mut stream, &request)?;
    let reply = receive(&mut stream, 4)?;
    ensure!(
        reply[..2] == [5, 0],
        "the proxy answered {} (code {})",
        hex(&reply),
        reply[1]
    );
    // The reply ends with the address the proxy connects from: 4 or 16 bytes, then a port.
    let rest = match reply[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        other => bail!("the proxy's reply has address type {other}"),
    };
    let bound = receive(&mut stream, rest)?;
    let connected = target.wait_for_line(|line| line.contains(" connected ("))?;
    proxy.wait_for_line(|line| line.contains(" relaying"))?;
    let seen_from = connected.split(' ').next().unwrap_or_default();
    let ours: SocketAddr = stream.local_addr()?;
    ensure!(
        seen_from != ours.to_string(),
        "tcp-server saw the tour's own address {ours}"
    );
    let proxy_end = match bound[..] {
        [a, b, c, d, hi, lo] => format!("{}.{}.{}.{}:{}", a, b, c, d, u16::from_be_bytes([hi, lo])),
        _ => "an IPv6 address".to_owned(),
    };
    session.narrator.saw(format!(
        "granted; the reply ends with the proxy's own end, {proxy_end}, and that is the client \
         tcp-server sees: {seen_from}; the tour itself is {ours}"
    ));

    session.narrator.step(Step {
        title: "A line goes through the proxy and its reply comes back",
        notes: "after the request, the proxy only relays bytes, both ways",
        rust: "write_all(line) to the proxy; read the reply from the proxy",
        expect: "HELLO THROUGH THE PROXY comes back",
    })?;
    output("tour", false, "writes: hello through the proxy");
    stream.write_all(b"hello through the proxy\n")?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .read_line(&mut answer)
        .context("no reply through the proxy")?;
    let answer = answer.trim_end();
    output("tour", false, &format!("reads: {answer}"));
    ensure!(
        answer == "HELLO THROUGH THE PROXY",
        "the reply was {answer:?}"
    );
    session
        .narrator
        .saw("tcp-server answered as it answers anyone: it cannot tell there is a proxy");

    session.narrator.step(Step {
        title: "The client closes; the proxy passes the close on",
        notes: "the four-way teardown, relayed: FIN from the client, then from the server",
        rust: "stream.shutdown(Shutdown::Write); read returns 0 once the target closed too",
        expect: "tcp-server logs `disconnected` and the proxy logs `done` with the bytes relayed",
    })?;
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    (&stream)
        .read_to_end(&mut rest)
        .context("the proxy did not close its side")?;
    target.wait_for_line(|line| line.contains(" disconnected"))?;
    proxy.wait_for_line(|line| line.contains(" done"))?;
    session
        .narrator
        .saw("two TCP connections, one each side of the proxy, closed one after the other");
    Ok(())
}

/// Writes `bytes` to the proxy, showing them in hex.
fn send(stream: &mut TcpStream, bytes: &[u8]) -> Result<()> {
    output("tour", false, &format!("sends     {}", hex(bytes)));
    stream
        .write_all(bytes)
        .context("could not write to the proxy")
}

/// Reads exactly `len` bytes from the proxy, showing them in hex.
fn receive(stream: &mut TcpStream, len: usize) -> Result<Vec<u8>> {
    let mut bytes = vec![0; len];
    stream
        .read_exact(&mut bytes)
        .context("the proxy closed or went silent before answering")?;
    output("tour", false, &format!("receives  {}", hex(&bytes)));
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
