//! Step 8 for TCP: copying bytes both ways between the client and the target until both
//! have finished, passing each half-close on (with `splice` on Linux, so the bytes never
//! enter the process).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
#[cfg(target_os = "linux")]
use nix::{
    errno::Errno,
    fcntl::{OFlag, SpliceFFlags, splice},
    unistd::pipe2,
};

/// How many bytes one step of the relay may move: one `read`, or on Linux one `splice`
/// into a pipe (whose default capacity is also 64 KiB). Large buffers mean fewer system
/// calls per megabyte, but on loopback 16, 64 and 256 KiB measured the same within noise
/// (`socks-bench`), and so did a 256 KiB or 1 MiB pipe.
pub const RELAY_BUFFER: usize = 64 * 1024;

// ANCHOR: relay
/// Copies bytes both ways until both directions are finished; returns a summary.
///
/// A TCP connection is two independent byte streams, so each direction is copied on its
/// own thread. When one side finishes sending (its FIN: `read` returns 0) the proxy passes
/// that on with `shutdown(Write)` and keeps the other direction flowing: many protocols
/// send a whole request, half-close, and then read the whole answer.
pub(crate) fn relay(
    client: &TcpStream,
    target: &TcpStream,
    early: &[u8],
    idle: Duration,
) -> Result<String> {
    for stream in [client, target] {
        stream.set_read_timeout(Some(idle))?;
        stream.set_write_timeout(Some(idle))?;
    }
    (&*target)
        .write_all(early)
        .context("could not pass the client's first bytes on")?;
    let (mut up_buffer, mut down_buffer) = (RelayBuffer::new(), RelayBuffer::new());
    let activity = Activity::new();
    let (up, down) = thread::scope(|scope| {
        let download = thread::Builder::new()
            .name("relay: target to client".to_owned())
            .spawn_scoped(scope, || {
                copy_one_way(target, client, &mut down_buffer, &activity, idle)
            })?;
        let up = copy_one_way(client, target, &mut up_buffer, &activity, idle);
        let down = download
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("relay thread panicked")));
        io::Result::Ok((up, down))
    })
    .context("could not start the relay's second thread")?;
    let up = up.map_err(|e| anyhow!("client to target: {}", why_relay_ended(&e, idle)))?
        + early.len() as u64;
    let down = down.map_err(|e| anyhow!("target to client: {}", why_relay_ended(&e, idle)))?;
    Ok(format!(
        "relayed {up} bytes up, {down} bytes down; both sides closed"
    ))
}

/// Copies `from` to `to` until `from` finishes, then half-closes `to`.
pub(crate) fn copy_one_way(
    from: &TcpStream,
    to: &TcpStream,
    buffer: &mut RelayBuffer,
    activity: &Activity,
    idle: Duration,
) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let n = match buffer.fill_from(from) {
            Ok(0) => break, // `from` sent FIN: nothing more will come this way.
            Ok(n) => n,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            // Silence this way is fine while the other way is busy (a long download
            // after a short request); the relay is idle only when both ways are. Wait
            // again only for what is left of the idle time since the last byte either way,
            // or a relay could stay open for nearly twice --idle-timeout.
            Err(error) if is_timeout(&error) && activity.idle_for() < idle => {
                let left = idle.saturating_sub(activity.idle_for());
                if left.is_zero() || from.set_read_timeout(Some(left)).is_err() {
                    abort(from, to);
                    return Err(error);
                }
                continue;
            }
            Err(error) => {
                abort(from, to);
                return Err(error);
            }
        };
        activity.touch();
        if let Err(error) = buffer.empty_into(to, n) {
            abort(from, to);
            return Err(error);
        }
        total += n as u64;
    }
    // Half-close: pass the FIN on; the other direction keeps flowing.
    let _ = to.shutdown(Shutdown::Write);
    Ok(total)
}
// ANCHOR_END: relay

// ANCHOR: splice
/// Where the relay holds the bytes between reading them from one socket and writing them
/// to the other.
///
/// The relay is the proxy's hot loop: every byte of every download passes through it.
/// With `read` and `write` every byte is copied twice more than on a direct connection:
/// out of the kernel into a buffer here, and back in. On Linux, `splice(2)` avoids both:
/// it moves references to the kernel's pages of received data into a pipe, and from the
/// pipe to the other socket, so the bytes never enter this process. It behaves like `read`
/// and `write` on a blocking socket: 0 means FIN, and the sockets' read and write
/// timeouts (SO_RCVTIMEO, SO_SNDTIMEO) apply.
#[derive(Debug)]
pub(crate) enum RelayBuffer {
    /// Linux: a pipe inside the kernel, filled and emptied with `splice`.
    #[cfg(target_os = "linux")]
    Pipe {
        read_end: OwnedFd,
        write_end: OwnedFd,
    },
    /// Other systems, or Linux when no pipe can be had: a buffer in this process.
    Memory(Vec<u8>),
}

impl RelayBuffer {
    fn new() -> RelayBuffer {
        // A pipe costs two file descriptors; if the process has run out of them, the relay
        // still works, with copies.
        #[cfg(target_os = "linux")]
        if let Ok((read_end, write_end)) = pipe2(OFlag::O_CLOEXEC) {
            return RelayBuffer::Pipe {
                read_end,
                write_end,
            };
        }
        RelayBuffer::Memory(vec![0; RELAY_BUFFER])
    }

    /// Takes up to [`RELAY_BUFFER`] bytes from `from`; like `read`, returns how many, and 0
    /// when `from` has sent FIN.
    fn fill_from(&mut self, from: &TcpStream) -> io::Result<usize> {
        match self {
            #[cfg(target_os = "linux")]
            RelayBuffer::Pipe { write_end, .. } => {
                Ok(splice(from, None, write_end, None, RELAY_BUFFER, NO_FLAGS)?)
            }
            RelayBuffer::Memory(bytes) => (&*from).read(bytes),
        }
    }

    /// Passes the `len` bytes taken last on to `to`; like `write_all`, all or an error.
    fn empty_into(&mut self, to: &TcpStream, len: usize) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            RelayBuffer::Pipe { read_end, .. } => {
                let mut left = len;
                while left > 0 {
                    match splice(&*read_end, None, to, None, left, NO_FLAGS) {
                        Ok(0) => return Err(ErrorKind::WriteZero.into()),
                        Ok(moved) => left -= moved,
                        Err(Errno::EINTR) => continue,
                        Err(errno) => return Err(errno.into()),
                    }
                }
                Ok(())
            }
            RelayBuffer::Memory(bytes) => (&*to).write_all(&bytes[..len]),
        }
    }
}
// ANCHOR_END: splice

/// Plain blocking `splice`. (`SPLICE_F_MOVE` has done nothing since Linux 2.6.21, and
/// `SPLICE_F_NONBLOCK` would make it return at once instead of waiting for bytes.)
#[cfg(target_os = "linux")]
const NO_FLAGS: SpliceFFlags = SpliceFFlags::empty();

/// Ends both directions at once, after an error in one: `shutdown(Both)` wakes the other
/// direction's thread from its blocking `read`.
pub(crate) fn abort(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// When a relay last moved anything, shared by its threads.
#[derive(Debug)]
pub(crate) struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    pub(crate) fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// Unix reports an expired socket timeout as WouldBlock, Windows as TimedOut.
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

pub(crate) fn why_relay_ended(error: &io::Error, idle: Duration) -> String {
    match error.kind() {
        _ if is_timeout(error) => format!("idle for {} s (--idle-timeout)", idle.as_secs()),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "connection reset (RST)".to_owned()
        }
        ErrorKind::BrokenPipe => "the receiver closed and stopped reading".to_owned(),
        ErrorKind::NotConnected => "the other direction failed first".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Relays a download of `len` patterned bytes through `buffer` and returns what the
    /// receiver got and what `copy_one_way` counted.
    fn relay_through(buffer: &mut RelayBuffer, len: usize) -> (Vec<u8>, u64) {
        let limit = Some(Duration::from_secs(10));
        let pair = || {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
            let near = TcpStream::connect(listener.local_addr().expect("bound")).expect("connect");
            let (far, _) = listener.accept().expect("accept");
            for stream in [&near, &far] {
                stream.set_read_timeout(limit).expect("read timeout");
                stream.set_write_timeout(limit).expect("write timeout");
            }
            (near, far)
        };
        let (mut sender, from) = pair();
        let (to, mut receiver) = pair();
        let download: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        thread::scope(|scope| {
            scope.spawn(|| {
                sender.write_all(&download).expect("send the download");
                sender.shutdown(Shutdown::Write).expect("half-close");
            });
            let received = scope.spawn(|| {
                let mut received = Vec::new();
                receiver
                    .read_to_end(&mut received)
                    .expect("the download, then FIN");
                received
            });
            let counted = copy_one_way(
                &from,
                &to,
                buffer,
                &Activity::new(),
                Duration::from_secs(10),
            )
            .expect("the relay ends at the sender's FIN");
            (received.join().expect("receiver thread"), counted)
        })
    }

    #[test]
    fn both_relay_buffers_pass_every_byte_then_the_fin() {
        let len = 3 * RELAY_BUFFER + 17;
        let expected: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut usual = RelayBuffer::new();
        #[cfg(target_os = "linux")]
        assert!(
            matches!(usual, RelayBuffer::Pipe { .. }),
            "Linux relays with splice"
        );
        let mut memory = RelayBuffer::Memory(vec![0; RELAY_BUFFER]);
        for buffer in [&mut usual, &mut memory] {
            let (received, counted) = relay_through(buffer, len);
            assert!(
                received == expected,
                "{} bytes arrived, not the ones sent",
                received.len()
            );
            assert_eq!(counted, len as u64);
        }
    }
}
