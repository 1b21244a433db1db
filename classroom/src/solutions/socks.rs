//! Solutions for "SOCKS: a proxy for TCP and UDP" (crate `socks-proxy`).
//!
//! * Exercise 3: watch a half-close travel through the proxy. [`socks5_connect`] is the
//!   client side of a SOCKS5 CONNECT (no password), written with `read_exact` for every
//!   reply, since a reply may arrive in pieces. The test sends a line to the real
//!   `tcp-server` through the real `socks-proxy`, half-closes, and still gets the answer:
//!   the proxy passed the FIN on and kept the other direction open.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

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
}
