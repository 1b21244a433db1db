//! The file to send: only a regular file has a size to announce, and only a name that is
//! valid UTF-8 without control characters can go into the announcement line.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Why the file at `path` cannot be opened or looked at, in words.
pub(crate) fn cannot_open(error: io::Error, path: &Path) -> anyhow::Error {
    let shown = path.display();
    let message = match error.kind() {
        ErrorKind::NotFound => format!(
            "no file at {shown}: check the path (a relative path starts in the current \
             directory)"
        ),
        ErrorKind::PermissionDenied => format!("cannot read {shown}: permission denied"),
        _ => format!("cannot open {shown}"),
    };
    anyhow::Error::new(error).context(message)
}

/// Refuses anything but a regular file: a directory, a device or a named pipe (FIFO) has no
/// size to announce, and opening a FIFO waits until some program writes to it.
pub(crate) fn check_regular_file(metadata: &fs::Metadata, path: &Path) -> Result<()> {
    let shown = path.display();
    if metadata.is_dir() {
        bail!(
            "{shown} is a directory: file-send sends one file (pack a folder first, \
             e.g. `tar cf folder.tar folder`)"
        );
    }
    if !metadata.is_file() {
        bail!("{shown} is not a regular file (a device or a pipe has no size to announce)");
    }
    Ok(())
}

/// The bare name of `path` (no folders: they mean nothing on the receiver's machine).
pub(crate) fn bare_name(path: &Path) -> Result<String> {
    let shown = path.display();
    let name = path
        .file_name()
        .with_context(|| format!("{shown} does not end in a file name"))?
        .to_str()
        .with_context(|| {
            format!("the name of {shown} is not valid UTF-8: rename the file before sending it")
        })?;
    if name.chars().any(char::is_control) {
        bail!("the name of {shown} contains control characters: rename it before sending it");
    }
    Ok(name.to_owned())
}
