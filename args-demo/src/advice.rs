//! Error messages that say what to check: a std I/O error names neither the path nor a
//! remedy ("No such file or directory"), so each failed lookup gets both here.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::Path;

use anyhow::anyhow;

/// Turns a failed lookup into a message that names the path and says what to check.
pub fn explain(path: &Path, error: io::Error) -> anyhow::Error {
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
pub fn explain_unfollowable(path: &Path, error: io::Error) -> anyhow::Error {
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

/// "1 path", "2 paths": for the summary line after the failures.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
