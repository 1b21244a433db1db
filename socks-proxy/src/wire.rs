//! The SOCKS wire formats: pure functions from bytes to messages and back, no sockets.
//!
//! Each message of SOCKS4 (and its extension SOCKS4a), SOCKS5 (RFC 1928) and its
//! username/password sub-negotiation (RFC 1929) has a parser and an encoder here, with the
//! layout drawn as a table above the parser. The proxy in `lib.rs` only moves bytes between
//! sockets and these functions; keeping them apart means every rule of the protocol can be
//! tested with plain byte strings, including the hostile ones.
//!
//! TCP is a byte stream, so a `read` may return half a message. Every parser therefore looks
//! at the *start* of a buffer and answers one of three things:
//!
//! * `Ok((message, used))`: a whole message, made of the first `used` bytes; any bytes after
//!   them belong to what comes next (a client may send its data before our reply);
//! * `Err(WireError::Incomplete)`: everything so far is valid, read more and ask again;
//! * any other `Err`: the bytes can never become a valid message; the connection is lost.
//!
//! A parser never panics and never waits for more bytes than its message can hold: each
//! message has a maximum size (`MAX_*`), and a buffer that long is always decided. That is
//! what bounds the memory a hostile client can make the proxy hold.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

/// The first byte of every SOCKS4 and SOCKS4a message from a client.
pub const SOCKS4: u8 = 4;
/// The first byte of every SOCKS5 message.
pub const SOCKS5: u8 = 5;
/// The first byte of the RFC 1929 username/password messages (their own version number).
pub const AUTH_VERSION: u8 = 1;

/// The longest SOCKS4 user id we accept, without its terminating zero byte.
///
/// The field has no length prefix: it ends at the first zero byte, so without a bound a
/// client could send user id bytes for ever. 255 matches the longest SOCKS5 field.
pub const MAX_SOCKS4_USER_ID: usize = 255;
/// The longest SOCKS4a host name, without its terminating zero byte (the DNS limit is 253).
pub const MAX_SOCKS4A_NAME: usize = 255;
/// The longest SOCKS4/4a request: the fixed 8 bytes, then user id and name with their zeros.
pub const MAX_SOCKS4_REQUEST: usize = 8 + MAX_SOCKS4_USER_ID + 1 + MAX_SOCKS4A_NAME + 1;
/// The longest SOCKS5 greeting: version, count, 255 methods.
pub const MAX_GREETING: usize = 2 + 255;
/// The longest RFC 1929 request: version, then two fields of at most 255 bytes with lengths.
pub const MAX_AUTH_REQUEST: usize = 1 + 1 + 255 + 1 + 255;
/// The longest SOCKS5 request: 4 fixed bytes, a 255-byte name with its length, a port.
pub const MAX_REQUEST: usize = 4 + 1 + 255 + 2;

/// Why bytes are not (yet) a valid message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Valid so far, but the message is not complete: read more bytes.
    Incomplete,
    /// The version byte is not the one this message must start with.
    WrongVersion { expected: u8, found: u8 },
    /// A SOCKS5 greeting that offers no authentication method at all.
    NoMethods,
    /// A command code this protocol does not define.
    UnknownCommand(u8),
    /// A SOCKS5 address type other than 1 (IPv4), 3 (domain name) or 4 (IPv6).
    UnknownAddressType(u8),
    /// A host name of length zero.
    EmptyName,
    /// A host name that is not text (names are ASCII; international ones are punycode).
    NameNotText,
    /// A SOCKS4 user id without its zero byte within [`MAX_SOCKS4_USER_ID`] bytes.
    UserIdTooLong,
    /// A SOCKS4a host name without its zero byte within [`MAX_SOCKS4A_NAME`] bytes.
    NameTooLong,
    /// A reply or status code that the protocol does not define (client side).
    UnknownReply(u8),
    /// A message that cannot be encoded: a field is empty or longer than 255 bytes.
    FieldLength,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Incomplete => write!(f, "the message is incomplete"),
            WireError::WrongVersion { expected, found } => {
                write!(f, "version byte {found} where {expected} was expected")
            }
            WireError::NoMethods => write!(f, "the greeting offers no authentication method"),
            WireError::UnknownCommand(code) => write!(f, "unknown command {code:#04x}"),
            WireError::UnknownAddressType(code) => write!(f, "unknown address type {code:#04x}"),
            WireError::EmptyName => write!(f, "empty host name"),
            WireError::NameNotText => write!(f, "the host name is not UTF-8 text"),
            WireError::UserIdTooLong => {
                write!(f, "no end to the user id in {MAX_SOCKS4_USER_ID} bytes")
            }
            WireError::NameTooLong => {
                write!(f, "no end to the host name in {MAX_SOCKS4A_NAME} bytes")
            }
            WireError::UnknownReply(code) => write!(f, "unknown reply code {code:#04x}"),
            WireError::FieldLength => write!(f, "a field is empty or longer than 255 bytes"),
        }
    }
}

impl std::error::Error for WireError {}

/// A parsed message and how many bytes of the buffer it used.
pub type Parsed<T> = Result<(T, usize), WireError>;

/// A host name sent to the proxy to resolve: 1 to 255 bytes of text.
///
/// The bound is the SOCKS5 length byte; holding it in the type makes every encoder that
/// writes a name infallible.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

impl DomainName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// For logs and error messages: the client's text, escaped ([`crate::escape`]).
impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::escape::Escaped(&self.0).fmt(f)
    }
}

impl TryFrom<String> for DomainName {
    type Error = WireError;

    fn try_from(name: String) -> Result<Self, WireError> {
        match name.len() {
            0 => Err(WireError::EmptyName),
            1..=255 => Ok(DomainName(name)),
            _ => Err(WireError::FieldLength),
        }
    }
}

impl TryFrom<&[u8]> for DomainName {
    type Error = WireError;

    fn try_from(bytes: &[u8]) -> Result<Self, WireError> {
        let text = std::str::from_utf8(bytes).map_err(|_| WireError::NameNotText)?;
        DomainName::try_from(text.to_owned())
    }
}

/// Where the client wants to go: an address, or a name for the proxy to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Addr(SocketAddr),
    Name(DomainName, u16),
}

impl Target {
    /// The port part of the target.
    pub fn port(&self) -> u16 {
        match self {
            Target::Addr(addr) => addr.port(),
            Target::Name(_, port) => *port,
        }
    }
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Target {
        Target::Addr(addr)
    }
}

/// For logs and error messages: a name is the client's text, so it is shown escaped.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Addr(addr) => write!(f, "{addr}"),
            Target::Name(name, port) => write!(f, "{name}:{port}"),
        }
    }
}

/// What a client asks the proxy to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Open a TCP connection to the target and relay bytes both ways.
    Connect = 1,
    /// Listen for one TCP connection *from* the target (for protocols such as active FTP).
    Bind = 2,
    /// SOCKS5 only: relay UDP datagrams for as long as this TCP connection stays open.
    UdpAssociate = 3,
}

impl Command {
    fn from_code(code: u8) -> Result<Command, WireError> {
        match code {
            1 => Ok(Command::Connect),
            2 => Ok(Command::Bind),
            3 => Ok(Command::UdpAssociate),
            other => Err(WireError::UnknownCommand(other)),
        }
    }
}

/// Reads a byte slice front to back; running out of bytes means "incomplete".
struct Fields<'a> {
    bytes: &'a [u8],
    used: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields { bytes, used: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let field = self
            .bytes
            .get(self.used..self.used + n)
            .ok_or(WireError::Incomplete)?;
        self.used += n;
        Ok(field)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    /// A 2-byte number in network byte order (big-endian), as every SOCKS port is sent.
    fn u16(&mut self) -> Result<u16, WireError> {
        let field = self.take(2)?;
        Ok(u16::from_be_bytes([field[0], field[1]]))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn version(&mut self, expected: u8) -> Result<(), WireError> {
        match self.u8()? {
            found if found == expected => Ok(()),
            found => Err(WireError::WrongVersion { expected, found }),
        }
    }

    /// Bytes up to a zero byte (consumed but not returned), looking at most `max` bytes
    /// ahead for it. Fails with `too_long` when `max` bytes came and none was zero.
    fn zero_terminated(&mut self, max: usize, too_long: WireError) -> Result<&'a [u8], WireError> {
        let rest = &self.bytes[self.used..];
        let window = &rest[..rest.len().min(max + 1)];
        match window.iter().position(|&b| b == 0) {
            Some(end) => {
                self.used += end + 1;
                Ok(&window[..end])
            }
            None if window.len() > max => Err(too_long),
            None => Err(WireError::Incomplete),
        }
    }

    fn done<T>(self, message: T) -> Parsed<T> {
        Ok((message, self.used))
    }
}

// ---------------------------------------------------------------------------------------
// SOCKS4 and SOCKS4a
// ---------------------------------------------------------------------------------------

/// A SOCKS4 or SOCKS4a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socks4Request {
    /// [`Command::Connect`] or [`Command::Bind`]: SOCKS4 has no UDP.
    pub command: Command,
    /// An IPv4 address (SOCKS4), or a name for the proxy to resolve (SOCKS4a).
    pub target: Target,
    /// A name for the user, meant for an `identd` check. It proves nothing: anyone can
    /// send any user id, which is why SOCKS4 has no real authentication.
    pub user_id: Vec<u8>,
}

// ANCHOR: socks4_request
/// Parses a SOCKS4 request, or a SOCKS4a one (a name for the proxy to resolve).
///
/// ```text
/// SOCKS4   +----+----+---------+-----------------+-----------+----+
///          | VN | CD | DSTPORT |      DSTIP      |  USERID   | 00 |
///          +----+----+---------+-----------------+-----------+----+
///   bytes     1    1      2             4          variable     1
///
/// SOCKS4a  +----+----+---------+-----------------+-----------+----+----------+----+
///          | VN | CD | DSTPORT | 0 . 0 . 0 . x   |  USERID   | 00 | HOSTNAME | 00 |
///          +----+----+---------+-----------------+-----------+----+----------+----+
///   bytes     1    1      2         4, x != 0      variable     1    variable   1
///
/// VN = 4   CD = 1 CONNECT, 2 BIND   DSTPORT, DSTIP: network byte order
/// ```
///
/// An IPv4 address 0.0.0.x with x not zero cannot be a real destination, so SOCKS4a uses
/// it to say "the host name follows the user id". Neither variable field has a length:
/// each ends at a zero byte, so each is bounded here.
pub fn parse_socks4_request(bytes: &[u8]) -> Parsed<Socks4Request> {
    let mut fields = Fields::new(bytes);
    fields.version(SOCKS4)?;
    let command = match fields.u8()? {
        1 => Command::Connect,
        2 => Command::Bind,
        other => return Err(WireError::UnknownCommand(other)),
    };
    let port = fields.u16()?;
    let ip = Ipv4Addr::from(fields.array::<4>()?);
    let user_id = fields
        .zero_terminated(MAX_SOCKS4_USER_ID, WireError::UserIdTooLong)?
        .to_vec();
    let [a, b, c, d] = ip.octets();
    let target = if a == 0 && b == 0 && c == 0 && d != 0 {
        let name = fields.zero_terminated(MAX_SOCKS4A_NAME, WireError::NameTooLong)?;
        Target::Name(DomainName::try_from(name)?, port)
    } else {
        Target::Addr(SocketAddr::from((ip, port)))
    };
    fields.done(Socks4Request {
        command,
        target,
        user_id,
    })
}
// ANCHOR_END: socks4_request

/// Encodes a SOCKS4 request (SOCKS4a when the target is a name), as a client sends it.
///
/// Fails when the command is UDP ASSOCIATE or the target is IPv6 (SOCKS4 can say
/// neither), or the user id is too long or contains a zero byte.
pub fn encode_socks4_request(request: &Socks4Request) -> Result<Vec<u8>, WireError> {
    if request.command == Command::UdpAssociate {
        // SOCKS4 has CONNECT (1) and BIND (2) only; a 3 would be refused by any server.
        return Err(WireError::UnknownCommand(Command::UdpAssociate as u8));
    }
    if request.user_id.len() > MAX_SOCKS4_USER_ID || request.user_id.contains(&0) {
        return Err(WireError::FieldLength);
    }
    let mut out = vec![SOCKS4, request.command as u8];
    out.extend_from_slice(&request.target.port().to_be_bytes());
    let name = match &request.target {
        Target::Addr(SocketAddr::V4(addr)) => {
            out.extend_from_slice(&addr.ip().octets());
            None
        }
        Target::Addr(SocketAddr::V6(_)) => return Err(WireError::UnknownAddressType(4)),
        Target::Name(name, _) => {
            if name.as_str().contains('\0') {
                return Err(WireError::FieldLength);
            }
            out.extend_from_slice(&[0, 0, 0, 1]);
            Some(name)
        }
    };
    out.extend_from_slice(&request.user_id);
    out.push(0);
    if let Some(name) = name {
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(0);
    }
    Ok(out)
}

/// The answer to a SOCKS4 request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Socks4Status {
    /// 0x5A (90): request granted; the relay starts.
    Granted = 0x5A,
    /// 0x5B (91): rejected or failed. The code for every failure that is not about identd,
    /// so the only one this proxy, which asks no identd, ever sends.
    Rejected = 0x5B,
    /// 0x5C (92): the proxy could not reach the client's identd.
    NoIdentd = 0x5C,
    /// 0x5D (93): identd answered with another user id.
    IdentdMismatch = 0x5D,
}

/// A SOCKS4 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Socks4Reply {
    pub status: Socks4Status,
    pub bound: SocketAddrV4,
}

// ANCHOR: socks4_reply
/// Encodes a SOCKS4 (and SOCKS4a) reply.
///
/// ```text
/// +----+----+---------+-----------------+
/// | VN | CD | DSTPORT |      DSTIP      |
/// +----+----+---------+-----------------+
///    1    1      2             4
///
/// VN = 0 (the reply version is 0, not 4)   CD = 0x5A granted, 0x5B rejected or failed,
///                                           0x5C no identd, 0x5D identd disagrees
/// ```
pub fn encode_socks4_reply(status: Socks4Status, bound: SocketAddrV4) -> [u8; 8] {
    let [p1, p2] = bound.port().to_be_bytes();
    let [a, b, c, d] = bound.ip().octets();
    [0, status as u8, p1, p2, a, b, c, d]
}
// ANCHOR_END: socks4_reply

/// Parses a SOCKS4 reply, as a client does.
pub fn parse_socks4_reply(bytes: &[u8]) -> Parsed<Socks4Reply> {
    let mut fields = Fields::new(bytes);
    fields.version(0)?;
    let status = match fields.u8()? {
        0x5A => Socks4Status::Granted,
        0x5B => Socks4Status::Rejected,
        0x5C => Socks4Status::NoIdentd,
        0x5D => Socks4Status::IdentdMismatch,
        other => return Err(WireError::UnknownReply(other)),
    };
    let port = fields.u16()?;
    let ip = Ipv4Addr::from(fields.array::<4>()?);
    fields.done(Socks4Reply {
        status,
        bound: SocketAddrV4::new(ip, port),
    })
}

// ---------------------------------------------------------------------------------------
// SOCKS5: method negotiation (RFC 1928 section 3)
// ---------------------------------------------------------------------------------------

/// A SOCKS5 authentication method code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(pub u8);

impl Method {
    /// 0x00: no authentication.
    pub const NO_AUTH: Method = Method(0x00);
    /// 0x01: GSSAPI (Kerberos); not supported by this proxy.
    pub const GSSAPI: Method = Method(0x01);
    /// 0x02: username and password, RFC 1929.
    pub const USERNAME_PASSWORD: Method = Method(0x02);
    /// 0xFF: the server's answer when it accepts none of the offered methods.
    pub const NO_ACCEPTABLE: Method = Method(0xFF);
}

/// The first SOCKS5 message: the methods of authentication the client can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub methods: Vec<Method>,
}

// ANCHOR: greeting
/// Parses the SOCKS5 greeting.
///
/// ```text
/// +-----+----------+------------+
/// | VER | NMETHODS |  METHODS   |
/// +-----+----------+------------+
/// |  1  |    1     | 1 to 255   |
/// +-----+----------+------------+
///
/// VER = 5   METHODS: one byte per method (0x00 none, 0x02 username/password, ...)
/// ```
pub fn parse_greeting(bytes: &[u8]) -> Parsed<Greeting> {
    let mut fields = Fields::new(bytes);
    fields.version(SOCKS5)?;
    let count = fields.u8()?;
    if count == 0 {
        return Err(WireError::NoMethods);
    }
    let methods = fields.take(usize::from(count))?;
    let methods = methods.iter().map(|&code| Method(code)).collect();
    fields.done(Greeting { methods })
}
// ANCHOR_END: greeting

/// Encodes a SOCKS5 greeting, as a client sends it.
pub fn encode_greeting(greeting: &Greeting) -> Result<Vec<u8>, WireError> {
    let count = u8::try_from(greeting.methods.len()).map_err(|_| WireError::FieldLength)?;
    if count == 0 {
        return Err(WireError::NoMethods);
    }
    let mut out = vec![SOCKS5, count];
    out.extend(greeting.methods.iter().map(|method| method.0));
    Ok(out)
}

// ANCHOR: method_selection
/// Encodes the server's choice among the offered methods.
///
/// ```text
/// +-----+--------+
/// | VER | METHOD |
/// +-----+--------+
/// |  1  |   1    |
/// +-----+--------+
///
/// VER = 5   METHOD = the chosen one, or 0xFF: "none of yours", and the server closes
/// ```
pub fn encode_method_selection(method: Method) -> [u8; 2] {
    [SOCKS5, method.0]
}
// ANCHOR_END: method_selection

/// Parses the server's method selection, as a client does.
pub fn parse_method_selection(bytes: &[u8]) -> Parsed<Method> {
    let mut fields = Fields::new(bytes);
    fields.version(SOCKS5)?;
    let method = Method(fields.u8()?);
    fields.done(method)
}

// ---------------------------------------------------------------------------------------
// SOCKS5: username/password authentication (RFC 1929)
// ---------------------------------------------------------------------------------------

/// The RFC 1929 request: a user name and a password, in the clear.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub username: Vec<u8>,
    pub password: Vec<u8>,
}

/// Shows the user name but never the password, so a log line cannot leak it.
impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("username", &crate::escape::escape_bytes(&self.username))
            .field("password", &"<hidden>")
            .finish()
    }
}

// ANCHOR: auth_request
/// Parses the RFC 1929 username/password request.
///
/// ```text
/// +-----+------+----------+------+----------+
/// | VER | ULEN |  UNAME   | PLEN |  PASSWD  |
/// +-----+------+----------+------+----------+
/// |  1  |  1   | 1 to 255 |  1   | 1 to 255 |
/// +-----+------+----------+------+----------+
///
/// VER = 1 (the version of the sub-negotiation, not of SOCKS)
/// ```
///
/// The RFC asks for at least one byte in each field; an empty one is read anyway (the
/// length byte says where it ends) and then simply fails the password check.
pub fn parse_auth_request(bytes: &[u8]) -> Parsed<AuthRequest> {
    let mut fields = Fields::new(bytes);
    fields.version(AUTH_VERSION)?;
    let username_len = fields.u8()?;
    let username = fields.take(usize::from(username_len))?.to_vec();
    let password_len = fields.u8()?;
    let password = fields.take(usize::from(password_len))?.to_vec();
    fields.done(AuthRequest { username, password })
}
// ANCHOR_END: auth_request

/// Encodes an RFC 1929 request, as a client sends it.
pub fn encode_auth_request(request: &AuthRequest) -> Result<Vec<u8>, WireError> {
    let username_len = u8::try_from(request.username.len()).map_err(|_| WireError::FieldLength)?;
    let password_len = u8::try_from(request.password.len()).map_err(|_| WireError::FieldLength)?;
    let mut out = vec![AUTH_VERSION, username_len];
    out.extend_from_slice(&request.username);
    out.push(password_len);
    out.extend_from_slice(&request.password);
    Ok(out)
}

// ANCHOR: auth_reply
/// Encodes the RFC 1929 answer.
///
/// ```text
/// +-----+--------+
/// | VER | STATUS |
/// +-----+--------+
/// |  1  |   1    |
/// +-----+--------+
///
/// VER = 1   STATUS = 0 success; anything else is a failure, and the server closes
/// ```
pub fn encode_auth_reply(accepted: bool) -> [u8; 2] {
    [AUTH_VERSION, if accepted { 0 } else { 1 }]
}
// ANCHOR_END: auth_reply

/// Parses the RFC 1929 answer, as a client does: `true` when the server accepted.
pub fn parse_auth_reply(bytes: &[u8]) -> Parsed<bool> {
    let mut fields = Fields::new(bytes);
    fields.version(AUTH_VERSION)?;
    let accepted = fields.u8()? == 0;
    fields.done(accepted)
}

// ---------------------------------------------------------------------------------------
// SOCKS5: the request and the reply (RFC 1928 sections 4 to 6)
// ---------------------------------------------------------------------------------------

/// A SOCKS5 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub command: Command,
    /// For CONNECT, where to connect. For UDP ASSOCIATE, where the client will send its
    /// datagrams *from* (often 0.0.0.0:0: "not known yet").
    pub target: Target,
}

// ANCHOR: address
/// Parses an address field: ATYP, DST.ADDR and DST.PORT, as in requests and UDP headers.
///
/// ```text
/// +------+------------------------------------------+------+
/// | ATYP |                  ADDR                    | PORT |
/// +------+------------------------------------------+------+
/// | 0x01 | IPv4 address: 4 bytes                    |  2   |
/// | 0x03 | LEN (1 byte), then a LEN-byte host name  |  2   |
/// | 0x04 | IPv6 address: 16 bytes                   |  2   |
/// +------+------------------------------------------+------+
/// ```
fn parse_address(fields: &mut Fields<'_>) -> Result<Target, WireError> {
    let target = match fields.u8()? {
        1 => {
            let ip = Ipv4Addr::from(fields.array::<4>()?);
            Target::Addr(SocketAddr::from((ip, fields.u16()?)))
        }
        3 => {
            let len = fields.u8()?;
            let name = DomainName::try_from(fields.take(usize::from(len))?)?;
            Target::Name(name, fields.u16()?)
        }
        4 => {
            let ip = Ipv6Addr::from(fields.array::<16>()?);
            Target::Addr(SocketAddr::from((ip, fields.u16()?)))
        }
        other => return Err(WireError::UnknownAddressType(other)),
    };
    Ok(target)
}
// ANCHOR_END: address

/// Appends an address field (ATYP, ADDR, PORT): the encoder of [`parse_address`].
fn put_address(out: &mut Vec<u8>, target: &Target) {
    match target {
        Target::Addr(SocketAddr::V4(addr)) => {
            out.push(1);
            out.extend_from_slice(&addr.ip().octets());
        }
        Target::Name(name, _) => {
            out.push(3);
            // At most 255 bytes: a DomainName cannot be longer.
            out.push(name.as_str().len() as u8);
            out.extend_from_slice(name.as_str().as_bytes());
        }
        Target::Addr(SocketAddr::V6(addr)) => {
            out.push(4);
            out.extend_from_slice(&addr.ip().octets());
        }
    }
    out.extend_from_slice(&target.port().to_be_bytes());
}

// ANCHOR: request
/// Parses a SOCKS5 request.
///
/// ```text
/// +-----+-----+------+------+----------+----------+
/// | VER | CMD | RSV  | ATYP | DST.ADDR | DST.PORT |
/// +-----+-----+------+------+----------+----------+
/// |  1  |  1  | 0x00 |  1   | variable |    2     |
/// +-----+-----+------+------+----------+----------+
///
/// VER = 5   CMD = 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE   ATYP: see the address table
/// ```
///
/// The command is checked before the address, so an unknown command is answered at once.
/// RSV is reserved: it should be zero, and like most servers we ignore it.
pub fn parse_request(bytes: &[u8]) -> Parsed<Request> {
    let mut fields = Fields::new(bytes);
    fields.version(SOCKS5)?;
    let command = Command::from_code(fields.u8()?)?;
    let _reserved = fields.u8()?;
    let target = parse_address(&mut fields)?;
    fields.done(Request { command, target })
}
// ANCHOR_END: request

/// Encodes a SOCKS5 request, as a client sends it.
pub fn encode_request(request: &Request) -> Vec<u8> {
    let mut out = vec![SOCKS5, request.command as u8, 0];
    put_address(&mut out, &request.target);
    out
}

/// The code of a SOCKS5 reply (the REP field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyCode {
    Succeeded = 0x00,
    /// A failure that fits no other code.
    GeneralFailure = 0x01,
    /// The proxy's rules forbid this request.
    NotAllowed = 0x02,
    NetworkUnreachable = 0x03,
    /// Includes "the name does not resolve" and "no answer before the timeout".
    HostUnreachable = 0x04,
    /// The target answered the SYN with a RST: nothing listens on that port.
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
}

impl ReplyCode {
    fn from_code(code: u8) -> Result<ReplyCode, WireError> {
        Ok(match code {
            0x00 => ReplyCode::Succeeded,
            0x01 => ReplyCode::GeneralFailure,
            0x02 => ReplyCode::NotAllowed,
            0x03 => ReplyCode::NetworkUnreachable,
            0x04 => ReplyCode::HostUnreachable,
            0x05 => ReplyCode::ConnectionRefused,
            0x06 => ReplyCode::TtlExpired,
            0x07 => ReplyCode::CommandNotSupported,
            0x08 => ReplyCode::AddressTypeNotSupported,
            other => return Err(WireError::UnknownReply(other)),
        })
    }
}

/// A SOCKS5 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    /// For CONNECT, the proxy's end of its connection to the target; for UDP ASSOCIATE,
    /// where the client must send its datagrams. A server may send a name here.
    pub bound: Target,
}

// ANCHOR: reply
/// Encodes a SOCKS5 reply.
///
/// ```text
/// +-----+-----+------+------+----------+----------+
/// | VER | REP | RSV  | ATYP | BND.ADDR | BND.PORT |
/// +-----+-----+------+------+----------+----------+
/// |  1  |  1  | 0x00 |  1   | variable |    2     |
/// +-----+-----+------+------+----------+----------+
///
/// REP = 0x00 succeeded, 0x01 general failure, 0x02 not allowed by the rules,
///       0x03 network unreachable, 0x04 host unreachable, 0x05 connection refused,
///       0x06 TTL expired, 0x07 command not supported, 0x08 address type not supported
/// ```
///
/// A failure reply still carries an address (clients read the whole reply): 0.0.0.0:0.
pub fn encode_reply(code: ReplyCode, bound: SocketAddr) -> Vec<u8> {
    let mut out = vec![SOCKS5, code as u8, 0];
    put_address(&mut out, &Target::Addr(bound));
    out
}
// ANCHOR_END: reply

/// Parses a SOCKS5 reply, as a client does.
pub fn parse_reply(bytes: &[u8]) -> Parsed<Reply> {
    let mut fields = Fields::new(bytes);
    fields.version(SOCKS5)?;
    let code = ReplyCode::from_code(fields.u8()?)?;
    let _reserved = fields.u8()?;
    let bound = parse_address(&mut fields)?;
    fields.done(Reply { code, bound })
}

// ---------------------------------------------------------------------------------------
// SOCKS5: UDP datagrams (RFC 1928 section 7)
// ---------------------------------------------------------------------------------------

/// The header in front of every datagram between a client and its UDP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpHeader {
    /// Fragment number; 0 means "a whole datagram". This relay drops any other value, as
    /// the RFC allows: nobody reassembles SOCKS fragments in practice.
    pub fragment: u8,
    /// From the client: where to send the payload. To the client: who sent it.
    pub target: Target,
}

// ANCHOR: udp_header
/// Parses the header of a UDP datagram; the payload is the rest: `&bytes[used..]`.
///
/// ```text
/// +-----+------+------+----------+----------+----------+
/// | RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
/// +-----+------+------+----------+----------+----------+
/// |  2  |  1   |  1   | variable |    2     | variable |
/// +-----+------+------+----------+----------+----------+
/// ```
///
/// A datagram arrives whole or not at all, so `Incomplete` here means "truncated".
pub fn parse_udp_header(bytes: &[u8]) -> Parsed<UdpHeader> {
    let mut fields = Fields::new(bytes);
    let _reserved = fields.u16()?;
    let fragment = fields.u8()?;
    let target = parse_address(&mut fields)?;
    fields.done(UdpHeader { fragment, target })
}
// ANCHOR_END: udp_header

/// Encodes a UDP datagram: header, then payload.
pub fn encode_udp_datagram(header: &UdpHeader, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 1 + 255 + 2 + payload.len());
    out.extend_from_slice(&[0, 0, header.fragment]);
    put_address(&mut out, &header.target);
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(text: &str) -> DomainName {
        DomainName::try_from(text.to_owned()).expect("a valid test name")
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("a valid test address")
    }

    /// Every strict prefix of a whole message must be reported as incomplete.
    fn assert_prefixes_incomplete<T: fmt::Debug>(bytes: &[u8], parse: fn(&[u8]) -> Parsed<T>) {
        for end in 0..bytes.len() {
            assert_eq!(
                parse(&bytes[..end]).map(|_| ()),
                Err(WireError::Incomplete),
                "prefix of {end} bytes of {bytes:?}"
            );
        }
    }

    #[test]
    fn socks4_request_is_parsed_with_its_user_id() {
        let bytes = [4, 1, 0x1F, 0x90, 127, 0, 0, 1, b'b', b'o', b'b', 0];
        let (request, used) = parse_socks4_request(&bytes).expect("valid");
        assert_eq!(used, bytes.len());
        assert_eq!(request.command, Command::Connect);
        assert_eq!(request.target, Target::Addr(addr("127.0.0.1:8080")));
        assert_eq!(request.user_id, b"bob");
        assert_prefixes_incomplete(&bytes, parse_socks4_request);
    }

    #[test]
    fn socks4a_request_carries_a_name_after_the_user_id() {
        let mut bytes = vec![4, 1, 0, 80, 0, 0, 0, 7, 0];
        bytes.extend_from_slice(b"localhost\0");
        let (request, used) = parse_socks4_request(&bytes).expect("valid");
        assert_eq!(used, bytes.len());
        assert_eq!(request.target, Target::Name(name("localhost"), 80));
        assert!(request.user_id.is_empty());
        assert_prefixes_incomplete(&bytes, parse_socks4_request);
    }

    #[test]
    fn socks4_leaves_the_bytes_after_the_request_for_the_relay() {
        let bytes = b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00GET / HTTP/1.0\r\n";
        let (_, used) = parse_socks4_request(bytes).expect("valid");
        assert_eq!(&bytes[used..], b"GET / HTTP/1.0\r\n");
    }

    #[test]
    fn socks4_user_id_and_name_without_their_zero_are_bounded() {
        let mut bytes = vec![4, 1, 0, 80, 127, 0, 0, 1];
        bytes.extend(vec![b'u'; MAX_SOCKS4_USER_ID]);
        assert_eq!(parse_socks4_request(&bytes), Err(WireError::Incomplete));
        bytes.push(b'u');
        assert_eq!(parse_socks4_request(&bytes), Err(WireError::UserIdTooLong));

        let mut bytes = vec![4, 1, 0, 80, 0, 0, 0, 1, 0];
        bytes.extend(vec![b'n'; MAX_SOCKS4A_NAME]);
        assert_eq!(parse_socks4_request(&bytes), Err(WireError::Incomplete));
        bytes.push(b'n');
        assert_eq!(parse_socks4_request(&bytes), Err(WireError::NameTooLong));
    }

    #[test]
    fn socks4_rejects_a_wrong_version_an_unknown_command_and_an_empty_name() {
        assert_eq!(
            parse_socks4_request(&[5, 1]),
            Err(WireError::WrongVersion {
                expected: 4,
                found: 5
            })
        );
        // Command 3 (UDP) does not exist in SOCKS4.
        assert_eq!(
            parse_socks4_request(&[4, 3]),
            Err(WireError::UnknownCommand(3))
        );
        assert_eq!(
            parse_socks4_request(&[4, 1, 0, 80, 0, 0, 0, 1, 0, 0]),
            Err(WireError::EmptyName)
        );
    }

    #[test]
    fn socks4_reply_has_version_zero() {
        let bytes = encode_socks4_reply(
            Socks4Status::Rejected,
            SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 1080),
        );
        assert_eq!(bytes, [0, 0x5B, 0x04, 0x38, 10, 0, 0, 1]);
        let (reply, used) = parse_socks4_reply(&bytes).expect("valid");
        assert_eq!((reply.status, used), (Socks4Status::Rejected, 8));
    }

    #[test]
    fn socks4_request_encoder_refuses_what_socks4_cannot_say() {
        let request = |target, user_id: &[u8]| Socks4Request {
            command: Command::Connect,
            target,
            user_id: user_id.to_vec(),
        };
        let v6 = Target::Addr(addr("[::1]:80"));
        assert!(encode_socks4_request(&request(v6, b"")).is_err());
        let v4 = Target::Addr(addr("127.0.0.1:80"));
        assert!(encode_socks4_request(&request(v4.clone(), b"a\0b")).is_err());
        let udp = Socks4Request {
            command: Command::UdpAssociate,
            ..request(v4, b"")
        };
        assert_eq!(
            encode_socks4_request(&udp),
            Err(WireError::UnknownCommand(3))
        );
    }

    #[test]
    fn greeting_lists_the_methods() {
        let bytes = [5, 2, 0, 2];
        let (greeting, used) = parse_greeting(&bytes).expect("valid");
        assert_eq!(used, 4);
        assert_eq!(
            greeting.methods,
            [Method::NO_AUTH, Method::USERNAME_PASSWORD]
        );
        assert_prefixes_incomplete(&bytes, parse_greeting);
        assert_eq!(parse_greeting(&[5, 0]), Err(WireError::NoMethods));
        assert_eq!(
            parse_greeting(&[4, 1, 0]),
            Err(WireError::WrongVersion {
                expected: 5,
                found: 4
            })
        );
    }

    #[test]
    fn method_selection_is_two_bytes() {
        assert_eq!(encode_method_selection(Method::NO_ACCEPTABLE), [5, 0xFF]);
        assert_eq!(
            parse_method_selection(&[5, 2]),
            Ok((Method::USERNAME_PASSWORD, 2))
        );
    }

    #[test]
    fn auth_request_is_parsed_and_its_debug_hides_the_password() {
        let bytes = b"\x01\x05alice\x06secret";
        let (request, used) = parse_auth_request(bytes).expect("valid");
        assert_eq!(used, bytes.len());
        assert_eq!(request.username, b"alice");
        assert_eq!(request.password, b"secret");
        assert!(!format!("{request:?}").contains("secret"));
        assert_prefixes_incomplete(bytes, parse_auth_request);
        assert_eq!(encode_auth_reply(true), [1, 0]);
        assert_eq!(encode_auth_reply(false), [1, 1]);
        assert_eq!(parse_auth_reply(&[1, 1]), Ok((false, 2)));
    }

    #[test]
    fn request_with_each_address_type() {
        let v4 = b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50";
        let (request, _) = parse_request(v4).expect("valid");
        assert_eq!(request.target, Target::Addr(addr("127.0.0.1:80")));

        let mut v6 = vec![5, 1, 0, 4];
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v6.extend_from_slice(&[0x1F, 0x90]);
        let (request, _) = parse_request(&v6).expect("valid");
        assert_eq!(request.target, Target::Addr(addr("[::1]:8080")));

        let domain = b"\x05\x03\x00\x03\x09localhost\x00\x35";
        let (request, used) = parse_request(domain).expect("valid");
        assert_eq!(used, domain.len());
        assert_eq!(request.command, Command::UdpAssociate);
        assert_eq!(request.target, Target::Name(name("localhost"), 53));
        assert_prefixes_incomplete(domain, parse_request);
    }

    #[test]
    fn request_errors_are_known_as_early_as_possible() {
        // Unknown command: known from the second byte, no need to wait for the address.
        assert_eq!(parse_request(&[5, 9]), Err(WireError::UnknownCommand(9)));
        assert_eq!(
            parse_request(&[5, 1, 0, 2]),
            Err(WireError::UnknownAddressType(2))
        );
        assert_eq!(
            parse_request(&[5, 1, 0, 3, 0, 0, 80]),
            Err(WireError::EmptyName)
        );
        assert_eq!(
            parse_request(&[5, 1, 0, 3, 2, 0xFF, 0xFE, 0, 80]),
            Err(WireError::NameNotText)
        );
    }

    #[test]
    fn reply_encodes_the_bound_address() {
        let bytes = encode_reply(ReplyCode::ConnectionRefused, addr("0.0.0.0:0"));
        assert_eq!(bytes, [5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
        let bytes = encode_reply(ReplyCode::Succeeded, addr("[::1]:1080"));
        assert_eq!(bytes.len(), 4 + 16 + 2);
        let (reply, _) = parse_reply(&bytes).expect("valid");
        assert_eq!(reply.bound, Target::Addr(addr("[::1]:1080")));
        assert_eq!(parse_reply(&[5, 9]), Err(WireError::UnknownReply(9)));
    }

    #[test]
    fn udp_header_is_followed_by_the_payload() {
        let header = UdpHeader {
            fragment: 0,
            target: Target::Addr(addr("127.0.0.1:7")),
        };
        let datagram = encode_udp_datagram(&header, b"ping");
        assert_eq!(&datagram[..10], [0, 0, 0, 1, 127, 0, 0, 1, 0, 7]);
        let (parsed, used) = parse_udp_header(&datagram).expect("valid");
        assert_eq!(parsed, header);
        assert_eq!(&datagram[used..], b"ping");
        let fragment = [0, 0, 1, 1, 127, 0, 0, 1, 0, 7, b'x'];
        assert_eq!(parse_udp_header(&fragment).expect("valid").0.fragment, 1);
    }

    #[test]
    fn domain_names_are_one_to_255_bytes() {
        assert_eq!(
            DomainName::try_from(String::new()),
            Err(WireError::EmptyName)
        );
        assert!(DomainName::try_from("a".repeat(255)).is_ok());
        assert_eq!(
            DomainName::try_from("a".repeat(256)),
            Err(WireError::FieldLength)
        );
    }

    fn any_name() -> impl Strategy<Value = DomainName> {
        "[a-z0-9.-]{1,255}".prop_map(|text| DomainName::try_from(text).expect("1..=255 bytes"))
    }

    fn any_target() -> impl Strategy<Value = Target> {
        prop_oneof![
            any::<SocketAddr>().prop_map(|addr| Target::Addr(normalize(addr))),
            (any_name(), any::<u16>()).prop_map(|(name, port)| Target::Name(name, port)),
        ]
    }

    /// SOCKS carries only the IP and the port of an IPv6 address, not its flow label or
    /// scope id, so a round trip keeps only those.
    fn normalize(addr: SocketAddr) -> SocketAddr {
        SocketAddr::new(addr.ip(), addr.port())
    }

    fn any_command() -> impl Strategy<Value = Command> {
        prop_oneof![
            Just(Command::Connect),
            Just(Command::Bind),
            Just(Command::UdpAssociate)
        ]
    }

    fn any_reply_code() -> impl Strategy<Value = ReplyCode> {
        (0u8..=8).prop_map(|code| ReplyCode::from_code(code).expect("0..=8 are defined"))
    }

    /// Runs `parse` on `bytes` and checks the promises every parser makes: no panic, a
    /// used length within the buffer, and "incomplete" only below the message's maximum.
    fn check_parser<T>(bytes: &[u8], max: usize, parse: fn(&[u8]) -> Parsed<T>) {
        match parse(bytes) {
            Ok((_, used)) => assert!(used <= bytes.len() && used <= max),
            Err(WireError::Incomplete) => assert!(bytes.len() < max),
            Err(_) => {}
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_incomplete_is_bounded(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            first in prop_oneof![Just(0u8), Just(1), Just(4), Just(5), any::<u8>()],
        ) {
            // Half the time, a plausible version byte, so the parsers get past it.
            let mut bytes = bytes;
            if let Some(byte) = bytes.first_mut() {
                *byte = first;
            }
            check_parser(&bytes, MAX_SOCKS4_REQUEST, parse_socks4_request);
            check_parser(&bytes, 8, parse_socks4_reply);
            check_parser(&bytes, MAX_GREETING, parse_greeting);
            check_parser(&bytes, 2, parse_method_selection);
            check_parser(&bytes, MAX_AUTH_REQUEST, parse_auth_request);
            check_parser(&bytes, 2, parse_auth_reply);
            check_parser(&bytes, MAX_REQUEST, parse_request);
            check_parser(&bytes, MAX_REQUEST, parse_reply);
            let _ = parse_udp_header(&bytes);
        }

        #[test]
        fn socks4_request_round_trips(
            command in prop_oneof![Just(Command::Connect), Just(Command::Bind)],
            target in prop_oneof![
                any::<SocketAddrV4>()
                    .prop_filter("0.0.0.x means SOCKS4a", |a| a.ip().octets()[..3] != [0, 0, 0]
                        || a.ip().octets()[3] == 0)
                    .prop_map(|a| Target::Addr(SocketAddr::V4(a))),
                (any_name(), any::<u16>()).prop_map(|(name, port)| Target::Name(name, port)),
            ],
            user_id in proptest::collection::vec(1u8..=255, 0..=MAX_SOCKS4_USER_ID),
            after in proptest::collection::vec(any::<u8>(), 0..16),
        ) {
            let request = Socks4Request { command, target, user_id };
            let mut bytes = encode_socks4_request(&request).expect("encodable");
            let len = bytes.len();
            bytes.extend_from_slice(&after);
            prop_assert_eq!(parse_socks4_request(&bytes), Ok((request, len)));
        }

        #[test]
        fn socks5_messages_round_trip(
            methods in proptest::collection::vec(any::<u8>(), 1..=255),
            username in proptest::collection::vec(any::<u8>(), 0..=255),
            password in proptest::collection::vec(any::<u8>(), 0..=255),
            command in any_command(),
            target in any_target(),
            code in any_reply_code(),
            bound in any::<SocketAddr>(),
            payload in proptest::collection::vec(any::<u8>(), 0..64),
            accepted in any::<bool>(),
        ) {
            let greeting = Greeting { methods: methods.into_iter().map(Method).collect() };
            let bytes = encode_greeting(&greeting).expect("1..=255 methods");
            prop_assert_eq!(parse_greeting(&bytes), Ok((greeting, bytes.len())));

            let auth = AuthRequest { username, password };
            let bytes = encode_auth_request(&auth).expect("fields of at most 255 bytes");
            prop_assert_eq!(parse_auth_request(&bytes), Ok((auth, bytes.len())));
            prop_assert_eq!(parse_auth_reply(&encode_auth_reply(accepted)), Ok((accepted, 2)));

            let request = Request { command, target: target.clone() };
            let bytes = encode_request(&request);
            prop_assert_eq!(parse_request(&bytes), Ok((request, bytes.len())));

            let bound = normalize(bound);
            let bytes = encode_reply(code, bound);
            let reply = Reply { code, bound: Target::Addr(bound) };
            prop_assert_eq!(parse_reply(&bytes), Ok((reply, bytes.len())));

            let header = UdpHeader { fragment: 0, target };
            let datagram = encode_udp_datagram(&header, &payload);
            let (parsed, used) = parse_udp_header(&datagram).expect("valid");
            prop_assert_eq!(parsed, header);
            prop_assert_eq!(&datagram[used..], &payload[..]);
        }
    }
}
