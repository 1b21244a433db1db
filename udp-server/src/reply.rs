//! The reply to one datagram: the datagram upper-cased, if the result fits in a datagram.

use std::net::SocketAddr;

use crate::datagram::max_payload;

// ANCHOR: reply
/// The reply to one datagram: the datagram upper-cased, if the result fits in a datagram.
pub fn reply_to(datagram: &[u8], peer: SocketAddr) -> Vec<u8> {
    let reply = shout(datagram);
    // Upper case can be longer than lower case ("ΐ" has 2 bytes, its upper case 6). A reply
    // that does not fit in one datagram cannot be sent at all: say so instead, as a notice
    // that starts in lower case ("error:"), which an upper-cased reply never does.
    let limit = max_payload(peer);
    if reply.len() > limit {
        return format!(
            "error: the upper-cased reply would be {} bytes; one datagram carries at most {limit}",
            reply.len()
        )
        .into_bytes();
    }
    reply
}

/// A datagram upper-cased.
///
/// Valid UTF-8 is upper-cased by Unicode rules ("straße" becomes "STRASSE"). Any other bytes
/// are not text we can interpret, so only the ASCII letters among them are upper-cased and
/// every other byte is sent back unchanged: the server never rejects or crashes on input.
/// An empty datagram is a valid message too, and gets an empty reply.
pub fn shout(datagram: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(datagram) {
        Ok(text) => text.to_uppercase().into_bytes(),
        Err(_) => datagram.to_ascii_uppercase(),
    }
}
// ANCHOR_END: reply

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagram::MAX_PAYLOAD_V4;

    fn v4_peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5000))
    }

    #[test]
    fn shout_uppercases_unicode() {
        assert_eq!(shout(b"hello"), b"HELLO");
        assert_eq!(shout("straße 你好".as_bytes()), "STRASSE 你好".as_bytes());
    }

    #[test]
    fn shout_passes_invalid_utf8_through_and_uppercases_ascii() {
        assert_eq!(shout(b"ab\xff\xfecd"), b"AB\xff\xfeCD");
    }

    #[test]
    fn an_empty_datagram_gets_an_empty_reply() {
        assert_eq!(reply_to(b"", v4_peer()), b"");
    }

    #[test]
    fn a_maximum_size_datagram_gets_a_maximum_size_reply() {
        let datagram = vec![b'a'; MAX_PAYLOAD_V4];
        assert_eq!(reply_to(&datagram, v4_peer()), vec![b'A'; MAX_PAYLOAD_V4]);
    }

    #[test]
    fn a_reply_that_grows_past_one_datagram_becomes_an_error_message() {
        // "ΐ" is 2 bytes; its upper case, three code points, is 6.
        let datagram = "ΐ".repeat(MAX_PAYLOAD_V4 / 2);
        let reply = reply_to(datagram.as_bytes(), v4_peer());
        let text = String::from_utf8(reply).expect("the error is text");
        assert!(
            text.starts_with("error: the upper-cased reply would be"),
            "{text}"
        );
        assert!(text.ends_with("at most 65507"), "{text}");
    }
}
