//! Files that two lessons each keep a copy of, so that each lesson reads on its own, must
//! stay identical: a fix made in one copy must reach the other.

use std::path::Path;

/// Each group: paths from the workspace root whose contents must be the same.
const COPIES: &[&[&str]] = &[&["tcp-server/src/line.rs", "file-recv/src/line.rs"]];

#[test]
fn copied_files_are_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for group in COPIES {
        let read = |path: &str| {
            std::fs::read_to_string(root.join(path))
                .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        };
        let first = read(group[0]);
        for other in &group[1..] {
            assert!(
                read(other) == first,
                "{other} differs from {}: copy the fixed file over the other",
                group[0]
            );
        }
    }
}
