//! Room on the disk: a file the target folder's free space cannot hold is refused before
//! `OK`, and the unfinished files of all senders together stay under `--max-unfinished`, so
//! senders cannot fill the disk with files they announce and never finish.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::transfer::Failure;

/// Free space the receiver never counts on: other programs need the disk too, and the
/// figure can shrink between our check and our writes.
pub(crate) const MARGIN: u64 = 64 << 20;

/// The bytes promised to the transfers under way, and their bound.
#[derive(Debug)]
pub(crate) struct Space {
    promised: AtomicU64,
    max_unfinished: u64,
}

/// Room promised to one transfer; dropping it (stored, refused or failed) gives it back.
#[derive(Debug)]
pub(crate) struct Promise<'a> {
    space: &'a Space,
    size: u64,
}

impl Space {
    pub(crate) fn new(max_unfinished: u64) -> Space {
        Space {
            promised: AtomicU64::new(0),
            max_unfinished,
        }
    }

    /// Promises `size` bytes in `dir` to one transfer, or says why not: `error:` for a file
    /// that can never fit, `busy:` while the other transfers' files leave too little room.
    pub(crate) fn promise(&self, dir: &Path, size: u64) -> Result<Promise<'_>, Failure> {
        let free = free_space(dir);
        if let Some(free) = free
            && !fits(size, 0, free)
        {
            return Err(Failure::Refused(format!(
                "not enough free space: the file is {size} bytes, the target folder has \
                 {free} bytes free, and the receiver keeps {MARGIN} bytes spare"
            )));
        }
        let max = self.max_unfinished;
        if size > max {
            return Err(Failure::Refused(format!(
                "too large: {size} bytes, more than the {max} bytes the receiver takes in at \
                 once (--max-unfinished)"
            )));
        }
        // The others' whole files count, though part of each may be on disk already: a
        // cautious estimate, never a promise the disk cannot keep.
        self.promised
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |promised| {
                let total = promised.checked_add(size).filter(|&total| total <= max)?;
                free.is_none_or(|free| fits(size, promised, free))
                    .then_some(total)
            })
            .map_err(|promised| {
                Failure::Busy(format!(
                    "{promised} bytes are being received already; {size} more would not fit \
                     (--max-unfinished is {max} bytes; free space in the target folder: {}); \
                     try again later",
                    free.map_or_else(|| "unknown".to_owned(), |free| format!("{free} bytes"))
                ))
            })?;
        Ok(Promise { space: self, size })
    }
}

impl Drop for Promise<'_> {
    fn drop(&mut self) {
        self.space.promised.fetch_sub(self.size, Ordering::AcqRel);
    }
}

/// Whether `size` bytes fit into `free` once `others` bytes and the margin are set aside.
fn fits(size: u64, others: u64, free: u64) -> bool {
    size.saturating_add(others).saturating_add(MARGIN) <= free
}

/// The bytes an unprivileged program may still write in `dir`'s file system, if known.
#[cfg(unix)]
pub(crate) fn free_space(dir: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    // The field types differ between Unix systems (u32 on some, u64 on others).
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let (blocks, block_size) = (stat.blocks_available() as u64, stat.fragment_size() as u64);
    Some(blocks.saturating_mul(block_size))
}

/// Elsewhere the check is skipped: a full disk is still reported when a write fails.
#[cfg(not(unix))]
pub(crate) fn free_space(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_fits_only_with_the_margin_and_the_others_set_aside() {
        let free = 1 << 30;
        assert!(fits(free - MARGIN, 0, free));
        assert!(!fits(free - MARGIN + 1, 0, free));
        assert!(!fits(free - MARGIN, 1, free));
        assert!(!fits(u64::MAX, u64::MAX, free));
    }

    #[test]
    fn promises_are_bounded_and_given_back() {
        let dir = std::env::temp_dir();
        let space = Space::new(1000);
        let first = space.promise(&dir, 600).expect("fits");
        assert!(matches!(space.promise(&dir, 500), Err(Failure::Busy(_))));
        assert!(matches!(
            space.promise(&dir, 1001),
            Err(Failure::Refused(_))
        ));
        let second = space.promise(&dir, 400).expect("fits exactly");
        drop((first, second));
        assert!(space.promise(&dir, 1000).is_ok());
    }
}
