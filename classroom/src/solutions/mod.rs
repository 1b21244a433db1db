//! Solutions to the book's exercises, one module per chapter, kept apart from the lessons.
//!
//! Only exercises whose answer is code are here; the others are answered in words on the
//! book's "Exercise solutions" page. Each solution is small, reuses the lesson's own code
//! where the exercise asks for a change to it, and is tested on loopback, on port 0.

pub mod args;
pub mod file_transfer;
pub mod handshake;
pub mod sliding_window;
pub mod socks;
pub mod states;
pub mod tcp;
pub mod teardown;
pub mod udp;
pub mod watching_states;
