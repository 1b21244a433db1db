//! UDP echo and one-socket concurrency: `udp-server` answers two `udp-client`s at once
//! from one socket and one thread.
//!
//! Two clients take turns sending, each through a pipe from the tour, so the server's log
//! shows the datagrams of both interleaved, each answered to the address it came from.

use anyhow::{Result, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::{Step, output};
use crate::process::Process;

pub const LESSON: Lesson = Lesson {
    name: "udp",
    title: "UDP echo, and one socket serving two clients at once",
    programs: &["udp-server", "udp-client"],
    by_hand: &[
        ("terminal 1:", "cargo run -p udp-server"),
        (
            "terminal 2:",
            "cargo run -p udp-client    (type lines; Ctrl-D ends; open a third for a second client)",
        ),
    ],
    run,
};

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "The server resolves its address and binds one socket",
        notes: "server steps 1-2: net.ResolveUDPAddr(\"udp\", addr), net.ListenUDP(\"udp\", addr)",
        rust: "addr.to_socket_addrs(), UdpSocket::bind(addr)",
        expect: "udp-server prints `listening on ADDR`",
    })?;
    let (mut server, addr) =
        Process::start_server(session, "udp-server", &["--listen", "127.0.0.1:0"])?;
    let addr = addr.to_string();
    session
        .narrator
        .saw("bound: no listen, no accept; UDP has no connections to set up");

    session.narrator.step(Step {
        title: "Client A sends a datagram; the server replies to the address it came from",
        notes: "client steps 1-2: net.Dial(\"udp\", addr), conn.Write(msg); \
                server steps 3-4: conn.ReadFromUDP(buf), conn.WriteToUDP(reply, peer)",
        rust: "UdpSocket::bind(any port), socket.connect(addr), socket.send(msg); server: \
               recv_from(&mut buf), send_to(&reply, peer)",
        expect: "client A prints ONE FROM A; the server logs A's address",
    })?;
    let mut client_a = Process::start_as(
        session,
        "udp-client",
        "client A",
        &["--connect", &addr],
        true,
    )?;
    let first = exchange(&mut client_a, &mut server, "one from a", "ONE FROM A")?;
    let peer_a = peer_of(&first).to_owned();
    session.narrator.saw(format!(
        "recv_from gave the datagram and its sender, {peer_a}: that address is all the server knows of A"
    ));

    session.narrator.step(Step {
        title: "Client B joins while A is still running: one socket serves both",
        notes: "\"a UDP server is concurrent by default\": no goroutine per client",
        rust: "the same loop: each recv_from says whose datagram it is",
        expect: "A and B each get only their own replies, and the server logs two client addresses",
    })?;
    let mut client_b = Process::start_as(
        session,
        "udp-client",
        "client B",
        &["--connect", &addr],
        true,
    )?;
    exchange(&mut client_b, &mut server, "one from b", "ONE FROM B")?;
    exchange(&mut client_a, &mut server, "two from a", "TWO FROM A")?;
    exchange(&mut client_b, &mut server, "two from b", "TWO FROM B")?;
    let peers: Vec<&str> = server
        .lines_containing(": received")
        .into_iter()
        .map(peer_of)
        .collect();
    let peer_b = peers.iter().find(|peer| **peer != peer_a).copied();
    ensure!(
        peers.len() == 4 && peer_b.is_some(),
        "the server logged these senders: {peers:?}"
    );
    client_a.drain();
    client_b.drain();
    ensure!(
        client_a.lines_containing("FROM B").is_empty()
            && client_b.lines_containing("FROM A").is_empty(),
        "a client printed a reply meant for the other one"
    );
    session.narrator.saw(format!(
        "one thread, one socket, answered {peer_a} and {} in turn; each client got only its \
         own replies, because each reply goes to the address its datagram came from",
        peer_b.unwrap_or_default()
    ));

    session.narrator.step(Step {
        title: "The clients close: nothing is sent",
        notes: "client: conn.Close()",
        rust: "the socket is dropped; UDP has no FIN",
        expect: "both clients exit with status 0; the server logs nothing about it",
    })?;
    for (name, client) in [("client A", &mut client_a), ("client B", &mut client_b)] {
        output("tour", false, &format!("ends {name}'s input (Ctrl-D)"));
        let status = client.finish()?;
        ensure!(status.success(), "{name} exited with {status}");
    }
    server.drain();
    ensure!(
        server.printed().len() == 5,
        "the server printed more than its listening line and four datagrams"
    );
    session.narrator.saw(
        "the server is still waiting for datagrams: there was no connection, so nothing to end",
    );
    Ok(())
}

/// Types `line` into `client`, waits for it to print `reply`, and returns the server's log
/// line about the datagram.
fn exchange(client: &mut Process, server: &mut Process, line: &str, reply: &str) -> Result<String> {
    client.send_line(line)?;
    client.wait_for_line(|printed| printed == reply)?;
    server.wait_for_line(|logged| logged.contains(": received"))
}

/// The sender's address at the start of a server log line: `127.0.0.1:43166: received ...`.
fn peer_of(line: &str) -> &str {
    line.split(": received").next().unwrap_or_default()
}
