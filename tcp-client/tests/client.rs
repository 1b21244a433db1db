//! The real `tcp-client` binary, against a listener owned by the test, against the real
//! `tcp-server`, and against `nc -l`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use testkit::{Running, STEP_TIMEOUT, Server, accept, binary, have_program};

mod support;

use support::{netcat_listening, tcp_client, test_listener, text};

#[test]
fn client_sends_each_message_then_half_closes_and_prints_the_replies() {
    let (listener, addr) = test_listener();
    let client = Running::spawn(&mut tcp_client(
        &addr,
        &["--message", "hello", "--message", "two words"],
    ));

    let mut stream = accept(&listener);
    // Reading to the end only finishes because the client half-closed (sent FIN).
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("the client's lines, then FIN");
    assert_eq!(received, b"hello\ntwo words\n");
    // The write half of our side is still open: the client keeps reading until we close.
    stream.write_all(b"REPLY ONE\nREPLY TWO\n").expect("answer");
    drop(stream);

    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"REPLY ONE\nREPLY TWO\n");
}

#[test]
fn client_sends_typed_lines_as_they_come() {
    let (listener, addr) = test_listener();
    let mut command = tcp_client(&addr, &[]);
    command.stdin(Stdio::piped());
    let mut client = Running::spawn(&mut command);
    let mut keyboard = client.stdin().expect("stdin is piped");
    let mut stream = BufReader::new(accept(&listener));

    // Each line typed is sent at once, before the input ends: an interactive session.
    for typed in ["first line\n", "second line\n"] {
        keyboard.write_all(typed.as_bytes()).expect("type a line");
        keyboard.flush().expect("flush");
        let mut line = String::new();
        stream.read_line(&mut line).expect("the typed line arrives");
        assert_eq!(line, typed);
        stream
            .get_mut()
            .write_all(line.to_uppercase().as_bytes())
            .expect("answer");
    }
    drop(keyboard); // Ctrl-D
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("FIN after the end of input");
    assert!(rest.is_empty());
    drop(stream);

    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"FIRST LINE\nSECOND LINE\n");
}

#[test]
fn real_client_and_real_server_talk() {
    let server = Server::start("tcp-server", &["--listen", "127.0.0.1:0"]);
    let output = Running::spawn(&mut tcp_client(
        &server.addr().to_string(),
        &["--message", "hello, server", "--message", "ünïcödé"],
    ))
    .finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HELLO, SERVER\nÜNÏCÖDÉ\n");
}

#[test]
fn piped_input_without_a_final_newline_is_sent_whole() {
    let server = Server::start("tcp-server", &["--listen", "127.0.0.1:0"]);
    let output = assert_cmd::Command::new(binary("tcp-client"))
        .args(["--connect", &server.addr().to_string()])
        .write_stdin("abc\nxyz")
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run the client");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"ABC\nXYZ\n");
}

#[test]
fn connection_refused_says_how_to_start_the_server() {
    let (listener, addr) = test_listener();
    drop(listener); // Now nothing listens on that port: the OS answers the SYN with RST.
    let output = Running::spawn(&mut tcp_client(&addr, &["--message", "hi"])).finish();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "connection refused by {addr}: nothing is listening there. Is tcp-server running? \
             Start it with `cargo run -p tcp-server -- --listen {addr}`"
        )),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_server_that_closes_early_is_reported() {
    let (listener, addr) = test_listener();
    let client = Running::spawn(&mut tcp_client(
        &addr,
        &["--message", "one", "--message", "two"],
    ));
    let mut stream = accept(&listener);
    let mut received = Vec::new();
    stream.read_to_end(&mut received).expect("both lines");
    stream.write_all(b"ONE\n").expect("answer only the first");
    drop(stream);

    let output = client.finish();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stdout, b"ONE\n", "what did arrive is still printed");
    assert!(
        text(&output.stderr).contains("closed the connection after answering 1 of 2 lines"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (listener, addr) = test_listener();
    let client = Running::spawn(&mut tcp_client(
        &addr,
        &["--message", "anyone?", "--timeout", "1"],
    ));
    let mut stream = accept(&listener);
    let mut received = Vec::new();
    stream.read_to_end(&mut received).expect("the line");
    let output = client.finish(); // We keep `stream` open and silent meanwhile.
    drop(stream);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("no reply from 127.0.0.1:"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_busy_server_is_reported_as_busy() {
    let server = Server::start(
        "tcp-server",
        &["--listen", "127.0.0.1:0", "--max-clients", "1"],
    );
    let _first = testkit::connect(server.addr());
    server.stdout.wait_for("connected", STEP_TIMEOUT);
    let output = Running::spawn(&mut tcp_client(
        &server.addr().to_string(),
        &["--message", "let me in"],
    ))
    .finish();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).starts_with("busy: "));
    assert!(
        text(&output.stderr).contains("is busy"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_malformed_address_is_a_clear_error() {
    let output = Running::spawn(&mut tcp_client("8000", &["--message", "x"])).finish();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("cannot use \"8000\" as a server address: give IP:PORT"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn client_talks_to_netcat_as_a_server() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    // nc -l on port 0 (see `netcat_listening`), its reply queued up front.
    let nc = netcat_listening(b"HI CLIENT\n");
    let output = Running::spawn(&mut tcp_client(&nc.addr, &["--message", "hi netcat"])).finish();
    nc.stdout.wait_for("hi netcat", STEP_TIMEOUT);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"HI CLIENT\n");
}

#[test]
fn a_server_that_stops_reading_is_reported() {
    // The test's listener never accepts: the kernel completes the handshake and queues the
    // connection, its receive buffer fills, and then the client's writes cannot go on.
    let (_listener, addr) = test_listener();
    let line = format!("{}\n", "x".repeat(1023));
    let input = line.repeat(32 * 1024); // 32 MiB: more than both kernels' buffers hold
    let output = assert_cmd::Command::new(binary("tcp-client"))
        .args(["--connect", &addr, "--timeout", "1"])
        .write_stdin(input)
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run the client");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the server at {addr} stopped reading what we send"
        )),
        "{stderr}"
    );
}

#[test]
fn an_interactive_client_is_told_when_the_server_hangs_up() {
    let server = Server::start(
        "tcp-server",
        &["--listen", "127.0.0.1:0", "--idle-timeout", "1"],
    );
    let addr = server.addr().to_string();
    let mut command = tcp_client(&addr, &[]);
    command.stdin(Stdio::piped());
    let mut client = Running::spawn(&mut command);
    // The person types nothing and keeps the input open; the server times out and closes.
    let keyboard = client.stdin().expect("stdin is piped");
    server.stdout.wait_for("timed out", STEP_TIMEOUT);
    let output = client.finish();
    drop(keyboard);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the server at {addr} closed the connection (it was stopped, or hung up after its --idle-timeout): \
             start it again with `cargo run -p tcp-server -- --listen {addr}`"
        )),
        "{stderr}"
    );
}
