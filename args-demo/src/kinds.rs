//! The kind of a file in words (file, directory, symbolic link, and the kinds only Unix
//! has), so the lesson can say what a path is before a sender tries to read it.

use std::fs::FileType;

/// The kind of file, in words.
pub fn kind(file_type: FileType) -> &'static str {
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
