//! The receiver's command line: what a user may choose, with the `--help` text a student reads.

use std::path::PathBuf;

use clap::Parser;

use crate::open_files;

/// A file receiver: waits for file-send, checks the file's name and size, stores it,
/// and confirms with its BLAKE3 digest.
///
/// Run it, then in a second terminal: cargo run -p file-send -- PATH
#[derive(Debug, Clone, Parser)]
#[command(version)]
pub struct Config {
    /// Address to listen on, as IP:PORT. Port 0 asks the OS for any free port;
    /// `[::1]:0` listens on IPv6 loopback.
    #[arg(long, value_name = "ADDR", default_value = common::FILE_ADDR)]
    pub listen: String,

    /// Directory to store the received files in. It must exist and be writable.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Keep receiving files (one thread per sender) instead of exiting after the first.
    #[arg(long)]
    pub keep_serving: bool,

    /// Replace a file that already exists. Without it, such a file is refused.
    #[arg(long)]
    pub overwrite: bool,

    /// Accept names that start with a dot. Such hidden files (.bashrc, .ssh, .git) are
    /// refused by default: in a home directory they may change how programs behave.
    #[arg(long)]
    pub allow_hidden: bool,

    /// Largest file accepted, in bytes; K, M, G or T multiply by 1024, 1024², ...
    /// (for example 500M or 2G). A larger announcement is refused before any byte flows.
    #[arg(long, value_name = "SIZE", default_value = "10G", value_parser = parse_size_limit)]
    pub max_size: u64,

    /// Largest total of the files being received at once (their announced sizes), so
    /// that senders cannot fill the disk with files they never finish. A sender whose file
    /// would pass it is answered "busy:". Units as for --max-size.
    #[arg(long, value_name = "SIZE", default_value = "20G", value_parser = parse_size_limit)]
    pub max_unfinished: u64,

    /// How many senders are served at once. One more is answered "busy:" and closed. The
    /// default follows the machine: the open-files limit (raised at start to the hard
    /// limit), less 64 kept for the receiver, 3 per sender, at most 1000.
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_senders(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_senders: usize,

    /// How many senders one IP address may have at once, so that one machine cannot take
    /// every place. The default is half the default --max-senders, at least 16.
    #[arg(long, value_name = "N", default_value_t = open_files::default_max_per_address(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_per_address: usize,

    /// Seconds a sender may stay silent (or stop reading our answer) before the receiver
    /// drops it and goes on serving others.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

/// Reads `--max-size`: bytes, or a number followed by K, M, G or T (powers of 1024).
pub fn parse_size_limit(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use K, M, G or T, e.g. 500M"
            ));
        }
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 1000, 500M or 2G"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits_read_units() {
        assert_eq!(parse_size_limit("1000"), Ok(1000));
        assert_eq!(parse_size_limit("64K"), Ok(64 * 1024));
        assert_eq!(parse_size_limit("500M"), Ok(500 << 20));
        assert_eq!(parse_size_limit("2g"), Ok(2 << 30));
        assert!(parse_size_limit("lots").is_err());
        assert!(parse_size_limit("5X").is_err());
        assert!(parse_size_limit("99999999999T").is_err());
    }
}
