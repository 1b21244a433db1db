//! What the proxy's end-to-end tests share: the proxy itself, targets the tests own (an
//! HTTP responder, a UDP echo), and real clients (curl, PySocks) run with bounded waits.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

#![allow(dead_code)] // Each test file uses its own part of these helpers.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use testkit::{Running, STEP_TIMEOUT, Server, connect, have_program};

/// The body every HTTP target answers with: a test that sees it got through.
pub const BODY: &str = "hello through the proxy\n";

/// The proxy on a free loopback port, with `extra` arguments.
pub fn proxy(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start("socks-proxy", &args)
}

/// A tiny HTTP server on loopback: answers every request with [`BODY`], counts requests.
#[derive(Debug)]
pub struct HttpTarget {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl HttpTarget {
    /// Listens on `ip`:0 (pass "127.0.0.1" or "::1").
    pub fn start(ip: &str) -> HttpTarget {
        let listener = TcpListener::bind((ip, 0)).expect("a free loopback port");
        let addr = listener.local_addr().expect("bound address");
        let requests = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&requests);
        // The thread ends with the test process; it only ever serves loopback clients.
        thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let count = Arc::clone(&count);
                thread::spawn(move || answer_http(stream, &count));
            }
        });
        HttpTarget { addr, requests }
    }

    /// The URL of this target, with `host` as the host part (an IP, or "localhost").
    pub fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/", self.addr.port())
    }

    /// How many requests reached this target.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn answer_http(mut stream: TcpStream, count: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(STEP_TIMEOUT));
    let mut request = Vec::new();
    let mut chunk = [0; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    count.fetch_add(1, Ordering::SeqCst);
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// A port on loopback where nothing listens: connecting to it is refused.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("bound address");
    drop(listener);
    addr
}

/// Whether curl is installed (CI installs it; locally the curl tests are skipped).
pub fn have_curl() -> bool {
    have_program("curl", &["--version"])
}

/// Runs curl with `args` and a time limit, and returns what it did.
pub fn curl(args: &[&str]) -> Output {
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--max-time", "8"])
        .args(args)
        .stdin(Stdio::null());
    Running::spawn(&mut command).finish()
}

/// curl's stdout and stderr as text, for assertions and failure messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Fetches `target` through the proxy with curl and checks that the body arrived.
pub fn assert_fetches(proxy: &Server, target: &HttpTarget) {
    let proxy = proxy.addr().to_string();
    let url = target.url("localhost");
    let output = curl(&["--socks5-hostname", &proxy, &url]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "curl failed: {stderr}");
    assert_eq!(stdout, BODY);
}

/// Checks that the proxy still serves a normal SOCKS5 client, with a socket of the test's
/// own (so the check works without curl too): CONNECT to `target`, one HTTP exchange.
pub fn assert_still_serves(proxy: &Server, target: &HttpTarget) {
    let mut stream = socks5_connect(proxy.addr(), target.addr);
    stream
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .expect("send a request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    assert!(response.ends_with(BODY), "got {response:?}");
}

/// Opens a SOCKS5 CONNECT to `target` through the proxy by hand, with no authentication.
pub fn socks5_connect(proxy: SocketAddr, target: SocketAddr) -> TcpStream {
    let mut stream = connect(proxy);
    stream.write_all(&[5, 1, 0]).expect("send the greeting");
    assert_eq!(
        read_exactly(&mut stream, 2),
        [5, 0],
        "no authentication chosen"
    );
    let mut request = vec![5, 1, 0];
    push_address(&mut request, target);
    stream.write_all(&request).expect("send the request");
    let reply = read_socks5_reply(&mut stream);
    assert_eq!(reply[1], 0, "CONNECT succeeded");
    stream
}

/// Appends ATYP, ADDR and PORT for an IP address, as RFC 1928 lays them out.
pub fn push_address(out: &mut Vec<u8>, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            out.push(1);
            out.extend_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            out.push(4);
            out.extend_from_slice(&v6.ip().octets());
        }
    }
    out.extend_from_slice(&addr.port().to_be_bytes());
}

/// Reads a whole SOCKS5 reply (its length depends on its address type).
pub fn read_socks5_reply(stream: &mut TcpStream) -> Vec<u8> {
    let mut reply = read_exactly(stream, 4);
    let rest = match reply[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        other => panic!("unexpected address type {other} in {reply:?}"),
    };
    reply.extend(read_exactly(stream, rest));
    reply
}

pub fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    stream
        .read_exact(&mut bytes)
        .unwrap_or_else(|e| panic!("expected {n} bytes: {e}"));
    bytes
}

/// Reads until the proxy closes; returns everything it sent. Fails on a reset: a reply
/// destroyed by RST is exactly what a careful close avoids.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("expected a clean close after {bytes:?}: {e}"));
    bytes
}

/// A UDP echo server the test owns: sends every datagram back, and remembers each one.
#[derive(Debug)]
pub struct UdpEcho {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl UdpEcho {
    pub fn start() -> UdpEcho {
        UdpEcho::start_on("127.0.0.1")
    }

    /// Listens on `ip`:0 (pass "127.0.0.1" or "::1").
    pub fn start_on(ip: &str) -> UdpEcho {
        let socket = UdpSocket::bind((ip, 0)).expect("a free loopback port");
        let addr = socket.local_addr().expect("bound address");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("can set a read timeout");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, done) = (Arc::clone(&received), Arc::clone(&stop));
        thread::spawn(move || {
            let mut buffer = vec![0; 65_536];
            while !done.load(Ordering::SeqCst) {
                if let Ok((n, from)) = socket.recv_from(&mut buffer) {
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(buffer[..n].to_vec());
                    let _ = socket.send_to(&buffer[..n], from);
                }
            }
        });
        UdpEcho {
            addr,
            received,
            stop,
        }
    }

    /// Every datagram received so far.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for UdpEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
