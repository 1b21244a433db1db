//! The proxy's options: every limit is a command-line option with a safe default, and the
//! doc comments are the `--help` text.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use crate::auth::{Credentials, Guesses};
use crate::open_files;
use crate::reach::IpRange;

/// A SOCKS4, SOCKS4a and SOCKS5 proxy (TCP CONNECT and BIND, and UDP ASSOCIATE).
///
/// Run it, then in a second terminal:
///   curl --socks5-hostname 127.0.0.1:1080 http://example.com/
// The doc comments are the --help text: "[::1]:0" there is an address, not a rustdoc link,
// and the URL is a command to type.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port; [::1]:0
    /// listens on IPv6 loopback. Only loopback addresses, unless --allow-public.
    #[arg(long, value_name = "ADDR", default_value = common::SOCKS_ADDR)]
    pub listen: String,

    /// Require a user name and password (SOCKS5, RFC 1929), given as NAME:PASSWORD.
    /// SOCKS4 clients are then refused: SOCKS4 has no way to authenticate. Prefer the
    /// environment variable: every user of this machine can read command lines.
    #[arg(long, value_name = "NAME:PASSWORD", env = "SOCKS_PROXY_USER",
          hide_env_values = true, value_parser = Credentials::parse)]
    pub user: Option<Credentials>,

    /// Allow listening on an address other than loopback, where other machines can reach
    /// the proxy. Without --user that makes an open proxy: a loud warning is printed.
    #[arg(long)]
    pub allow_public: bool,

    /// Milliseconds to wait before answering a wrong password, so that guessing is slow.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub auth_failure_delay_ms: u64,

    /// Wrong passwords one client address may send before it is refused even the right
    /// one, until it has stopped for 10 minutes.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_auth_failures: u32,

    /// Let clients on other machines reach this range, as ADDRESS/PREFIX (repeat for
    /// more). Without it they cannot reach this machine, link-local addresses
    /// (169.254.0.0/16, fe80::/10: cloud metadata), nor private ranges (10/8,
    /// 172.16/12, 192.168/16, fc00::/7): a proxy must not open its network to strangers.
    #[arg(long, value_name = "RANGE", value_parser = IpRange::parse)]
    pub allow_range: Vec<IpRange>,

    /// For tests only: apply the rules for remote clients to loopback clients too, so that
    /// tests can check them without any traffic leaving the machine.
    #[arg(long, hide = true)]
    pub treat_loopback_as_remote: bool,

    /// Whether the listener is on every address (set by `serve`, not a command-line option).
    #[arg(skip)]
    pub wildcard_listener: bool,

    /// The failed passwords per client address (shared by every client's thread).
    #[arg(skip)]
    pub guesses: Arc<Guesses>,

    /// How many clients are served at once. One more is closed at once, so a flood of
    /// connections cannot use up the machine's threads and sockets. The default follows
    /// the machine: the open-files limit (raised at start to the hard limit), less a
    /// reserve for the proxy itself, divided by the 6 a relay may hold on Linux (3
    /// elsewhere), at most 5000.
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_clients(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_clients: usize,

    /// How many clients from one IP address are served at once, so that one address
    /// cannot take every place of --max-clients and lock the others out. The default is
    /// half the default --max-clients, at least 64 (at most the whole default).
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_per_address(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_per_address: usize,

    /// Seconds a client has for the whole handshake (greeting, password, request). A
    /// client that stalls is dropped.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub handshake_timeout: u64,

    /// Seconds to look up the target's name and wait for it to accept the proxy's
    /// connection, together.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// Seconds a relay may go without moving a byte (or a datagram) before the proxy
    /// closes it.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Print only the listening line, not a line per client (for benchmarks: writing the
    /// log costs more than a short connection).
    #[arg(long)]
    pub quiet: bool,
}

impl Config {
    pub(crate) fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout)
    }

    pub(crate) fn auth_failure_delay(&self) -> Duration {
        Duration::from_millis(self.auth_failure_delay_ms)
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout)
    }
}
