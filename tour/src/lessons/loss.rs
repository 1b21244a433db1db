//! UDP loss versus TCP: the same flood of numbered messages to the same slow receiver, once
//! over UDP (much of it lost, silently) and once over TCP (nothing lost: the sender waits).
//!
//! The receiver is `udp-count --delay-us 20` and the sender `udp-flood`, the experiment's
//! two binaries in the crate `udp-loss`: the counter pauses after each message, so messages
//! arrive faster than it takes them. What happens to the excess is the lesson.

use std::time::Duration;

use anyhow::{Context, Result, ensure};

use super::Lesson;
use crate::Session;
use crate::narrator::Step;
use crate::process::Process;

pub const LESSON: Lesson = Lesson {
    name: "loss",
    title: "UDP loses what a slow receiver cannot take; TCP loses nothing",
    // The experiment's two binaries, both of the package `udp-loss`.
    programs: &["udp-count", "udp-flood"],
    by_hand: &[
        (
            "terminal 1:",
            "cargo run -p udp-loss --bin udp-count -- --delay-us 20    (add --tcp for TCP)",
        ),
        (
            "terminal 2:",
            "cargo run -p udp-loss --bin udp-flood -- 10000 --size 1000    (add --tcp for TCP)",
        ),
    ],
    run,
};

/// How many messages each flood sends: enough to overflow a UDP receive buffer many times
/// over, few enough that the TCP run, paced by the slow receiver, takes about a second.
const FLOOD: &str = "10000";

/// How long a flood may take. The TCP one is paced by the receiver's 20 µs pauses: about a
/// second on an idle machine, many more on a busy one, where each pause oversleeps.
const FLOOD_TIMEOUT: Duration = Duration::from_secs(60);

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "A slow receiver counts numbered UDP datagrams",
        notes: "TCP vs UDP: UDP is connectionless and unreliable",
        rust: "udp-count: recv_from, then a pause of 20 µs per datagram",
        expect: "udp-count prints `listening on ADDR`",
    })?;
    let (mut counter, addr) = Process::start_server(
        session,
        "udp-count",
        &["--listen", "127.0.0.1:0", "--delay-us", "20"],
    )?;
    counter.wait_for_line(|line| line.starts_with("counting"))?;
    session
        .narrator
        .saw("this server never replies: it only counts which numbers arrive");

    session.narrator.step(Step {
        title: "A fast sender floods it with 10000 datagrams of 1000 bytes",
        notes: "conn.Write in a loop: nothing slows a UDP sender down",
        rust: "socket.send(&datagram), 10000 times, as fast as it can",
        expect: "the counts add up (received + lost = sent); usually many are lost, and the sender is never told",
    })?;
    let summary = flood(session, &mut counter, &addr.to_string(), &[])?;
    let (received, lost) = (count(&summary, "received")?, count(&summary, "lost")?);
    ensure!(
        received + lost == FLOOD.parse::<u64>()?,
        "received + lost is not {FLOOD}: {summary:?}"
    );
    // Loss depends on the machine (its buffer sizes, its scheduler): report it, never demand it.
    if lost > 0 {
        session.narrator.saw(format!(
            "{lost} of {FLOOD} datagrams lost: the OS dropped what did not fit in the \
             receiver's buffer, and every send still succeeded"
        ));
    } else {
        session.narrator.saw(
            "nothing lost this time: this machine's receiver kept up. Run the lesson again, \
             or raise --delay-us, to see UDP drop datagrams",
        );
    }
    drop(counter);

    session.narrator.step(Step {
        title: "The same flood over TCP, to the same slow receiver",
        notes: "TCP is reliable: the receiver's window makes the sender wait (the sliding window)",
        rust: "udp-count --tcp; udp-flood --tcp: write on a TcpStream",
        expect: "the counter reports lost 0 and out of order 0",
    })?;
    let (mut counter, addr) = Process::start_server(
        session,
        "udp-count",
        &["--listen", "127.0.0.1:0", "--delay-us", "20", "--tcp"],
    )?;
    let summary = flood(session, &mut counter, &addr.to_string(), &["--tcp"])?;
    ensure!(
        count(&summary, "lost")? == 0 && count(&summary, "out of order")? == 0,
        "TCP lost or reordered messages: {summary:?}"
    );
    session.narrator.saw(
        "nothing lost, nothing reordered: when the receiver's buffer was full its window was 0, \
         and the sender's write simply waited (see its longest single send)",
    );
    Ok(())
}

/// Runs one flood against the `counter` at `addr`; returns the client's summary line.
fn flood(
    session: &Session<'_>,
    counter: &mut Process,
    addr: &str,
    extra: &[&str],
) -> Result<String> {
    let mut args = vec![FLOOD, "--connect", addr, "--size", "1000"];
    args.extend_from_slice(extra);
    let mut sender = Process::start(session, "udp-flood", &args, false)?;
    // The counter logs its count when the sender says it is done, then answers it.
    counter.wait_for_line_within(FLOOD_TIMEOUT, |line| line.contains(" done in "))?;
    let status = sender.finish()?;
    ensure!(status.success(), "udp-flood exited with {status}");
    sender
        .lines_containing("the server counted:")
        .first()
        .map(|line| (*line).to_owned())
        .context("udp-flood printed no `the server counted:` line")
}

/// The number after `name` in a summary such as "received 704, lost 9296 (93.0 %), ...".
fn count(summary: &str, name: &str) -> Result<u64> {
    summary
        .split(", ")
        .flat_map(|part| part.split(": "))
        .find_map(|part| {
            part.strip_prefix(name)?
                .trim_start()
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("no `{name} N` in {summary:?}"))
}
