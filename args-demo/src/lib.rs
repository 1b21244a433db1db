//! The command-line arguments and file attributes lesson: the notes' two steps, `os.Args`
//! and then `os.Stat`, done so that nothing a user types can make them panic or mislead.
//!
//! The notes version is `examples/notes-args.rs`; each weakness named there is answered
//! here, in the same order, with the same step numbers:
//!
//! 1. The arguments: `args-demo raw ...` prints them exactly as the operating system handed
//!    them over, numbered from 0 (Go's `os.Args`); `args-demo parsed ...` shows clap turning
//!    them into checked, typed options, as a file sender needs.
//! 2. `args-demo stat PATH...`: what the OS knows about each path (Go's `os.Stat`),
//! 3. its bare name (`Name()`),
//! 4. and its size (`Size()`), then its kind, permissions and time.
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
//! The machinery lives in modules named for what they do: [`cli`] (the command line clap
//! parses), [`advice`] (error messages that say what to check), [`kinds`], [`permissions`],
//! [`sizes`] and [`times`] (formatting what `metadata` returns).
//!
//! The file sender (`file-send`) starts with exactly these steps: its arguments give it a
//! path, and `metadata` gives it the bare name and the size it announces to the receiver.

pub mod advice;
pub mod cli;
pub mod kinds;
pub mod permissions;
pub mod sizes;
pub mod times;

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use cli::{Config, Part, SendOptions};
pub use permissions::mode_string;
pub use sizes::human_size;
pub use times::{rfc3339_utc, unix_seconds};

// ANCHOR: run
/// Runs the part of the lesson that `config` names, printing on stdout.
pub fn run(config: Config) -> Result<()> {
    let mut out = io::stdout().lock();
    match config.part {
        // Part 1 reads the arguments from the OS itself: what clap collected is ignored.
        // `args_os()`, not `args()`: it hands over `OsString`s, so it cannot panic.
        Part::Raw { arguments: _ } => {
            print_raw(std::env::args_os(), &mut out).context("cannot write to stdout")
        }
        Part::Parsed(options) => print_parsed(&options, &mut out).context("cannot write to stdout"),
        Part::Stat { paths } => stat_all(&paths, &mut out, &mut io::stderr()),
    }
}
// ANCHOR_END: run

// -------------------------------------------------------------------------------------------
// Step 1: the arguments (Go's os.Args), as the OS hands them over.
// -------------------------------------------------------------------------------------------

// ANCHOR: raw
/// Prints each argument numbered from 0, quoted, exactly as the OS handed it over.
///
/// `arguments` is `std::env::args_os()` when the program runs; tests pass their own.
pub fn print_raw(
    arguments: impl IntoIterator<Item = OsString>,
    out: &mut impl Write,
) -> io::Result<()> {
    // 1. list := os.Args. The shell has already split the command line into words and
    //    removed the quotes; the program receives a list, never a line. `OsString` holds
    //    any bytes (Unix) or UTF-16 (Windows), so taking the list cannot fail, where
    //    `std::env::args()` panics on the first argument that is not valid Unicode (the
    //    notes version's weakness "non-Unicode argument").
    let arguments: Vec<OsString> = arguments.into_iter().collect();
    writeln!(
        out,
        "std::env::args_os() handed over {} arguments:",
        arguments.len()
    )?;
    for (index, argument) in arguments.iter().enumerate() {
        // Argument 0 is the program itself, as the caller named it (the shell passes what
        // you typed); what you wrote after it starts at 1, like the notes' os.Args[1].
        let mut note = String::new();
        if index == 0 {
            note.push_str("  (argument 0: the program, as it was started)");
        }
        // Ask for text only where it is safe: `to_str` answers None for an argument that
        // is not valid Unicode, instead of panicking.
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

// ANCHOR: parsed
/// Prints the typed values that clap made of the arguments.
pub fn print_parsed(options: &SendOptions, out: &mut impl Write) -> io::Result<()> {
    // 1, with clap. `SendOptions` (in `cli.rs`) declares what the program accepts; its doc
    // comments are the --help text, its field types say how each argument is converted.
    // clap parsed the arguments before this function ran (`Config::parse()` in main): on
    // a wrong or missing one it printed the error and the usage and exited with code 2.
    // So the values are typed and checked already: no `args[1]` that panics when nothing
    // was typed (the weakness "no argument"), no parsing of numbers here.
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
// Steps 2 to 4: file attributes (Go's os.Stat, Name() and Size()).
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
    // 1. The paths come from the arguments: clap collected them as `PathBuf`s, which hold
    //    any file name the OS allows, and refused to run with none.
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
            advice::count(paths.len(), "path")
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
    // Go's os.Lstat(path) is `fs::symlink_metadata(path)`: the path itself, so a link
    // reports that it is a link, and a link whose target is gone can still be shown (the
    // weakness "dangling link"). When even this fails, nothing is there: say which path
    // and what to check (the weakness "unexplained error").
    let itself = match fs::symlink_metadata(path) {
        Ok(itself) => itself,
        Err(error) => {
            return Report {
                lines: Vec::new(),
                problem: Some(advice::explain(path, error)),
            };
        }
    };

    let mut lines = vec![path.display().to_string()];
    // 3. Go's Name() is `file_name()`: the last part of the path, without its folders.
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
            problem = Some(advice::explain_unfollowable(path, error));
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

// ANCHOR: bare_name
/// The last component of `path`, or why there is none.
///
/// `..`, `.` and `/` have no last name: a file sender must refuse them rather than send
/// a name that would mean "the folder above" to the receiver (the weakness "no bare name").
pub fn bare_name(path: &Path) -> String {
    match path.file_name() {
        Some(name) => Path::new(name).display().to_string(),
        None => "(none: the path ends in `.` or `..`, or is a root)".to_owned(),
    }
}
// ANCHOR_END: bare_name

// ANCHOR: attributes
/// The attribute lines for one `Metadata`; `link_target` is where a symbolic link points.
fn attributes(metadata: &Metadata, link_target: Option<&Path>) -> Vec<String> {
    let file_type = metadata.file_type();
    let kind = match link_target {
        Some(target) => format!("{} to {}", kinds::kind(file_type), target.display()),
        None => kinds::kind(file_type).to_owned(),
    };
    // 4. Go's Size() is `len()`: the number of bytes in a file. A folder's size is that of
    //    its own list of entries, and a link's is the length of the path it holds: the
    //    kind comes first and the size says so (the weakness "folder size").
    let bytes = metadata.len();
    let size_note = if file_type.is_dir() {
        ": the folder's own list of entries, not its contents"
    } else if file_type.is_symlink() {
        ": usually the length of the path it holds"
    } else {
        ""
    };
    // Beyond the notes: the permissions (Go's Mode()), as Unix mode bits where there are
    // some and the read-only flag elsewhere, and the time (ModTime()), shown in UTC.
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
        format!("    permissions {}", permissions::permissions(metadata)),
        format!("    modified    {modified}"),
    ]
}
// ANCHOR_END: attributes

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bare_name_drops_the_folders_and_admits_when_there_is_none() {
        assert_eq!(bare_name(Path::new("/srv/files/notes.txt")), "notes.txt");
        assert_eq!(bare_name(Path::new("docs/")), "docs");
        assert!(bare_name(Path::new("..")).starts_with("(none"));
        assert!(bare_name(Path::new("/")).starts_with("(none"));
    }
}
