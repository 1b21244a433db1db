//! The args lesson's exercises.

use crate::exercise::Exercise;

/// In the order of the chapter.
pub const EXERCISES: &[Exercise] = &[];
