//! Solutions for "SOCKS: a proxy for TCP and UDP" (crate `socks-proxy`).
//!
//! * Exercise 3: watch a half-close travel through the proxy. [`socks5_connect`] is the
//!   client side of a SOCKS5 CONNECT (no password), written with `read_exact` for every
//!   reply, since a reply may arrive in pieces. The test sends a line to the real
//!   `tcp-server` through the real `socks-proxy`, half-closes, and still gets the answer:
//!   the proxy passed the FIN on and kept the other direction open.
//! * Exercise 5: happy eyeballs (RFC 8305). [`connect_happy_eyeballs`] starts a connect to
//!   each address in turn, a fixed delay apart, without waiting for the earlier ones to give
//!   up, and keeps the first that succeeds. The test puts an address whose SYNs are dropped
//!   (a listener with a full accept queue) before one that answers, as a `localhost` whose
//!   `::1` is firewalled would be.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: connect
/// Opens a TCP connection to `target` through the SOCKS5 proxy at `proxy`.
pub fn socks5_connect(
    proxy: SocketAddr,
    target: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect_timeout(&proxy, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    let refused = |what: String| io::Error::new(ErrorKind::ConnectionRefused, what);

    // Greeting: version 5, one method offered, 0 = no authentication.
    stream.write_all(&[5, 1, 0])?;
    let mut choice = [0; 2];
    stream.read_exact(&mut choice)?;
    if choice != [5, 0] {
        return Err(refused(format!(
            "the proxy chose method {:#04x}",
            choice[1]
        )));
    }

    // Request: version 5, command 1 = CONNECT, reserved 0, then the address.
    let mut request = vec![5, 1, 0];
    match target {
        SocketAddr::V4(v4) => {
            request.push(1); // ATYP 1: four bytes of IPv4 address
            request.extend(v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            request.push(4); // ATYP 4: sixteen bytes of IPv6 address
            request.extend(v6.ip().octets());
        }
    }
    request.extend(target.port().to_be_bytes());
    stream.write_all(&request)?;

    // Reply: version, status, reserved, then the proxy's own end as ATYP + address + port.
    let mut head = [0; 4];
    stream.read_exact(&mut head)?;
    if head[1] != 0 {
        return Err(refused(format!(
            "the proxy answered status {:#04x}",
            head[1]
        )));
    }
    let address_len = match head[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut len = [0; 1];
            stream.read_exact(&mut len)?;
            usize::from(len[0])
        }
        other => {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("ATYP {other}"),
            ));
        }
    };
    let mut bound = vec![0; address_len + 2];
    stream.read_exact(&mut bound)?; // skipped: we do not need the proxy's end
    stream.set_read_timeout(None)?;
    Ok(stream) // From here on, bytes go to the target and back, untouched.
}
// ANCHOR_END: connect

// ANCHOR: happy_eyeballs
/// Connects to the first of `addrs` that answers: each attempt starts `stagger` after the
/// previous one, or at once when the previous one failed, and all of them share `timeout`.
/// The proxy's `connect` tries the addresses one after another instead, so one that drops
/// SYNs costs a client the whole connect timeout before the next address is tried.
pub fn connect_happy_eyeballs(
    addrs: &[SocketAddr],
    stagger: Duration,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let (results, finished) = mpsc::channel();
    let mut next = addrs.iter();
    let mut running = 0;
    let mut last_error = io::Error::new(ErrorKind::InvalidInput, "no address to connect to");
    let mut start_next = |running: &mut usize| {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(&addr) = next.next().filter(|_| !left.is_zero()) else {
            return false;
        };
        let results = results.clone();
        // An attempt that loses the race finishes on its own; its stream is dropped when
        // the send fails, because nobody listens on the channel any more.
        thread::spawn(move || {
            let _ = results.send(TcpStream::connect_timeout(&addr, left));
        });
        *running += 1;
        true
    };
    let mut more = start_next(&mut running);
    while running > 0 {
        let wait = if more {
            stagger
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match finished.recv_timeout(wait) {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) => {
                running -= 1;
                last_error = error;
                more = start_next(&mut running); // a failure starts the next one at once
            }
            Err(RecvTimeoutError::Timeout) if more => more = start_next(&mut running),
            Err(_) => {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "no address answered in time",
                ));
            }
        }
    }
    Err(last_error)
}
// ANCHOR_END: happy_eyeballs

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Shutdown;
    use testkit::{STEP_TIMEOUT, Server};

    // ANCHOR: test
    #[test]
    fn a_half_close_passes_through_the_proxy_and_the_answer_still_comes_back() {
        let target = Server::start("tcp-server", &["--listen", "127.0.0.1:0"]);
        let proxy = Server::start("socks-proxy", &["--listen", "127.0.0.1:0"]);
        let mut stream =
            socks5_connect(proxy.addr(), target.addr(), STEP_TIMEOUT).expect("CONNECT granted");
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .expect("timeout");
        stream
            .write_all(b"through the proxy\n")
            .expect("send a line");
        stream
            .shutdown(Shutdown::Write)
            .expect("our FIN, passed on to tcp-server");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("ends with tcp-server's FIN, passed back");
        assert_eq!(answer, "THROUGH THE PROXY\n");
        proxy.stdout.wait_for("both sides closed", STEP_TIMEOUT);
    }
    // ANCHOR_END: test

    #[test]
    fn a_refused_target_is_reported_with_the_proxys_status() {
        let proxy = Server::start("socks-proxy", &["--listen", "127.0.0.1:0"]);
        // A port that was free a moment ago: nothing listens there now.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let error = socks5_connect(proxy.addr(), closed, STEP_TIMEOUT).expect_err("refused");
        assert!(error.to_string().contains("status 0x05"), "{error}");
    }

    /// A listener whose accept queue is full: Linux drops every further SYN to it, so a
    /// connect there waits (and resends) instead of failing. The filler must stay alive.
    #[cfg(target_os = "linux")]
    fn silent_address() -> (socket2::Socket, TcpStream, SocketAddr) {
        use socket2::{Domain, Socket, Type};
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        listener.bind(&any_port.into()).expect("bind");
        listener.listen(0).expect("listen with backlog 0");
        let addr = listener
            .local_addr()
            .expect("address")
            .as_socket()
            .expect("an IP address");
        let filler = TcpStream::connect_timeout(&addr, STEP_TIMEOUT).expect("the one queued");
        (listener, filler, addr)
    }

    // ANCHOR: test_happy_eyeballs
    #[cfg(target_os = "linux")]
    #[test]
    fn happy_eyeballs_reaches_the_second_address_while_the_first_still_waits() {
        let (_silent, _filler, silent) = silent_address();
        let working = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let working_addr = working.local_addr().expect("address");
        let stagger = Duration::from_millis(250);

        let started = Instant::now();
        let stream = connect_happy_eyeballs(&[silent, working_addr], stagger, STEP_TIMEOUT)
            .expect("the second address answers");
        let took = started.elapsed();

        assert_eq!(stream.peer_addr().expect("peer"), working_addr);
        assert!(
            took >= stagger,
            "the second attempt waited its turn: {took:?}"
        );
        // One after the other, the silent address would have held us for all of
        // STEP_TIMEOUT: its SYN is resent after 1 s, 2 s, ... and always dropped.
        assert!(took < STEP_TIMEOUT / 2, "took {took:?}");
    }
    // ANCHOR_END: test_happy_eyeballs

    #[test]
    fn happy_eyeballs_starts_the_next_address_at_once_when_one_is_refused() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let working = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let working_addr = working.local_addr().expect("address");
        let stagger = STEP_TIMEOUT; // long: only a failure can start the second attempt early
        let started = Instant::now();
        let stream = connect_happy_eyeballs(&[closed, working_addr], stagger, STEP_TIMEOUT)
            .expect("the second address answers");
        assert_eq!(stream.peer_addr().expect("peer"), working_addr);
        assert!(started.elapsed() < stagger / 2, "{:?}", started.elapsed());
    }

    #[test]
    fn happy_eyeballs_reports_the_last_failure_when_every_address_refuses() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let error = connect_happy_eyeballs(&[closed], Duration::from_millis(250), STEP_TIMEOUT)
            .expect_err("nothing listens");
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
    }
}
