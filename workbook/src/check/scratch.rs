//! Scratch folders: the args and file lessons' checks both need files of their own on disk,
//! each check in a folder that no other check shares and that nothing outlives.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

/// A scratch folder of its own for one check, under the system's temporary folder; removed
/// with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new, empty folder whose name says which check made it.
    pub fn new(what: &str) -> Result<Scratch> {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "workbook-{what}-{}-{}-{nanos}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        // `create_dir`, not `create_dir_all`: it fails if the folder exists, so two checks
        // never share one.
        fs::create_dir(&path)
            .with_context(|| format!("cannot create the scratch folder {}", path.display()))?;
        Ok(Scratch(path))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `relative` inside the folder, creating the folders between.
    pub fn file(&self, relative: impl AsRef<Path>, contents: &[u8]) -> Result<PathBuf> {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
