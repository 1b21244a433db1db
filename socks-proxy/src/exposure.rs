//! Who can reach the proxy: `--listen` is checked before anything is bound, because a proxy
//! on an address other than loopback lends this machine's network to whoever finds it.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{Context, Result, anyhow, bail};

/// Turns `--listen` into one socket address.
pub(crate) fn resolve_listen_address(text: &str) -> Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| {
            format!("cannot listen on {text}: give the address as IP:PORT, e.g. 127.0.0.1:1080")
        })?
        .next()
        .ok_or_else(|| anyhow!("cannot listen on {text}: the name has no address"))
}

// ANCHOR: exposure
/// Decides whether listening on `addr` is allowed, and what to warn about.
///
/// Loopback is reachable only from this machine. Any other address makes the proxy
/// reachable by the network: it must be asked for (`--allow-public`), and without a
/// password it is an open proxy, which strangers find within hours and use to hide
/// their traffic behind your address.
pub fn exposure_check(
    addr: SocketAddr,
    allow_public: bool,
    authenticated: bool,
) -> Result<Vec<String>> {
    if addr.ip().to_canonical().is_loopback() {
        return Ok(Vec::new());
    }
    if !allow_public {
        bail!(
            "refusing to listen on {addr}: it is not a loopback address, so other machines \
             could use this proxy. Listen on 127.0.0.1 or [::1], or pass --allow-public \
             (and --user NAME:PASSWORD) if that is really what you want"
        );
    }
    if authenticated {
        return Ok(Vec::new());
    }
    let line = "!".repeat(78);
    Ok(vec![
        line.clone(),
        format!("WARNING: OPEN PROXY. Listening on {addr} without --user:"),
        "anyone who can reach this address can send traffic through this machine,".to_owned(),
        "and it will look as if it came from you. Add --user NAME:PASSWORD.".to_owned(),
        line,
    ])
}
// ANCHOR_END: exposure

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("a valid test address")
    }

    #[test]
    fn loopback_is_always_allowed_and_public_needs_a_flag() {
        assert!(
            exposure_check(addr("127.0.0.1:1080"), false, false)
                .expect("ok")
                .is_empty()
        );
        assert!(
            exposure_check(addr("[::1]:1080"), false, false)
                .expect("ok")
                .is_empty()
        );
        let refused = exposure_check(addr("0.0.0.0:1080"), false, true).expect_err("refused");
        assert!(refused.to_string().contains("--allow-public"));
        assert!(
            exposure_check(addr("0.0.0.0:1080"), true, true)
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn public_without_a_password_warns_of_an_open_proxy() {
        let warning = exposure_check(addr("[::]:1080"), true, false)
            .expect("allowed")
            .join("\n");
        assert!(warning.contains("WARNING: OPEN PROXY"), "{warning}");
    }
}
