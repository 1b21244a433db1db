//! Every exercise, lesson by lesson, in the order of the book's chapters.

use crate::exercise::Exercise;

pub mod args;
pub mod file;
pub mod tcp;
pub mod udp;

/// Every exercise, in the order a student takes them.
pub fn all() -> Vec<&'static Exercise> {
    [
        tcp::EXERCISES,
        udp::EXERCISES,
        args::EXERCISES,
        file::EXERCISES,
    ]
    .into_iter()
    .flatten()
    .collect()
}
