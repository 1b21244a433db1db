//! The classroom kit: the code behind the book's part "For teachers".
//!
//! Two kinds of code live here, both built and tested by `cargo test -p classroom`, so the
//! book's solutions and bug hunts cannot drift from working Rust:
//!
//! * [`solutions`]: one module per chapter, each solving a few of that chapter's exercises
//!   that have an answer in code. Each is tested on loopback, on port 0.
//! * [`bugs`]: the four bugs that real teaching code has, each as a buggy function and its
//!   fix side by side, with tests that make the bug happen on purpose, every time.
//!
//! [`doubles`] holds the two stand-ins the bug tests use to make TCP's freedoms (a short
//! `write`, a `read` that returns a piece of a message) happen deterministically.

pub mod bugs;
pub mod doubles;
pub mod solutions;
