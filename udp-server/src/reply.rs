//! The reply to one datagram: the datagram upper-cased, never longer than the datagram, so
//! the server cannot be used to amplify traffic towards a forged source address.

use std::net::SocketAddr;

use crate::datagram::max_payload;

// ANCHOR: reply
/// The reply to one datagram: the datagram upper-cased, at most as long as the datagram.
pub fn reply_to(datagram: &[u8], peer: SocketAddr) -> Vec<u8> {
    let mut reply = shout(datagram);
    // Upper case can be longer than lower case ("ΐ" has 2 bytes, its upper case 6). A reply
    // that does not fit in one datagram cannot be sent at all: say so instead, as a notice
    // that starts in lower case ("error:"), which an upper-cased reply never does.
    let limit = max_payload(peer);
    if reply.len() > limit {
        reply = format!(
            "error: the upper-cased reply would be {} bytes; one datagram carries at most {limit}",
            reply.len()
        )
        .into_bytes();
    }
    // UDP does not check the source address: anyone can send us a datagram that claims to
    // come from a victim, and we answer the victim. A reply larger than its request would
    // turn the server into an amplifier, so cut it to the request's size.
    cut_to(&mut reply, datagram.len());
    reply
}

/// Cuts `reply` to at most `size` bytes, at a character boundary when it is UTF-8 text.
fn cut_to(reply: &mut Vec<u8>, size: usize) {
    if reply.len() <= size {
        return;
    }
    let end = match std::str::from_utf8(reply) {
        Ok(text) => (0..=size)
            .rev()
            .find(|&end| text.is_char_boundary(end))
            .unwrap_or(0),
        Err(_) => size,
    };
    reply.truncate(end);
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
    fn a_reply_is_never_longer_than_its_request() {
        // "ŉ" is 2 bytes and its upper case "ʼN" 3; "ΐ" is 2 and its upper case 6.
        assert_eq!(reply_to("ŉ".as_bytes(), v4_peer()), "ʼ".as_bytes());
        assert_eq!(
            reply_to("ΐΐ".as_bytes(), v4_peer()),
            "\u{399}\u{308}".as_bytes()
        );
        assert_eq!(reply_to("aŉ".as_bytes(), v4_peer()), "Aʼ".as_bytes());
        // A request that does not grow comes back whole ("ß" and "SS" are both 2 bytes).
        assert_eq!(reply_to("straße".as_bytes(), v4_peer()), b"STRASSE");
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
