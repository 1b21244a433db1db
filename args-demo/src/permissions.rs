//! Permissions as a student knows them from `ls -l`: Unix has mode bits, Windows only a
//! read-only flag, so this is the platform-specific part of the lesson.

use std::fs::Metadata;

/// The permissions as `ls -l` shows them, and in octal as `chmod` takes them.
#[cfg(unix)]
pub fn permissions(metadata: &Metadata) -> String {
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
pub fn permissions(metadata: &Metadata) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_string_reads_like_ls() {
        assert_eq!(mode_string('-', 0o100644), "-rw-r--r-- (0644)");
        assert_eq!(mode_string('d', 0o40755), "drwxr-xr-x (0755)");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x (4755)");
        assert_eq!(mode_string('-', 0o2644), "-rw-r-Sr-- (2644)");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt (1777)");
        assert_eq!(mode_string('-', 0o000), "---------- (0000)");
    }
}
