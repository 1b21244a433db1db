//! What the lessons share at run time, and nothing more.
//!
//! Every lesson can be read without opening this crate. What lives here are the few
//! decisions that must agree *between* programs: the default address of each lesson, so that
//! a server and its client started with no arguments find each other and no two lessons
//! collide; the line every server prints first; and how a program reports a fatal error.
//! The tests' helpers live in the `testkit` crate, a dev-dependency only.

/// `tcp-server` listens here and `tcp-client` connects here by default.
///
/// Loopback (`127.0.0.1`) means only programs on this machine can connect: a classroom
/// example should never be reachable from the café's Wi-Fi. Port 8000 is above 1024, so no
/// administrator rights are needed on any OS.
pub const TCP_ADDR: &str = "127.0.0.1:8000";

/// `udp-server` binds here and `udp-client` sends here by default.
///
/// TCP and UDP ports are separate name spaces, so 8000 would work; a port of its own keeps
/// `ss`/`netstat` listings unambiguous when a student runs both lessons at once.
pub const UDP_ADDR: &str = "127.0.0.1:8001";

/// `file-recv` listens here and `file-send` sends here by default.
pub const FILE_ADDR: &str = "127.0.0.1:8002";

/// The `tcp-states` lab opens its one connection to this port, so a teacher can type the
/// `ss`/`netstat` filter before starting it.
pub const STATES_ADDR: &str = "127.0.0.1:8003";

/// `socks-proxy` listens here by default: 1080 is the port every SOCKS client assumes.
pub const SOCKS_ADDR: &str = "127.0.0.1:1080";

/// The first line every server prints on stdout, followed by the address it really bound.
///
/// Tests (and the guided tour) wait for this line instead of sleeping: when it appears, the
/// socket is bound and listening, so a `connect` cannot be refused any more.
pub const LISTENING_PREFIX: &str = "listening on ";

/// Ends a lesson's `main`: prints an error as one readable line on stderr, exit code 1.
///
/// `fn main() -> anyhow::Result<()>` would print the error's debug form, which grows a
/// stack trace when `RUST_BACKTRACE` is set: noise for a student. `{:#}` prints the whole
/// chain of context on one line: "cannot listen on 127.0.0.1:8000: ...: Address already
/// in use (os error 98)".
pub fn report(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
