//! Solutions for "A TCP server and client" (crates `tcp-server` and `tcp-client`).
//!
//! * Exercise 2: the server replies with the number of bytes of each line
//!   ([`handle_counting`]), a copy of `tcp_server::handle` with one line changed.
//! * Exercise 4: the client that drops the whole stream when its input ends
//!   ([`send_then_close`]) against the one that half-closes ([`send_then_half_close`]).
//! * Exercise 3 (a bare `write`) is bug 1 of the "Spot the bug" page: [`crate::bugs::write_all`].

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use tcp_server::line::content;
use tcp_server::{Line, MAX_LINE, read_line};

// ANCHOR: counting
/// Serves one client: answers each line with its length in bytes, without the line ending.
///
/// `tcp_server::handle` with one change: the reply is the count instead of `shout(&line)`.
pub fn handle_counting(stream: &TcpStream, idle_timeout: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(idle_timeout))?;
    stream.set_write_timeout(Some(idle_timeout))?;
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    let mut line = Vec::with_capacity(256);
    loop {
        let reply = match read_line(&mut reader, &mut line)? {
            Line::End => return Ok(()),
            // The line without its ending, in bytes, not characters: "ß" is 2.
            Line::Complete | Line::Cut => format!("{}\n", content(&line).len()),
            Line::TooLong => format!("error: line longer than {MAX_LINE} bytes, skipped\n"),
        };
        writer.write_all(reply.as_bytes())?;
    }
}
// ANCHOR_END: counting

// ANCHOR: half_close
/// Sends `lines`, half-closes, and reads every reply until the server closes its side.
pub fn send_then_half_close(mut stream: &TcpStream, lines: &[&str]) -> io::Result<Vec<u8>> {
    for line in lines {
        stream.write_all(format!("{line}\n").as_bytes())?;
    }
    // FIN: "no more lines". Our reading direction stays open for the replies.
    stream.shutdown(Shutdown::Write)?;
    let mut replies = Vec::new();
    stream.read_to_end(&mut replies)?; // Ends when the server's FIN arrives.
    Ok(replies)
}
// ANCHOR_END: half_close

// ANCHOR: full_close
/// Sends `lines` and closes the whole socket at once, as a client does that drops its
/// stream when the input ends. Replies that come later hit a closed socket.
pub fn send_then_close(mut stream: TcpStream, lines: &[&str]) -> io::Result<()> {
    for line in lines {
        stream.write_all(format!("{line}\n").as_bytes())?;
    }
    drop(stream); // Both directions: replies still on their way are answered with RST.
    Ok(())
}
// ANCHOR_END: full_close

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread::{self, JoinHandle};

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// A loopback server for one client, running [`handle_counting`]; join it for the result.
    fn counting_server() -> (TcpStream, JoinHandle<io::Result<()>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let addr = listener.local_addr().expect("bound address");
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept()?;
            handle_counting(&stream, TIMEOUT)
        });
        let client = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect on loopback");
        client
            .set_read_timeout(Some(TIMEOUT))
            .expect("read timeout");
        (client, server)
    }

    #[test]
    fn the_counting_server_answers_each_line_with_its_length_in_bytes() {
        let (client, server) = counting_server();
        let lines = ["hello", "straße", "", "你好", "with CRLF\r"];
        let replies = send_then_half_close(&client, &lines).expect("a clean exchange");
        assert_eq!(String::from_utf8_lossy(&replies), "5\n7\n0\n6\n9\n");
        server
            .join()
            .expect("no panic")
            .expect("the server saw a clean close");
    }

    // ANCHOR: test_close
    #[test]
    fn a_half_close_gets_every_reply_and_a_full_close_gets_the_server_reset() {
        let lines = [
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        ];

        let (client, server) = counting_server();
        let replies = send_then_half_close(&client, &lines).expect("a clean exchange");
        assert_eq!(replies.iter().filter(|&&b| b == b'\n').count(), 10);
        server
            .join()
            .expect("no panic")
            .expect("read returned 0: a clean end");

        let (client, server) = counting_server();
        send_then_close(client, &lines).expect("sending works");
        let error = server
            .join()
            .expect("no panic")
            .expect_err("the client's RST");
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "the server's replies met a closed socket: {error}"
        );
    }
    // ANCHOR_END: test_close
}
