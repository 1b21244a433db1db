//! The proxy's reach: a client on another machine must not get through the proxy to this
//! machine or the networks behind it (server-side request forgery). Tests may not send
//! anything beyond loopback, so a hidden test-only flag makes the proxy treat its loopback
//! clients as remote; the rules themselves are unit-tested in `src/reach.rs`.

mod support;

use std::io::Write;

use support::{HttpTarget, assert_still_serves, push_address, read_exactly, read_to_close};
use testkit::{STEP_TIMEOUT, Server, connect};

fn remote_proxy(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0", "--treat-loopback-as-remote"];
    args.extend_from_slice(extra);
    Server::start("socks-proxy", &args)
}

#[test]
fn a_remote_client_is_refused_this_machine_with_0x02_and_0x5b() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = remote_proxy(&[]);
    // SOCKS5, by address and by a name that resolves to loopback.
    let by_name = {
        let mut request = vec![5, 1, 0, 3, 9];
        request.extend_from_slice(b"localhost");
        request.extend_from_slice(&target.addr.port().to_be_bytes());
        request
    };
    let by_address = {
        let mut request = vec![5, 1, 0];
        push_address(&mut request, target.addr);
        request
    };
    for request in [by_address, by_name] {
        let mut stream = connect(proxy.addr());
        stream.write_all(&[5, 1, 0]).expect("greeting");
        assert_eq!(read_exactly(&mut stream, 2), [5, 0]);
        stream.write_all(&request).expect("CONNECT");
        assert_eq!(read_to_close(&mut stream), [5, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
    }
    // SOCKS4.
    let mut stream = connect(proxy.addr());
    let mut request = vec![4, 1];
    request.extend_from_slice(&target.addr.port().to_be_bytes());
    request.extend_from_slice(&[127, 0, 0, 1, 0]);
    stream.write_all(&request).expect("CONNECT");
    assert_eq!(read_to_close(&mut stream)[..2], [0, 0x5B]);
    proxy.stdout.wait_for(
        "loopback services of the proxy's machine are not for remote clients",
        STEP_TIMEOUT,
    );
    proxy
        .stdout
        .wait_for("SOCKS5 CONNECT localhost:", STEP_TIMEOUT);
    assert_eq!(target.requests(), 0, "nothing reached the target");
}

#[test]
fn allow_range_lets_a_remote_client_reach_that_range() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = remote_proxy(&["--allow-range", "127.0.0.0/8"]);
    assert_still_serves(&proxy, &target);
    assert_eq!(target.requests(), 1);
}

#[test]
fn the_test_only_flag_is_not_in_help() {
    let mut command = std::process::Command::new(testkit::binary("socks-proxy"));
    command.arg("--help").stdin(std::process::Stdio::null());
    let output = testkit::Running::spawn(&mut command).finish();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--allow-range"), "{help}");
    assert!(!help.contains("treat-loopback"), "{help}");
}
