//! The lessons of the tour, one module and one function each. They are played TCP first,
//! since the other programs build on it, and SOCKS last, since a proxy uses both TCP and UDP;
//! each names the topics of the notes it covers.
//!
//! A lesson's function reads top to bottom like the chapter it tours: each numbered step is
//! announced ([`crate::narrator::Narrator::step`]) with the notes' call beside the Rust
//! call, then done with the real programs, then checked. The first check that fails ends
//! the lesson with an error (later steps build on it); its processes stop as the function
//! returns, and the tour goes on with the next lesson.

mod args;
mod file;
mod loss;
mod socks;
mod states;
mod tcp;
mod udp;

use anyhow::Result;

use crate::Session;

/// One lesson of the tour.
#[derive(Debug)]
pub struct Lesson {
    /// The name `--lesson` takes.
    pub name: &'static str,
    /// One line: what the lesson shows.
    pub title: &'static str,
    /// The workspace binaries it runs (each built from the package of the same name).
    pub programs: &'static [&'static str],
    /// The commands a student types to play it by hand: (which terminal, command).
    pub by_hand: &'static [(&'static str, &'static str)],
    /// Plays the lesson; `Err` at the first step that did not go as expected.
    pub run: fn(&mut Session<'_>) -> Result<()>,
}

/// Every lesson, in the order the tour plays them.
pub const LESSONS: &[Lesson] = &[
    tcp::LESSON,
    udp::LESSON,
    loss::LESSON,
    args::LESSON,
    file::LESSON,
    states::LESSON,
    socks::LESSON,
];
