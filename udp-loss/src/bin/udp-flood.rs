//! The sender of the loss experiment: N numbered datagrams to `udp-count`, then the count.
//! `cargo run -p udp-loss --bin udp-flood -- --help`.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use clap::builder::TypedValueParser as _;
use udp_loss::flood::{self, Plan};
use udp_loss::protocol::MAX_FLOOD;

/// Sends N numbered datagrams to `udp-count` and prints what it counted (received, lost,
/// duplicated, out of order). Loopback addresses only.
///
/// Start the counter first, in another terminal: cargo run -p udp-loss --bin udp-count
#[derive(Debug, Clone, Parser)]
#[command(version)]
struct Config {
    /// How many numbered datagrams to send (1 to 1000000).
    #[arg(value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_FLOOD))]
    count: u64,

    /// Address of the counter, as IP:PORT. Loopback only.
    #[arg(long, value_name = "ADDR", default_value = common::UDP_ADDR)]
    connect: String,

    /// Datagrams per second. Without it, as fast as the sender can.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    rate: Option<u64>,

    /// Bytes per datagram (48 to 65507).
    #[arg(long, value_name = "BYTES", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(48..=65_507).map(usize::from))]
    size: usize,

    /// Send the same numbered messages over TCP, to `udp-count --tcp`, for the
    /// TCP-versus-UDP comparison.
    #[arg(long)]
    tcp: bool,

    /// The whole run, sending and waiting for the counter's summary, ends within this many
    /// seconds (0.1 to 300). The flood sends for at most a third of it; the rest is for the
    /// counter to read what still waits in the buffers (over TCP up to ~4 MB, which a slow
    /// counter needs seconds to read).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_time_limit)]
    time_limit: Duration,
}

/// Reads a flood's time limit: between 0.1 and 300 seconds.
fn parse_time_limit(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.1..=300.0).contains(&seconds) {
        return Err("give between 0.1 and 300 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn main() -> ExitCode {
    let config = Config::parse();
    let plan = Plan {
        connect: config.connect,
        count: config.count,
        rate: config.rate,
        size: config.size,
        tcp: config.tcp,
        time_limit: config.time_limit,
    };
    common::report(flood::run(&plan, &mut io::stdout()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_time_limit_lies_between_a_tenth_of_a_second_and_five_minutes() {
        assert_eq!(parse_time_limit("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_time_limit("300"), Ok(Duration::from_secs(300)));
        assert!(parse_time_limit("0.05").is_err());
        assert!(parse_time_limit("301").is_err());
        assert!(parse_time_limit("NaN").is_err());
    }
}
