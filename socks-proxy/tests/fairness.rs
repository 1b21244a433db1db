//! The caps on clients at once: one client address cannot take every place.

mod support;

use std::io::{ErrorKind, Read};
use std::net::{Ipv6Addr, SocketAddr, TcpStream};

use support::{HttpTarget, socks5_connect};
use testkit::{STEP_TIMEOUT, Server, connect};

/// Whether the proxy closed `stream` without a word (as it does over a cap).
fn closed(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    let mut byte = [0];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[test]
fn one_address_cannot_take_every_place() {
    if !testkit::ipv6_available() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    // A dual-stack listener gives the test two client addresses, 127.0.0.1 and ::1, both
    // loopback. The silent clients hold their places for the whole handshake deadline.
    let proxy = Server::start(
        "socks-proxy",
        &[
            "--listen",
            "[::]:0",
            "--allow-public",
            "--max-clients",
            "4",
            "--max-per-address",
            "2",
            "--handshake-timeout",
            "60",
        ],
    );
    let port = proxy.addr().port();
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    let _silent = [connect(v4), connect(v4)];
    let mut third = connect(v4);
    assert!(closed(&mut third), "a third client from 127.0.0.1 was kept");
    proxy.stdout.wait_for(
        "refused: already serving 2 clients from this address (--max-per-address)",
        STEP_TIMEOUT,
    );
    // Places are left for everyone else.
    let mut other = socks5_connect(v6, target.addr);
    std::io::Write::write_all(&mut other, b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut response = String::new();
    other.read_to_string(&mut response).expect("response");
    assert!(response.ends_with(support::BODY), "{response:?}");
}

#[test]
fn a_thousand_idle_clients_from_one_address_do_not_lock_a_newcomer_out_by_default() {
    const IDLE: usize = 1000;
    // The test holds a socket per idle client too: raise its own limit as the proxy does.
    let limit = socks_proxy::open_files::raise_soft_limit();
    if socks_proxy::open_files::default_max_per_address() <= IDLE || limit < 2 * IDLE as u64 + 64 {
        eprintln!("skipping: an open-files limit of {limit} is too low for {IDLE} idle clients");
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    // Only the handshake deadline is raised, so that the idle clients keep their places.
    let proxy = Server::start(
        "socks-proxy",
        &["--listen", "127.0.0.1:0", "--handshake-timeout", "60"],
    );
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| connect(proxy.addr())).collect();
    // The proxy accepts in order, so the newcomer is taken after every idle client.
    let mut newcomer = socks5_connect(proxy.addr(), target.addr);
    std::io::Write::write_all(&mut newcomer, b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut response = String::new();
    newcomer.read_to_string(&mut response).expect("response");
    assert!(response.ends_with(support::BODY), "{response:?}");
    let log = proxy.stdout.snapshot();
    assert!(!log.iter().any(|line| line.contains("refused")), "{log:?}");
    drop(idle);
}

#[cfg(unix)]
#[test]
fn proxy_raises_its_soft_open_files_limit_to_the_hard_one_and_says_its_caps() {
    // Started with a soft limit of 100, as if the shell had been given `ulimit -Sn 100`.
    let hard = socks_proxy::open_files::raise_soft_limit();
    let script = format!(
        "ulimit -Sn 100 && exec '{}' --listen 127.0.0.1:0",
        testkit::binary("socks-proxy").display()
    );
    let mut command = std::process::Command::new("sh");
    command.args(["-c", &script]);
    let proxy = Server::start_command(command);
    let cap = socks_proxy::open_files::default_max_clients();
    let share = socks_proxy::open_files::default_max_per_address();
    proxy.stdout.wait_for(
        &format!(
            "serving at most {cap} clients at once, {share} per address (--max-clients, \
             --max-per-address; open files allowed: {hard})"
        ),
        STEP_TIMEOUT,
    );
    // And --help says what the defaults are on this machine.
    let mut command = std::process::Command::new(testkit::binary("socks-proxy"));
    command.arg("--help").stdin(std::process::Stdio::null());
    let output = testkit::Running::spawn(&mut command).finish();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains(&format!("[default: {cap}]")), "{help}");
    assert!(help.contains(&format!("[default: {share}]")), "{help}");
    assert!(help.contains("open-files limit"), "{help}");
}
