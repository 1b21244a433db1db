//! The other SOCKS servers the bench compares with, Dante and microsocks: found where
//! Debian installs them, each started on a free loopback port with a minimal configuration
//! that serves loopback only, and killed (its temporary files removed) when dropped, so
//! none outlives the bench, whether it ends well or fails. One that is not installed, or
//! does not start, is skipped with a line saying why.

use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{self, Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a server may take to accept connections after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(5);

/// Dante and microsocks, those that are installed and start.
pub fn start_others() -> Vec<Started> {
    // Name, programs to look for (upstream's name first), Debian package, how to start it.
    type Start = fn(PathBuf) -> Result<Started>;
    let others: [(_, &[_], _, Start); 2] = [
        ("dante", &["sockd", "danted"], "dante-server", start_dante),
        (
            "microsocks",
            &["microsocks"],
            "microsocks",
            start_microsocks,
        ),
    ];
    let mut started = Vec::new();
    for (name, programs, package, start) in others {
        let Some(program) = find_program(programs) else {
            let programs = programs.join("` or `");
            println!("{name}: skipped: `{programs}` not found (Debian package: {package})");
            continue;
        };
        match start(program) {
            Ok(mut server) => {
                println!("{name}: {} at {}", server.program.display(), server.addr);
                server.name = name;
                started.push(server);
            }
            Err(error) => println!("{name}: skipped: {error:#}"),
        }
    }
    started
}

/// A SOCKS server this bench started; dropping it kills the process, then (dropping `dir`)
/// removes its temporary directory, on success and on failure alike.
pub struct Started {
    pub name: &'static str,
    pub addr: SocketAddr,
    program: PathBuf,
    child: Child,
    dir: TempDir,
}

impl Drop for Started {
    fn drop(&mut self) {
        // Dante's helper processes exit by themselves once their parent is gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory for one server's configuration and logs, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("socks-bench-{}-{name}", process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Dante with no authentication on a free loopback port, passing CONNECT from and to
/// loopback only, logging to a file in its temporary directory.
fn start_dante(program: PathBuf) -> Result<Started> {
    let (dir, port) = (TempDir::new("dante")?, free_port()?);
    // As root, Dante must be told which user to drop to for its unprivileged work.
    let users = if running_as_root() {
        "user.privileged: root\nuser.unprivileged: nobody\n"
    } else {
        ""
    };
    let log = dir.0.join("sockd.log");
    let config = format!(
        "logoutput: {}
internal: 127.0.0.1 port = {port}
external: 127.0.0.1
clientmethod: none
socksmethod: none
{users}client pass {{ from: 127.0.0.0/8 to: 127.0.0.0/8 }}
socks pass {{ from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }}
",
        log.display()
    );
    let file = dir.0.join("sockd.conf");
    fs::write(&file, config).with_context(|| format!("cannot write {}", file.display()))?;
    start_server(program, &["-f".into(), file.into_os_string()], dir, port)
}

/// microsocks on a free loopback port.
fn start_microsocks(program: PathBuf) -> Result<Started> {
    let (dir, port) = (TempDir::new("microsocks")?, free_port()?);
    let port_text = port.to_string();
    let args = ["-i", "127.0.0.1", "-p", &port_text].map(OsString::from);
    start_server(program, &args, dir, port)
}

/// Starts `program` with its output in `dir/output.log`, and waits (at most
/// [`START_TIMEOUT`]) until it accepts connections on 127.0.0.1:`port`.
fn start_server(program: PathBuf, args: &[OsString], dir: TempDir, port: u16) -> Result<Started> {
    let output = File::create(dir.0.join("output.log")).context("cannot create a log file")?;
    let child = process::Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // From here on, dropping `started` kills the process, whatever goes wrong.
    let mut started = Started {
        name: "",
        addr,
        program,
        child,
        dir,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(addr).is_err() {
        if let Some(status) = started.child.try_wait()? {
            bail!(
                "it exited at start ({status}): {}",
                log_tail(&started.dir.0)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "not listening on {addr} after {START_TIMEOUT:?}: {}",
                log_tail(&started.dir.0)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(started)
}

/// The last lines a started server wrote, to say why it did not start.
fn log_tail(dir: &Path) -> String {
    let mut text = String::new();
    for name in ["output.log", "sockd.log"] {
        text += &fs::read_to_string(dir.join(name)).unwrap_or_default();
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(3)..]
        .join(" / ")
        .escape_debug()
        .to_string()
}

/// The first of `names` found on `PATH` or in the `sbin` directories, where Debian puts
/// daemons such as `danted` (not on every user's `PATH`).
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let sbin = ["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from);
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).chain(sbin).collect();
    names
        .iter()
        .find_map(|name| dirs.iter().map(|dir| dir.join(name)).find(|p| p.is_file()))
}

/// A port that was free a moment ago: bind port 0, note what the system chose, let it go.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether the effective user is root (Linux: from `/proc`; elsewhere assumed not).
fn running_as_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find_map(|line| line.strip_prefix("Uid:"));
    uid.and_then(|ids| ids.split_whitespace().nth(1)) == Some("0")
}
