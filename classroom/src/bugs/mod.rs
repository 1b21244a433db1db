//! Spot the bug: four bugs that real teaching code has, each buggy and fixed side by side.
//!
//! Each module holds a function with the bug (its name ends in `_buggy`), the same function
//! fixed (`_fixed`), and tests that make the bug happen every time, then show that the fix
//! holds. The book's "Spot the bug" page shows the two versions and hides the answer.
//!
//! | module         | the bug                                   | what it costs               |
//! |----------------|-------------------------------------------|-----------------------------|
//! | [`write_all`]  | a bare `write`, its count ignored         | the end of a message, lost  |
//! | [`whole_buffer`] | echoing `&buf` instead of `&buf[..n]`   | stale bytes sent as data    |
//! | [`one_read`]   | one `read` taken as one message           | messages cut or glued       |
//! | [`file_name`]  | a received file name used as a path       | files written anywhere      |

pub mod file_name;
pub mod one_read;
pub mod whole_buffer;
pub mod write_all;
