//! The notes' client (`examples/notes-tcp-client.rs`): it works with the real server and
//! with `nc -l`, and each weakness named in its comments happens here, beside the hardened
//! `tcp-client` handling the same server (the pattern of the classroom's spot-the-bug).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{ChildGuard, Running, STEP_TIMEOUT, Server, accept, have_program};

mod support;

use support::{netcat_listening, tcp_client, test_listener, text};

fn notes_client(addr: &str, message: Option<&str>) -> Command {
    let mut command = Command::new(testkit::example("tcp-client", "notes-tcp-client"));
    command.arg(addr).args(message);
    command.stdin(Stdio::null());
    command
}

/// Runs `command` with `input` on its stdin, in the background.
fn spawn_with_input(command: &mut Command, input: &'static [u8]) -> Running {
    command.stdin(Stdio::piped());
    let mut running = Running::spawn(command);
    let mut stdin = running.stdin().expect("stdin is piped");
    stdin.write_all(input).expect("write the input");
    drop(stdin); // the end of the input
    running
}

#[test]
fn notes_client_talks_to_the_real_server() {
    let server = Server::start("tcp-server", &["--listen", "127.0.0.1:0"]);
    let addr = server.addr().to_string();
    let output = Running::spawn(&mut notes_client(&addr, Some("hello, server"))).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"HELLO, SERVER\n");

    // With no MESSAGE, each line of stdin, one round trip each.
    let output = spawn_with_input(&mut notes_client(&addr, None), b"one\nstra\xc3\x9fe\n").finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "ONE\nSTRASSE\n");
}

#[test]
fn notes_client_talks_to_netcat_listening() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    // nc -l on port 0, its port printed on stderr (-v); its reply queued up front.
    let nc = netcat_listening(b"HI NOTES\n");
    let output = Running::spawn(&mut notes_client(&nc.addr, Some("hi netcat"))).finish();
    nc.stdout.wait_for("hi netcat", STEP_TIMEOUT);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"HI NOTES\n");
}

// ANCHOR: one_read
#[test]
fn notes_client_takes_one_read_as_the_whole_reply() {
    // A server that sends its reply to "hello" in two pieces, as TCP may deliver it.
    let (listener, addr) = test_listener();
    let notes = spawn_with_input(&mut notes_client(&addr, None), b"hello\nworld\n");
    let mut stream = BufReader::new(accept(&listener));
    let mut line = String::new();
    stream.read_line(&mut line).expect("the first line");
    assert_eq!(line, "hello\n");
    stream.get_mut().write_all(b"HEL").expect("the first piece");
    // The notes' client printed "HEL" as the whole reply and moved on to its next line...
    line.clear();
    stream.read_line(&mut line).expect("the second line");
    assert_eq!(line, "world\n");
    // ...so the rest of the first reply is taken for the reply to "world".
    stream
        .get_mut()
        .write_all(b"LO\n")
        .expect("the second piece");
    drop(stream);
    let output = notes.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        output.stdout, b"HELLO\n",
        "two lines sent, one reply printed"
    );

    // The hardened client reads until the server closes, however the bytes are cut.
    let (listener, addr) = test_listener();
    let hardened = spawn_with_input(&mut tcp_client(&addr, &[]), b"hello\nworld\n");
    let mut stream = accept(&listener);
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("both lines, then FIN");
    for piece in [&b"HEL"[..], b"LO\nWOR", b"LD\n"] {
        stream.write_all(piece).expect("a piece");
        thread::sleep(Duration::from_millis(20)); // separate pieces, separate reads
    }
    drop(stream);
    let output = hardened.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"HELLO\nWORLD\n");
}
// ANCHOR_END: one_read

#[test]
fn notes_client_waits_for_ever_for_a_silent_server() {
    let (listener, addr) = test_listener();
    let mut command = notes_client(&addr, Some("anyone?"));
    let mut notes = ChildGuard(command.stdout(Stdio::null()).spawn().expect("start"));
    let mut silent = BufReader::new(accept(&listener));
    let mut line = String::new();
    silent.read_line(&mut line).expect("the line");
    // We never answer. Twice the hardened client's --timeout below, it is still waiting.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        assert!(
            notes.0.try_wait().expect("can query").is_none(),
            "the notes' client gave up"
        );
        thread::sleep(Duration::from_millis(50));
    }
    drop(notes); // killed: it would have waited for ever

    let (listener, addr) = test_listener();
    let hardened = Running::spawn(&mut tcp_client(
        &addr,
        &["--message", "anyone?", "--timeout", "1"],
    ));
    let _silent = accept(&listener);
    let output = hardened.finish();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("no reply from 127.0.0.1:"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn notes_client_prints_a_servers_control_characters_raw() {
    // A hostile server: its reply recolours the terminal (ESC [ 3 1 m) and rings the bell.
    const HOSTILE: &[u8] = b"HI \x1b[31mRED\x07\n";
    let (listener, addr) = test_listener();
    let notes = Running::spawn(&mut notes_client(&addr, Some("hi")));
    let mut stream = BufReader::new(accept(&listener));
    let mut line = String::new();
    stream.read_line(&mut line).expect("the line");
    stream.get_mut().write_all(HOSTILE).expect("the reply");
    drop(stream);
    let output = notes.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        output.stdout, HOSTILE,
        "the escape bytes reach the terminal"
    );

    // The hardened client shows them escaped: readable, and obeyed by no terminal.
    let (listener, addr) = test_listener();
    let hardened = Running::spawn(&mut tcp_client(&addr, &["--message", "hi"]));
    let mut stream = accept(&listener);
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("the line, then FIN");
    stream.write_all(HOSTILE).expect("the reply");
    drop(stream);
    let output = hardened.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HI \\u{1b}[31mRED\\u{7}\n");
}
