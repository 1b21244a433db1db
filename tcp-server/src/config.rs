//! The server's command-line flags: where to listen, and the two limits that keep one
//! client (or a flood of them) from taking the server down.

use clap::Parser;

use crate::open_files;

/// A TCP server that answers each line it receives in upper case.
///
/// Run it, then in a second terminal: cargo run -p tcp-client
#[derive(Debug, Clone, Parser)]
#[command(version)]
// The doc comments are the --help text: "[::1]:0" there is an address, not a rustdoc link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port;
    /// [::1]:0 listens on IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::TCP_ADDR)]
    pub listen: String,

    /// How many clients are served at once. One more is sent a "busy:" line and closed,
    /// so that a flood of connections cannot use up the machine's threads and sockets.
    /// The default follows the machine: the open-files limit (raised at start to the
    /// hard limit), less 64 kept for the server itself, at most 10000.
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_clients(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_clients: usize,

    /// How many clients one IP address may have at once, so that one machine cannot take
    /// every place. The default is half the default --max-clients, at least 64.
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_per_address(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_per_address: usize,

    /// Seconds a client may take to send each whole line (or leave our replies unread)
    /// before the server hangs up on it: one byte now and then does not keep it.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}
