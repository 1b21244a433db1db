//! Keeping count of the replies as bytes arrive, in whatever pieces TCP delivers them:
//! how many lines came back (to check each line got its answer), and whether the first
//! line is the server's `busy:` notice rather than a reply.

/// How a tcp-server notice that it is full begins. Notices start in lower case, which an
/// upper-cased reply never does, so this can never be mistaken for a reply.
const BUSY: &[u8] = b"busy:";

/// What has come back so far.
#[derive(Debug, Default)]
pub struct Replies {
    /// Complete reply lines received.
    pub lines: usize,
    /// The first bytes received, just enough to recognise a `busy:` notice.
    first_bytes: Vec<u8>,
}

impl Replies {
    /// Counts the bytes one `read` returned: a piece of a line, or several lines.
    pub fn add(&mut self, bytes: &[u8]) {
        self.lines += bytes.iter().filter(|&&b| b == b'\n').count();
        let wanted = BUSY
            .len()
            .saturating_sub(self.first_bytes.len())
            .min(bytes.len());
        self.first_bytes.extend_from_slice(&bytes[..wanted]);
    }

    /// Whether the server began by saying it is busy.
    pub fn busy(&self) -> bool {
        self.first_bytes == BUSY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_a_busy_notice_are_recognised_however_the_bytes_are_cut() {
        let mut replies = Replies::default();
        for piece in [&b"bu"[..], b"sy: full", b"\nNEXT\n"] {
            replies.add(piece);
        }
        assert!(replies.busy());
        assert_eq!(replies.lines, 2);

        let mut replies = Replies::default();
        replies.add(b"BUSY: IS A REPLY\n");
        assert!(!replies.busy());
    }
}
