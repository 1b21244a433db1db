//! The real `udp-bench`, against the real `udp-server`: round trips are counted and timed,
//! each request gets its own reply, and the benchmark stays on loopback.

use std::net::UdpSocket;
use std::process::{Command, Stdio};

use testkit::{Running, Server};

const BENCH: &str = env!("CARGO_BIN_EXE_udp-bench");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn udp_bench(args: &[&str]) -> Command {
    let mut command = Command::new(BENCH);
    command.args(args).stdin(Stdio::null());
    command
}

#[test]
fn udp_bench_times_round_trips_with_each_socket_count_and_loses_none_on_loopback() {
    let server = Server::start("udp-server", &["--listen", "127.0.0.1:0", "--quiet"]);
    let addr = server.addr().to_string();
    let output = Running::spawn(&mut udp_bench(&[
        "--connect",
        &addr,
        "--round-trips",
        "200",
        "--sockets",
        "1,4",
        "--timeout-ms",
        "5000",
    ]))
    .finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(
        report.starts_with(&format!(
            "round trips to {addr}: 200 per measurement, 33-byte datagrams\n"
        )),
        "{report}"
    );
    // One line per socket count; with one request in flight per socket and a generous
    // timeout, every request on loopback gets its (upper-cased, numbered) reply.
    for sockets in ["   1 socket(s):", "   4 socket(s):"] {
        let line = report
            .lines()
            .find(|line| line.starts_with(sockets))
            .unwrap_or_else(|| panic!("no {sockets:?} line in {report}"));
        assert!(line.ends_with("lost 0 of 200"), "{line}");
        assert!(line.contains(" p50 ") && line.contains(" p99 "), "{line}");
    }
}

#[test]
fn udp_bench_says_how_to_start_the_server_when_nothing_listens() {
    let addr = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free loopback port"); // bound, then freed as the socket drops
    let output = Running::spawn(&mut udp_bench(&[
        "--connect",
        &addr.to_string(),
        "--round-trips",
        "10",
        "--sockets",
        "1",
    ]))
    .finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    if cfg!(target_os = "linux") {
        // Linux reports the ICMP "port unreachable" to the connected socket.
        assert!(
            stderr.contains(&format!("nothing is listening on {addr}")),
            "{stderr}"
        );
    }
    assert!(stderr.contains("udp-server"), "{stderr}");
}

#[test]
fn udp_bench_refuses_an_address_that_is_not_loopback() {
    // 0.0.0.0 is not loopback, but what is sent to it stays on this machine.
    let output = Running::spawn(&mut udp_bench(&["--connect", "0.0.0.0:9", "--sweep"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the experiment runs on loopback only"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}
