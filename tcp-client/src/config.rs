//! The client's command-line flags: which server, what to send, and how long to wait.

use clap::Parser;

/// A TCP client: sends each line you type to the server and prints each reply.
///
/// Start the server first, in another terminal: cargo run -p tcp-server.
/// End your input with Ctrl-D (Ctrl-Z then Enter on Windows) to close the connection.
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address of the server, as IP:PORT (or HOST:PORT).
    #[arg(long, value_name = "ADDR", default_value = common::TCP_ADDR)]
    pub connect: String,

    /// Send this line instead of reading the keyboard, then exit. Repeat it to send
    /// several lines.
    #[arg(long = "message", value_name = "TEXT")]
    pub messages: Vec<String>,

    /// Seconds to wait for the connection to open, and for the server's replies once
    /// everything has been sent.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}
