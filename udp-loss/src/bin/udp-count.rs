//! The counter of the loss experiment: counts the numbered datagrams that `udp-flood`
//! sends, instead of answering them. `cargo run -p udp-loss --bin udp-count -- --help`.

use std::process::ExitCode;

use clap::Parser;
use udp_loss::count::{self, MAX_DELAY_US};

/// Counts the numbered datagrams that `udp-flood N` sends and reports what arrived:
/// received, lost, duplicated, out of order.
///
/// Run it, then in a second terminal: cargo run -p udp-loss --bin udp-flood -- 10000
#[derive(Debug, Clone, Parser)]
#[command(version)]
struct Config {
    /// Address to bind, as IP:PORT. Loopback only. Port 0 asks the OS for any free port.
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    listen: String,

    /// Pause this many microseconds after each datagram, to play a receiver slower than its
    /// sender. At most 10000; with --tcp at most 100, because TCP loses nothing: the counter
    /// must read all that waits in the buffers (up to ~4 MB) before the sender's time limit.
    #[arg(long, value_name = "MICROS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=MAX_DELAY_US))]
    delay_us: u64,

    /// Listen on TCP instead (same port number, TCP's own port space) and count a
    /// `udp-flood N --tcp`, for the TCP-versus-UDP comparison.
    #[arg(long)]
    tcp: bool,
}

fn main() -> ExitCode {
    let config = Config::parse();
    common::report(
        udp_loss::loopback_only(&config.listen)
            .and_then(|addr| count::run(addr, config.delay_us, config.tcp)),
    )
}
