//! How long the client waits for replies. A person may think for minutes before typing the
//! next line, so silence counts only once everything has been sent: from then on, a server
//! that says nothing for `--timeout` seconds is reported instead of waited for for ever.

use std::time::{Duration, Instant};

/// The clock of the server's silence, started when the input is done.
#[derive(Debug)]
pub struct Silence {
    limit: Duration,
    since: Option<Instant>,
}

impl Silence {
    /// A clock that expires after `limit` of silence.
    pub fn new(limit: Duration) -> Silence {
        Silence { limit, since: None }
    }

    /// Bytes arrived: the server is alive; the clock starts again at the next silence.
    pub fn heard(&mut self) {
        self.since = None;
    }

    /// Nothing arrived for a while, and all our lines are sent: has the silence lasted
    /// longer than the limit?
    pub fn too_long(&mut self) -> bool {
        self.since.get_or_insert_with(Instant::now).elapsed() >= self.limit
    }
}
