//! The real `socks-proxy` binary used by a real client that nobody here wrote: curl, with
//! each SOCKS version it speaks, fetching from an HTTP server the test runs on loopback.

mod support;

use support::{BODY, HttpTarget, assert_fetches, closed_port, curl, have_curl, proxy, text};
use testkit::{STEP_TIMEOUT, ipv6_available};

/// Fetches `url` through the proxy with one curl proxy option; returns (ok, body, error).
fn fetch(option: &str, proxy: &str, url: &str, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec![option, proxy];
    args.extend_from_slice(extra);
    args.push(url);
    let output = curl(&args);
    let (stdout, stderr) = text(&output);
    (output.status.success(), stdout, stderr)
}

#[test]
fn curl_fetches_through_socks4_socks4a_socks5_and_socks5_hostname() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let addr = proxy.addr().to_string();
    // With --socks4 and --socks5 curl resolves the name itself and sends an address; with
    // --socks4a and --socks5-hostname it sends the name, and the proxy resolves it.
    for option in ["--socks4", "--socks4a", "--socks5", "--socks5-hostname"] {
        let (ok, body, error) = fetch(option, &addr, &target.url("localhost"), &[]);
        assert!(ok, "curl {option} failed: {error}");
        assert_eq!(body, BODY, "curl {option}");
    }
    assert_eq!(target.requests(), 4);
    let log = proxy.stdout.snapshot().join("\n");
    assert!(log.contains("SOCKS4 CONNECT 127.0.0.1:"), "{log}");
    assert!(log.contains("SOCKS4a CONNECT localhost:"), "{log}");
    assert!(log.contains("SOCKS5 CONNECT localhost:"), "{log}");
    proxy.stdout.wait_for("both sides closed", STEP_TIMEOUT);
}

#[test]
fn socks5_reaches_an_ipv6_target_and_listens_on_ipv6() {
    if !have_curl() || !ipv6_available() {
        return;
    }
    let target = HttpTarget::start("::1");
    let proxy = support::proxy(&[]);
    let (ok, body, error) = fetch(
        "--socks5",
        &proxy.addr().to_string(),
        &target.url("[::1]"),
        &[],
    );
    assert!(ok, "{error}");
    assert_eq!(body, BODY);
    proxy.stdout.wait_for("SOCKS5 CONNECT [::1]:", STEP_TIMEOUT);

    let v6_proxy = testkit::Server::start("socks-proxy", &["--listen", "[::1]:0"]);
    let (ok, body, error) = fetch(
        "--socks5",
        &v6_proxy.addr().to_string(),
        &target.url("[::1]"),
        &[],
    );
    assert!(ok, "{error}");
    assert_eq!(body, BODY);
}

#[test]
fn curl_with_the_right_password_is_served_both_ways_of_giving_it() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--user", "alice:s3cret"]);
    let url = target.url("localhost");
    let (ok, body, error) = fetch(
        "--socks5-hostname",
        &proxy.addr().to_string(),
        &url,
        &["--proxy-user", "alice:s3cret"],
    );
    assert!(ok, "{error}");
    assert_eq!(body, BODY);
    let in_url = format!("socks5h://alice:s3cret@{}", proxy.addr());
    let (ok, body, error) = fetch("--proxy", &in_url, &url, &[]);
    assert!(ok, "{error}");
    assert_eq!(body, BODY);
}

/// A child process killed when the test ends, pass or fail.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn credentials_can_come_from_the_environment_instead_of_the_command_line() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let mut child = KillOnDrop(
        std::process::Command::new(testkit::binary("socks-proxy"))
            .args(["--listen", "127.0.0.1:0"])
            .env("SOCKS_PROXY_USER", "env-user:env-pass")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the proxy"),
    );
    let stdout = testkit::Lines::collect(child.0.stdout.take().expect("piped"));
    let line = stdout.wait_for(common::LISTENING_PREFIX, STEP_TIMEOUT);
    let addr = line
        .strip_prefix(common::LISTENING_PREFIX)
        .expect("the listening line")
        .to_owned();
    let url = target.url("127.0.0.1");
    let (ok, _, error) = fetch("--socks5", &addr, &url, &[]);
    assert!(!ok, "without credentials curl must be refused");
    assert!(
        error.contains("No authentication method was acceptable"),
        "{error}"
    );
    let (ok, body, error) = fetch(
        "--socks5",
        &addr,
        &url,
        &["--proxy-user", "env-user:env-pass"],
    );
    assert!(ok, "{error}");
    assert_eq!(body, BODY);
}

#[test]
fn a_wrong_password_is_refused_and_nothing_reaches_the_target() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--user", "alice:s3cret"]);
    let url = format!("socks5h://alice:guess@{}", proxy.addr());
    let (ok, body, error) = fetch("--proxy", &url, &target.url("localhost"), &[]);
    assert!(!ok);
    assert!(body.is_empty());
    assert!(error.contains("rejected"), "curl said: {error}");
    proxy
        .stdout
        .wait_for("authentication failed for user \"alice\"", STEP_TIMEOUT);
    assert_eq!(target.requests(), 0);
    // The password is never written to the log.
    assert!(!proxy.stdout.snapshot().join("\n").contains("guess"));
}

#[test]
fn a_password_is_required_even_when_the_client_offers_no_authentication() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--user", "alice:s3cret"]);
    let (ok, _, error) = fetch(
        "--socks5",
        &proxy.addr().to_string(),
        &target.url("127.0.0.1"),
        &[],
    );
    assert!(!ok);
    assert!(
        error.contains("No authentication method was acceptable"),
        "curl said: {error}"
    );
    proxy
        .stdout
        .wait_for("requires a user name and password", STEP_TIMEOUT);
    assert_eq!(target.requests(), 0);
}

#[test]
fn socks4_is_refused_when_a_password_is_required() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--user", "alice:s3cret"]);
    for option in ["--socks4", "--socks4a"] {
        let (ok, _, error) = fetch(
            option,
            &proxy.addr().to_string(),
            &target.url("localhost"),
            &[],
        );
        assert!(!ok, "{option} must be refused");
        assert!(error.contains("(91)"), "curl {option} said: {error}");
    }
    proxy.stdout.wait_for("SOCKS4 cannot send", STEP_TIMEOUT);
    assert_eq!(target.requests(), 0);
}

#[test]
fn a_refused_target_is_reported_as_connection_refused() {
    if !have_curl() {
        return;
    }
    let proxy = proxy(&[]);
    let url = format!("http://{}/", closed_port());
    let (ok, _, error) = fetch("--socks5", &proxy.addr().to_string(), &url, &[]);
    assert!(!ok);
    // curl prints the reply code in parentheses: 5 is "connection refused".
    assert!(error.contains("(5)"), "curl said: {error}");
    // SOCKS4 has only one failure code: 91.
    let (ok, _, error) = fetch("--socks4", &proxy.addr().to_string(), &url, &[]);
    assert!(!ok);
    assert!(error.contains("(91)"), "curl said: {error}");
    proxy.stdout.wait_for("connection refused", STEP_TIMEOUT);
}

#[test]
fn a_name_that_does_not_resolve_is_reported_as_host_unreachable() {
    if !have_curl() {
        return;
    }
    let proxy = proxy(&[]);
    let addr = proxy.addr().to_string();
    // `.invalid` never resolves (RFC 6761), and the proxy answers it without asking DNS:
    // nothing leaves the machine, with or without a network.
    let url = "http://no-such-host.invalid/";
    let (ok, _, error) = fetch("--socks5-hostname", &addr, url, &[]);
    assert!(!ok);
    // 4 is "host unreachable".
    assert!(error.contains("(4)"), "curl said: {error}");
    proxy.stdout.wait_for(
        "SOCKS5 CONNECT no-such-host.invalid:80 refused (HostUnreachable)",
        STEP_TIMEOUT,
    );
    // SOCKS4a: the same failure, with SOCKS4's one failure code.
    let (ok, _, error) = fetch("--socks4a", &addr, url, &[]);
    assert!(!ok);
    assert!(error.contains("(91)"), "curl said: {error}");
    proxy.stdout.wait_for(
        "SOCKS4a CONNECT no-such-host.invalid:80 rejected: cannot resolve",
        STEP_TIMEOUT,
    );
}

#[test]
fn the_proxy_will_not_connect_to_itself() {
    if !have_curl() {
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let url = format!("http://{}/", proxy.addr());
    let (ok, _, error) = fetch("--socks5", &proxy.addr().to_string(), &url, &[]);
    assert!(!ok);
    // 2 is "connection not allowed by ruleset".
    assert!(error.contains("(2)"), "curl said: {error}");
    proxy.stdout.wait_for("this proxy itself", STEP_TIMEOUT);
    assert_fetches(&proxy, &target);
}
