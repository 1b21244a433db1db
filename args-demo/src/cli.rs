//! The command line `args-demo` accepts, declared as types for clap: the three parts of the
//! lesson, and the options of part 2. clap builds the parser and the `--help` text from
//! these declarations, so the lesson's steps in `lib.rs` receive checked values.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

// ANCHOR: config
/// The Rust counterparts of Go's os.Args and os.Stat, in three parts: your
/// command line as the OS hands it over, the same parsed by clap, and what the
/// OS knows about a file.
///
/// Start with part 1:  args-demo raw hello "two words"
#[derive(Debug, Parser)]
#[command(version, verbatim_doc_comment, arg_required_else_help = true)]
pub struct Config {
    /// Which part of the lesson to run.
    #[command(subcommand)]
    pub part: Part,
}

/// The three parts of the lesson.
#[derive(Debug, Subcommand)]
pub enum Part {
    /// Part 1: print every argument exactly as the OS handed it over, numbered from 0
    ///
    /// Everything after `raw` is taken as it is, even --help: this part parses
    /// nothing. That is why this text is shown by: args-demo help raw
    #[command(verbatim_doc_comment, disable_help_flag = true)]
    Raw {
        /// Any words; quote one that contains spaces to keep it one argument.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ANYTHING"
        )]
        arguments: Vec<OsString>,
    },

    /// Part 2: the options a file sender needs, parsed and checked by clap.
    #[command(
        after_help = "Nothing is sent: this part only shows the typed values clap made of\n\
                            your arguments. Try a wrong one too, such as --timeout soon."
    )]
    Parsed(SendOptions),

    /// Part 3: show what the OS knows about each path, like Go's os.Stat
    ///
    /// For each path: its bare name, then its kind, size, permissions and
    /// modification time, once following symbolic links (metadata, like
    /// os.Stat) and once not (symlink_metadata, like os.Lstat). A path that
    /// cannot be examined gets an error line; the others are still shown, and
    /// the exit code is 1 at the end.
    #[command(verbatim_doc_comment)]
    Stat {
        /// Files, folders or symbolic links to examine.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

/// What a file sender is told on its command line: files, where to, and how patiently.
#[derive(Debug, Clone, Args)]
pub struct SendOptions {
    /// The files to send, one or more.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Address of the receiver, as IP:PORT.
    #[arg(long, value_name = "ADDR", default_value = common::FILE_ADDR)]
    pub to: SocketAddr,

    /// Seconds to wait for the receiver, from 1 to 3600.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Say more about each step; repeat it for even more (-vv).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}
// ANCHOR_END: config
