//! TCP echo: `tcp-server` answers each line that `tcp-client` sends, upper-cased.
//!
//! The client gets its lines through a pipe from the tour, one at a time, as if typed; so
//! each step below happens when it is announced: the handshake, one line and its reply,
//! the close. The notes' own pair (`notes-tcp-server`, `notes-tcp-client`, examples of the
//! two crates) is among the commands to run by hand.

use anyhow::{Result, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::Step;
use crate::process::Process;

pub const LESSON: Lesson = Lesson {
    name: "tcp",
    title: "TCP echo: tcp-server answers each line from tcp-client, upper-cased",
    programs: &["tcp-server", "tcp-client"],
    by_hand: &[
        (
            "terminal 1:",
            "cargo run -p tcp-server --example notes-tcp-server    (the notes' version)",
        ),
        (
            "terminal 2:",
            "cargo run -p tcp-client --example notes-tcp-client -- 127.0.0.1:8000 hello",
        ),
        ("terminal 1:", "cargo run -p tcp-server"),
        (
            "terminal 2:",
            "cargo run -p tcp-client    (type lines; Ctrl-D ends)",
        ),
    ],
    run,
};

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "The server listens",
        notes: "server step 1: net.Listen(\"tcp\", addr)",
        rust: "TcpListener::bind(addr)",
        expect: "tcp-server prints `listening on ADDR`",
    })?;
    let (mut server, addr) =
        Process::start_server(session, "tcp-server", &["--listen", "127.0.0.1:0"])?;
    session.narrator.saw(format!(
        "listening on port {}: port 0 asked the OS for any free port",
        addr.port()
    ));

    session.narrator.step(Step {
        title: "The client dials; the server accepts",
        notes: "client step 1: net.Dial(\"tcp\", addr); server steps 2-3: listener.Accept(), go handle(conn)",
        rust: "TcpStream::connect_timeout(&addr, timeout); listener.incoming(), thread::spawn",
        expect: "tcp-server logs `PEER connected`: the three-way handshake is done",
    })?;
    let mut client = Process::start(
        session,
        "tcp-client",
        &["--connect", &addr.to_string()],
        true,
    )?;
    let connected = server.wait_for_line(|line| line.contains(" connected ("))?;
    let peer = connected.split(' ').next().unwrap_or_default();
    session.narrator.saw(format!(
        "connected: the client's end is {peer}, a port its OS chose; the server gave it a thread"
    ));

    session.narrator.step(Step {
        title: "The client writes lines; the server reads each and writes the reply",
        notes: "client steps 2-3: conn.Write(line), conn.Read(buf); server steps 4-5: conn.Read(buf), conn.Write(reply)",
        rust: "write_all(line), read(&mut buf); server: read_until(b'\\n'), write_all(&reply)",
        expect: "tcp-client prints HELLO, TCP and then STRASSE 你好, one reply per line",
    })?;
    for (line, reply) in [
        ("hello, tcp", "HELLO, TCP"),
        ("straße 你好", "STRASSE 你好"),
    ] {
        client.send_line(line)?;
        client.wait_for_line(|printed| printed == reply)?;
    }
    session.narrator.saw(
        "each reply came back as soon as its line was sent; 'ß' became 'SS' (Unicode upper case)",
    );

    session.narrator.step(Step {
        title: "The client closes; the server reads 0 and closes too",
        notes: "client step 4: conn.Close(); server step 6: conn.Read returns io.EOF, conn.Close()",
        rust: "stream.shutdown(Shutdown::Write) at the end of input; server: read returns Ok(0)",
        expect: "tcp-client exits with status 0; tcp-server logs `disconnected: the peer closed`",
    })?;
    crate::narrator::output("tour", false, "ends tcp-client's input (Ctrl-D)");
    let status = client.finish()?;
    ensure!(status.success(), "tcp-client exited with {status}");
    let disconnected = server.wait_for_line(|line| line.contains(" disconnected"))?;
    ensure!(
        disconnected.contains("peer closed"),
        "the server's log says {disconnected:?}"
    );
    session
        .narrator
        .saw("the client sent FIN, read the last replies, exited 0; the server's read returned 0");
    Ok(())
}
