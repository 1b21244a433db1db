//! The command-line arguments and file attributes lesson, in three parts that each read top
//! to bottom on their own:
//!
//! 1. `args-demo raw ...`: the arguments exactly as the operating system handed them over,
//!    numbered from 0 (Go's `os.Args`).
//! 2. `args-demo parsed ...`: the options a file sender needs, parsed and checked by clap.
//! 3. `args-demo stat PATH...`: what the OS knows about each path (Go's `os.Stat`).
//!
//! The notes' calls next to the Rust ones:
//!
//! | Go (the notes)      | Rust                                          |
//! |---------------------|-----------------------------------------------|
//! | `os.Args`           | [`std::env::args_os`] (never panics)          |
//! | `os.Args[0]`        | the first item of `args_os()`                 |
//! | `os.Stat(path)`     | [`fs::metadata`] (follows symbolic links)     |
//! | `os.Lstat(path)`    | [`fs::symlink_metadata`] (does not follow)    |
//! | `info.Name()`       | [`Path::file_name`]                           |
//! | `info.Size()`       | [`Metadata::len`]                             |
//! | `info.IsDir()`      | [`Metadata::is_dir`], [`Metadata::file_type`] |
//! | `info.Mode()`       | [`Metadata::permissions`]                     |
//! | `info.ModTime()`    | [`Metadata::modified`]                        |
//!
//! The file sender (`file-send`) starts with exactly these two things: its arguments give
//! it a path (part 2's way), and `metadata` gives it the bare name and the size it
//! announces to the receiver (part 3's way).

use std::ffi::OsString;
use std::fs::{self, FileType, Metadata};
use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
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

/// Runs the part of the lesson that `config` names, printing on stdout.
pub fn run(config: Config) -> Result<()> {
    let mut out = io::stdout().lock();
    match config.part {
        // Part 1 reads the arguments from the OS itself: what clap collected is ignored.
        Part::Raw { arguments: _ } => {
            print_raw(std::env::args_os(), &mut out).context("cannot write to stdout")
        }
        Part::Parsed(options) => print_parsed(&options, &mut out).context("cannot write to stdout"),
        Part::Stat { paths } => stat_all(&paths, &mut out, &mut io::stderr()),
    }
}

// -------------------------------------------------------------------------------------------
// Part 1: the raw arguments, as the OS hands them over.
// -------------------------------------------------------------------------------------------

// ANCHOR: raw
/// Prints each argument numbered from 0, quoted, exactly as the OS handed it over.
///
/// `arguments` is `std::env::args_os()` when the program runs; tests pass their own.
pub fn print_raw(
    arguments: impl IntoIterator<Item = OsString>,
    out: &mut impl Write,
) -> io::Result<()> {
    // 1. Take the arguments as the OS gives them. The shell has already split the command
    //    line into words and removed the quotes; the program receives a list, never a line.
    //    `OsString` holds any bytes (Unix) or UTF-16 (Windows), so this cannot fail, where
    //    `std::env::args()` panics on the first argument that is not valid Unicode.
    let arguments: Vec<OsString> = arguments.into_iter().collect();
    writeln!(
        out,
        "std::env::args_os() handed over {} arguments:",
        arguments.len()
    )?;
    for (index, argument) in arguments.iter().enumerate() {
        // 2. Number them. Argument 0 is the program itself, as the caller named it (the
        //    shell passes what you typed); what you wrote after it starts at 1, like the
        //    notes' os.Args[1].
        let mut note = String::new();
        if index == 0 {
            note.push_str("  (argument 0: the program, as it was started)");
        }
        // 3. Ask for text only where it is safe: `to_str` answers None for an argument
        //    that is not valid Unicode, instead of panicking.
        if argument.to_str().is_none() {
            note.push_str(&format!(
                "  (not valid Unicode: std::env::args() would panic here; \
                 to_string_lossy() gives {:?})",
                argument.to_string_lossy()
            ));
        }
        // `{:?}` quotes each argument, so spaces inside one are visible, and shows the bytes
        // that are not text as escapes (\xE9) instead of garbling the terminal.
        writeln!(out, "{index:>3}  {argument:?}{note}")?;
    }
    Ok(())
}
// ANCHOR_END: raw

// -------------------------------------------------------------------------------------------
// Part 2: the same arguments, parsed by clap.
// -------------------------------------------------------------------------------------------

// ANCHOR: parsed
/// Prints the typed values that clap made of the arguments.
pub fn print_parsed(options: &SendOptions, out: &mut impl Write) -> io::Result<()> {
    // 1. Declare what the program accepts: the `SendOptions` struct. Its doc comments are
    //    the --help text, its field types say how each argument is converted.
    // 2. clap parsed the arguments before this function ran (`Config::parse()` in main):
    //    on a wrong one it printed the error (and, for an unknown or missing argument, the
    //    usage) and exited with code 2.
    // 3. Use the values. They are typed and checked already: no `args[1]`, no parsing of
    //    numbers, no "is there a second argument?" here.
    writeln!(out, "clap parsed the arguments into typed values:")?;
    let to = options.to;
    writeln!(
        out,
        "  --to       {:<16} a SocketAddr: IP {}, port {}",
        to.to_string(),
        to.ip(),
        to.port()
    )?;
    writeln!(
        out,
        "  --timeout  {:<16} a u64, checked to lie in 1..=3600 (seconds)",
        options.timeout
    )?;
    writeln!(
        out,
        "  --verbose  {:<16} a u8: how many times -v was given",
        options.verbose
    )?;
    for (number, path) in options.paths.iter().enumerate() {
        let quoted = format!("{:?}", path.as_os_str());
        writeln!(out, "  PATH {:<5} {quoted:<16} a PathBuf", number + 1)?;
    }
    Ok(())
}
// ANCHOR_END: parsed

// -------------------------------------------------------------------------------------------
// Part 3: file attributes, the Rust counterpart of os.Stat.
// -------------------------------------------------------------------------------------------

/// What [`stat_one`] found out about one path.
#[derive(Debug)]
pub struct Report {
    /// The lines to print on stdout; empty when the path could not be examined at all.
    pub lines: Vec<String>,
    /// What went wrong, if anything; the lines show whatever could still be found out.
    pub problem: Option<anyhow::Error>,
}

// ANCHOR: stat_all
/// Examines every path, printing each report on `out` and each problem on `errors`.
///
/// One bad path does not hide the others: all are examined, and the error at the end
/// (exit code 1) counts the ones that failed.
pub fn stat_all(paths: &[PathBuf], out: &mut impl Write, errors: &mut impl Write) -> Result<()> {
    let mut failed = 0;
    let mut printed_one = false;
    // 1. The paths come from the arguments (clap collected them as `PathBuf`s).
    for path in paths {
        let report = stat_one(path);
        if !report.lines.is_empty() {
            if printed_one {
                writeln!(out).context("cannot write to stdout")?;
            }
            for line in &report.lines {
                writeln!(out, "{line}").context("cannot write to stdout")?;
            }
            printed_one = true;
        }
        if let Some(problem) = report.problem {
            failed += 1;
            // Flush first, so that in a terminal the error appears right after its path.
            out.flush().context("cannot write to stdout")?;
            // An unwritable stderr is no reason to stop examining the other paths.
            let _ = writeln!(errors, "error: {problem:#}");
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} could not be examined (see above)",
            count(paths.len(), "path")
        );
    }
    Ok(())
}
// ANCHOR_END: stat_all

// ANCHOR: stat_one
/// Finds out what the OS knows about `path`, following symbolic links and not.
pub fn stat_one(path: &Path) -> Report {
    // 2. Go's os.Stat(path) is `fs::metadata(path)`: it follows symbolic links, so a link
    //    to a file reports the file. This is the call a file sender needs.
    let followed = fs::metadata(path);
    // 3. Go's os.Lstat(path) is `fs::symlink_metadata(path)`: the path itself, so a link
    //    reports that it is a link.
    let itself = match fs::symlink_metadata(path) {
        Ok(itself) => itself,
        Err(error) => {
            return Report {
                lines: Vec::new(),
                problem: Some(explain(path, error)),
            };
        }
    };

    let mut lines = vec![path.display().to_string()];
    // 4. Go's Name() is `file_name()`: the last part of the path, without its folders.
    lines.push(format!("  name          {}", bare_name(path)));

    let mut problem = None;
    match followed {
        Ok(followed) => {
            let what = if itself.is_symlink() {
                ": what the link points to"
            } else {
                ""
            };
            lines.push(format!(
                "  followed      metadata(), like Go's os.Stat{what}"
            ));
            lines.extend(attributes(&followed, None));
        }
        Err(error) => {
            lines.push(
                "  followed      metadata(), like Go's os.Stat: failed (see the error)".into(),
            );
            problem = Some(explain_unfollowable(path, error));
        }
    }
    if itself.is_symlink() {
        // A link's own data is the path it points to: read it to show where it leads.
        let target = fs::read_link(path).ok();
        lines
            .push("  not followed  symlink_metadata(), like Go's os.Lstat: the link itself".into());
        lines.extend(attributes(&itself, target.as_deref()));
    } else {
        lines.push(
            "  not followed  symlink_metadata(), like Go's os.Lstat: the same (not a symbolic link)"
                .into(),
        );
    }
    Report { lines, problem }
}
// ANCHOR_END: stat_one

// ANCHOR: attributes
/// The attribute lines for one `Metadata`; `link_target` is where a symbolic link points.
fn attributes(metadata: &Metadata, link_target: Option<&Path>) -> Vec<String> {
    let file_type = metadata.file_type();
    let kind = match link_target {
        Some(target) => format!("{} to {}", kind(file_type), target.display()),
        None => kind(file_type).to_owned(),
    };
    // 5. Go's Size() is `len()`: the number of bytes in a file. A folder's size is that of
    //    its own list of entries, and a link's is the length of the path it holds.
    let bytes = metadata.len();
    let size_note = if file_type.is_dir() {
        ": the folder's own list of entries, not its contents"
    } else if file_type.is_symlink() {
        ": usually the length of the path it holds"
    } else {
        ""
    };
    // 6. Permissions: the Unix mode bits where there are some, the read-only flag elsewhere.
    // 7. Go's ModTime() is `modified()`: a `SystemTime`, shown here in UTC.
    let modified = match metadata.modified() {
        Ok(time) => {
            let seconds = unix_seconds(time);
            format!("{} (Unix time {seconds})", rfc3339_utc(seconds))
        }
        Err(error) => format!("not available here ({error})"),
    };
    vec![
        format!("    kind        {kind}"),
        format!(
            "    size        {bytes} bytes ({}){size_note}",
            human_size(bytes)
        ),
        format!("    permissions {}", permissions(metadata)),
        format!("    modified    {modified}"),
    ]
}
// ANCHOR_END: attributes

/// The last component of `path`, or why there is none.
///
/// `..`, `.` and `/` have no last name: a file sender must refuse them rather than send
/// a name that would mean "the folder above" to the receiver.
pub fn bare_name(path: &Path) -> String {
    match path.file_name() {
        Some(name) => Path::new(name).display().to_string(),
        None => "(none: the path ends in `.` or `..`, or is a root)".to_owned(),
    }
}

/// The kind of file, in words.
fn kind(file_type: FileType) -> &'static str {
    if file_type.is_file() {
        "file"
    } else if file_type.is_dir() {
        "directory"
    } else if file_type.is_symlink() {
        "symbolic link"
    } else {
        special_kind(file_type)
    }
}

/// The kinds of file that only Unix has.
#[cfg(unix)]
fn special_kind(file_type: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "named pipe (FIFO)"
    } else if file_type.is_socket() {
        "Unix domain socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else {
        "other"
    }
}

#[cfg(not(unix))]
fn special_kind(_file_type: FileType) -> &'static str {
    "other"
}

/// The permissions as `ls -l` shows them, and in octal as `chmod` takes them.
#[cfg(unix)]
fn permissions(metadata: &Metadata) -> String {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let file_type = metadata.file_type();
    let type_letter = if file_type.is_dir() {
        'd'
    } else if file_type.is_symlink() {
        'l'
    } else if file_type.is_fifo() {
        'p'
    } else if file_type.is_socket() {
        's'
    } else if file_type.is_block_device() {
        'b'
    } else if file_type.is_char_device() {
        'c'
    } else {
        '-'
    };
    mode_string(type_letter, metadata.permissions().mode())
}

/// Windows and others have no mode bits, only a read-only flag.
#[cfg(not(unix))]
fn permissions(metadata: &Metadata) -> String {
    if metadata.permissions().readonly() {
        "read-only".to_owned()
    } else {
        "writable (not read-only)".to_owned()
    }
}

/// `-rw-r--r-- (0644)` from a type letter and Unix mode bits.
///
/// Three groups of read, write, execute: for the owner, the group, everyone else. The
/// set-user-ID, set-group-ID and sticky bits show in the execute places as `s` and `t`
/// (upper case when the execute bit under them is off), as `ls -l` shows them.
pub fn mode_string(type_letter: char, mode: u32) -> String {
    let mut text = String::from(type_letter);
    for (shift, special_bit, special_letter) in
        [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')]
    {
        let bits = (mode >> shift) & 0o7;
        text.push(if bits & 0o4 != 0 { 'r' } else { '-' });
        text.push(if bits & 0o2 != 0 { 'w' } else { '-' });
        text.push(match (mode & special_bit != 0, bits & 0o1 != 0) {
            (true, true) => special_letter,
            (true, false) => special_letter.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    format!("{text} ({:04o})", mode & 0o7777)
}

/// Turns a failed lookup into a message that says what to check.
fn explain(path: &Path, error: io::Error) -> anyhow::Error {
    let hint = match error.kind() {
        ErrorKind::NotFound => {
            "nothing is there; check the spelling and the folder you are in (pwd)"
        }
        ErrorKind::PermissionDenied => {
            "you may not look inside a folder on that path (it lacks x permission for you)"
        }
        ErrorKind::NotADirectory => "a part of the path before the last is a file, not a folder",
        _ => "the OS refused to say",
    };
    anyhow::Error::new(error).context(format!("cannot examine {}: {hint}", path.display()))
}

/// Explains why `metadata` failed on a path that `symlink_metadata` could examine: almost
/// always a symbolic link whose target is missing or out of reach.
fn explain_unfollowable(path: &Path, error: io::Error) -> anyhow::Error {
    if !fs::symlink_metadata(path).is_ok_and(|itself| itself.is_symlink()) {
        return explain(path, error);
    }
    let target = match fs::read_link(path) {
        Ok(target) => target.display().to_string(),
        Err(_) => "its target".to_owned(),
    };
    let hint = match error.kind() {
        ErrorKind::NotFound => {
            format!("it points to {target}, which does not exist (a dangling link)")
        }
        _ => format!("it points to {target}, which cannot be examined"),
    };
    anyhow!(error).context(format!(
        "cannot follow the symbolic link {}: {hint}",
        path.display()
    ))
}

/// "1 path", "2 paths".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

// ANCHOR: human_size
/// A byte count for people: `1.3 KiB`, rounded to a tenth, in powers of 1024.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Integer arithmetic in tenths, so 1023.96 KiB rounds up to "1.0 MiB", not "1024.0 KiB".
    let mut unit: u128 = 1024;
    let mut tenths = 0;
    for (index, name) in UNITS.iter().enumerate() {
        tenths = (u128::from(bytes) * 10 + unit / 2) / unit;
        if tenths < 10 * 1024 || index == UNITS.len() - 1 {
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
        unit *= 1024;
    }
    format!("{tenths} tenths of an EiB")
}
// ANCHOR_END: human_size

// ANCHOR: time
/// Whole seconds from 1970-01-01T00:00:00Z to `time` (negative before it), rounded down.
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // Rounding down: 0.5 s before 1970 is in the second that starts at -1.
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

/// Unix seconds as an RFC 3339 date and time in UTC, such as `2024-01-01T00:00:00Z`.
///
/// The days-to-date conversion is Howard Hinnant's `civil_from_days`: exact for the
/// proleptic Gregorian calendar, with no table and no time zone data. Local time would
/// need the OS's time zone database; that is a job for a crate such as `jiff` or `chrono`.
pub fn rfc3339_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Shift the epoch to 0000-03-01, so that February, with its leap day, ends each year.
    let days = days + 719_468;
    let era = days.div_euclid(146_097); // 400-year cycles
    let day_of_era = days.rem_euclid(146_097); // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}
// ANCHOR_END: time

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn raw_output(arguments: &[&str]) -> String {
        let mut out = Vec::new();
        print_raw(arguments.iter().map(OsString::from), &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("the output is UTF-8")
    }

    #[test]
    fn raw_numbers_from_zero_and_quotes_each_argument() {
        let output = raw_output(&["prog", "one", "two words"]);
        assert_eq!(
            output,
            "std::env::args_os() handed over 3 arguments:\n  \
               0  \"prog\"  (argument 0: the program, as it was started)\n  \
               1  \"one\"\n  \
               2  \"two words\"\n"
        );
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z"); // leap day, 400-year rule
        assert_eq!(rfc3339_utc(1_704_067_199), "2023-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z"); // 2100 has no Feb 29
        assert_eq!(rfc3339_utc(-2_208_988_800), "1900-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_agrees_with_counting_days_one_by_one() {
        // An independent, slow count over 1600..2400: every day's date, including every
        // leap-year rule, must match the closed formula.
        let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_lengths = |y: i64| {
            [
                31,
                if is_leap(y) { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ]
        };
        let mut days_since_epoch: i64 = -135_140; // 1600-01-01
        for year in 1600..2400 {
            for (month, length) in month_lengths(year).into_iter().enumerate() {
                for day in 1..=length {
                    let expected = format!("{year:04}-{:02}-{day:02}T00:00:00Z", month + 1);
                    assert_eq!(rfc3339_utc(days_since_epoch * 86_400), expected);
                    days_since_epoch += 1;
                }
            }
        }
    }

    #[test]
    fn unix_seconds_round_down_on_both_sides_of_1970() {
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(500)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(2)), -2);
    }

    #[test]
    fn human_size_uses_powers_of_1024_and_never_shows_1024_of_a_unit() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1300), "1.3 KiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn mode_string_reads_like_ls() {
        assert_eq!(mode_string('-', 0o100644), "-rw-r--r-- (0644)");
        assert_eq!(mode_string('d', 0o40755), "drwxr-xr-x (0755)");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x (4755)");
        assert_eq!(mode_string('-', 0o2644), "-rw-r-Sr-- (2644)");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt (1777)");
        assert_eq!(mode_string('-', 0o000), "---------- (0000)");
    }

    #[test]
    fn bare_name_drops_the_folders_and_admits_when_there_is_none() {
        assert_eq!(bare_name(Path::new("/srv/files/notes.txt")), "notes.txt");
        assert_eq!(bare_name(Path::new("docs/")), "docs");
        assert!(bare_name(Path::new("..")).starts_with("(none"));
        assert!(bare_name(Path::new("/")).starts_with("(none"));
    }
}
