//! The same flood over TCP (`udp-flood N --tcp`): numbered lines on one connection to
//! `udp-count --tcp`, for the comparison. Nothing is lost; the sender waits instead.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::flood::{Report, SUMMARY_WAIT, check, new_run, pace, sending_time};
use crate::is_timeout;
use crate::protocol::{Message, Summary};

/// How much a TCP sender's kernel can hold: Linux grows a socket's send buffer up to
/// `net.ipv4.tcp_wmem`'s maximum, 4 MiB by default. `write` returns once the bytes are
/// there, so the sender's figures count them as sent while the counter has not read them.
const KERNEL_BACKLOG: &str = "up to ~4 MB";

// ANCHOR: flood_tcp
/// The same flood over TCP: numbered lines on one connection to `udp-count --tcp`.
///
/// Everything happens before one deadline, `time_limit` from the start: each `write` may
/// wait only for the time left, and so may the wait for the summary.
pub fn flood_tcp(
    server: SocketAddr,
    count: u64,
    rate: Option<u64>,
    size: usize,
    time_limit: Duration,
) -> Result<Report> {
    let start = Instant::now();
    let (stop_sending, deadline) = (start + sending_time(time_limit), start + time_limit);
    let stream =
        TcpStream::connect_timeout(&server, SUMMARY_WAIT.min(time_limit)).map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "cannot connect to {server}: is `udp-count --tcp` running there?"
            ))
        })?;
    let run = new_run();
    let mut line = Vec::with_capacity(size);
    let mut longest_send = Duration::ZERO;
    let mut sent = 0;
    while sent < count && Instant::now() < stop_sending {
        pace(rate, start, sent);
        Message::Record {
            run,
            seq: sent,
            total: count,
        }
        .encode(size, &mut line);
        let before = Instant::now();
        // When the receiver's window is full, `write` waits here: TCP slows the sender
        // down to the receiver's pace instead of dropping anything.
        write_before(&stream, &line, deadline)
            .map_err(|e| stalled(e, server, before.elapsed(), sent, count))?;
        longest_send = longest_send.max(before.elapsed());
        sent += 1;
    }
    let elapsed = start.elapsed();
    Message::End { run, sent }.encode(0, &mut line);
    let before = Instant::now();
    write_before(&stream, &line, deadline)
        .map_err(|e| stalled(e, server, before.elapsed(), sent, count))?;
    // The summary comes once the counter has read every line before END.
    let summary = read_summary_before(&stream, server, deadline, sent)?;
    Ok(Report {
        sent,
        elapsed,
        finished: start.elapsed(),
        longest_send,
        summary: check(summary, sent)?,
    })
}

/// Writes all of `bytes`, but gives up at `deadline`: each `write` waits only for the time
/// left. (A fixed timeout per `write` would not bound the run: a blocked `write` on Linux
/// wakes only once a third of a send buffer of up to 4 MiB is free again.)
fn write_before(mut stream: &TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(written) => bytes = &bytes[written..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
// ANCHOR_END: flood_tcp

/// Reads the counter's summary line, waiting at most until `deadline`.
fn read_summary_before(
    stream: &TcpStream,
    server: SocketAddr,
    deadline: Instant,
    sent: u64,
) -> Result<Summary> {
    let left = deadline.saturating_duration_since(Instant::now());
    let mut answer = String::new();
    // A zero timeout would mean "wait for ever": wait at least a millisecond.
    stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
    match BufReader::new(stream).take(1024).read_line(&mut answer) {
        Ok(0) => bail!(
            "the counter at {server} closed the connection without a summary: is it \
             `udp-count --tcp`?"
        ),
        Ok(_) => {}
        Err(e) if is_timeout(&e) => bail!(
            "no summary from the counter at {server} before the time limit (--time-limit): it \
             is still reading. TCP holds the sender to the receiver's pace, so nothing was \
             lost: the {sent} messages and END are on their way ({KERNEL_BACKLOG} of them \
             can wait in the kernel's buffers), and the counter will log its summary when it \
             reaches END. A faster counter (a smaller --delay-us) or a smaller N fits \
             in the limit"
        ),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "could not read the summary from the counter at {server}"
            )));
        }
    }
    answer
        .trim_end()
        .parse()
        .with_context(|| format!("the counter at {server} answered {answer:?}"))
}

/// Explains a TCP `write` that failed, or waited until the deadline.
fn stalled(
    error: io::Error,
    server: SocketAddr,
    waited: Duration,
    sent: u64,
    count: u64,
) -> anyhow::Error {
    if is_timeout(&error) {
        anyhow::anyhow!(
            "the counter at {server} made no room for more data for {:.1} s, and the time \
             limit (--time-limit) is up: TCP holds the sender to the receiver's pace, so \
             nothing was lost: {sent} of {count} messages went out ({KERNEL_BACKLOG} of them \
             can still wait in the kernel's buffers) and the rest were never sent. END was \
             not sent either, so the counter will log that the sender closed the connection \
             early. A faster \
             counter (a smaller --delay-us) or a smaller N fits in the limit",
            waited.as_secs_f64()
        )
    } else {
        anyhow::Error::new(error).context(format!(
            "could not send to the counter at {server}: did it stop?"
        ))
    }
}
