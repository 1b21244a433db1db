//! Failures that do not end the client: a lost reply or an oversized line is reported, and
//! the next message still goes.
//!
//! Each failure is printed on stderr in order, as `common::report` prints a fatal one; the
//! latest is held back until we know whether it was the only message (then it is the
//! client's error) or one of several (then the client ends with "N of M messages failed").

use std::io::{self, Write};

use anyhow::{Result, bail};

/// The failures so far, and how many messages there were.
#[derive(Debug, Default)]
pub struct Failures {
    total: usize,
    failed: usize,
    /// The latest failure, printed once we know whether it is the only message.
    unreported: Option<anyhow::Error>,
}

impl Failures {
    /// A message got its reply.
    pub fn succeeded(&mut self) {
        self.total += 1;
    }

    /// A message failed, and the client goes on with the next one.
    pub fn failed(&mut self, error: anyhow::Error) {
        self.total += 1;
        self.failed += 1;
        if let Some(previous) = self.unreported.replace(error) {
            print_error(&previous);
        }
    }

    /// A failure that ends the client: an earlier one still waiting is printed first, in
    /// order, and `error` is returned for the client to end with.
    pub fn last(&mut self, error: anyhow::Error) -> anyhow::Error {
        if let Some(previous) = self.unreported.take() {
            print_error(&previous);
        }
        error
    }

    /// The client's result once every message was sent.
    pub fn finish(self) -> Result<()> {
        match self.unreported {
            Some(error) if self.total == 1 => Err(error),
            Some(error) => {
                print_error(&error);
                bail!("{} of {} messages failed", self.failed, self.total)
            }
            None => Ok(()),
        }
    }
}

/// Prints a failure that does not end the client, the way `common::report` prints one that
/// does.
fn print_error(error: &anyhow::Error) {
    let _ = writeln!(io::stderr(), "error: {error:#}");
}
