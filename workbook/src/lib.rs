//! The workbook: the student writes each lesson's program; the real partner binaries of the
//! workspace check it on loopback, and say which step is wrong in the student's terms.
//!
//! * [`exercise`]: what an exercise is, and where its files live;
//! * [`lessons`]: every exercise and its checks, lesson by lesson;
//! * [`check`]: running programs and partners, for the checks;
//! * [`starter`]: each starter is derived from its tested solution;
//! * [`runner`]: the commands `cargo run -p workbook` offers.

pub mod check;
pub mod exercise;
pub mod lessons;
pub mod runner;
pub mod starter;
