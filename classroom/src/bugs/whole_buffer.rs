//! Bug 2: echoing the whole buffer instead of the bytes that were read.
//!
//! `read` fills the start of the buffer and returns how many bytes it put there, `n`. The
//! rest of the buffer holds zeros, or worse, what an *earlier* message left behind: sending
//! `&buf` sends that garbage as if it were data.

use std::io::{self, Read, Write};

/// The buffer of both echo functions: small, so the test's messages show the stale bytes.
pub const BUFFER: usize = 16;

// ANCHOR: buggy
/// Echoes every byte received back to the sender, until the sender closes. (Find the bug.)
pub fn echo_buggy(mut reader: impl Read, mut writer: impl Write) -> io::Result<()> {
    let mut buf = [0; BUFFER];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(()); // The peer closed.
        }
        writer.write_all(&buf)?;
    }
}
// ANCHOR_END: buggy

// ANCHOR: fixed
/// Echoes every byte received back to the sender, until the sender closes.
pub fn echo_fixed(mut reader: impl Read, mut writer: impl Write) -> io::Result<()> {
    let mut buf = [0; BUFFER];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(()); // The peer closed.
        }
        writer.write_all(&buf[..n])?; // Only the `n` bytes this read delivered.
    }
}
// ANCHOR_END: fixed

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::thread;
    use std::time::Duration;

    type Echo = fn(&TcpStream, &TcpStream) -> io::Result<()>;

    /// Runs `echo` as a loopback server, sends each message and waits for its echo (as many
    /// bytes as the server sends back for it), and returns what came back for each.
    fn exchange(
        echo: Echo,
        messages: &[&[u8]],
        reply_len: impl Fn(&[u8]) -> usize,
    ) -> Vec<Vec<u8>> {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let addr = listener.local_addr().expect("bound address");
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept the client");
            echo(&stream, &stream)
        });
        let client = TcpStream::connect(addr).expect("connect on loopback");
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let mut replies = Vec::new();
        for message in messages {
            (&client).write_all(message).expect("send a message");
            // Waiting for the echo before the next message keeps them in separate reads.
            let mut reply = vec![0; reply_len(message)];
            (&client)
                .read_exact(&mut reply)
                .expect("the echo comes back");
            replies.push(reply);
        }
        client.shutdown(Shutdown::Write).expect("half-close");
        server
            .join()
            .expect("no panic")
            .expect("the echo ends cleanly");
        replies
    }

    // ANCHOR: test
    #[test]
    fn echoing_the_whole_buffer_sends_stale_bytes_of_an_earlier_message() {
        let messages: [&[u8]; 2] = [b"hello", b"x"];
        let buggy = exchange(|r, w| echo_buggy(r, w), &messages, |_| BUFFER);
        assert_eq!(
            buggy[0], b"hello\0\0\0\0\0\0\0\0\0\0\0",
            "11 zeros after the data"
        );
        assert_eq!(
            buggy[1], b"xello\0\0\0\0\0\0\0\0\0\0\0",
            "\"ello\" is left from \"hello\""
        );

        let fixed = exchange(|r, w| echo_fixed(r, w), &messages, <[u8]>::len);
        assert_eq!(fixed, [b"hello".to_vec(), b"x".to_vec()]);
    }
    // ANCHOR_END: test
}
