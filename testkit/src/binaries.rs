//! Finding the lessons' binaries from another program of the workspace, up to date.
//!
//! Two programs need to run *other* packages' binaries: the lessons' end-to-end tests (a
//! client's tests start the server) and the guided tour (`cargo run` at the root starts
//! every lesson's server and client).
//!
//! # Why [`build`] runs cargo
//!
//! Cargo tells a program where a binary is (`CARGO_BIN_EXE_<name>`) only when the binary
//! belongs to the program's own package. Guessing the path (`target/debug/tcp-server`)
//! would silently run a stale binary after `cargo test -p tcp-client` or `cargo run` (the
//! tour), which do not rebuild the other packages. So [`build`] asks cargo itself to build
//! the binaries, with the same profile as the running program: a no-op costing a fraction
//! of a second when they are up to date, and always correct. Artifact dependencies would
//! say this in `Cargo.toml`, but they are not stable Rust yet.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace's manifest, found from this crate's own folder when it was compiled.
///
/// Passing it to cargo (`--manifest-path`) makes the build work from any current directory.
const WORKSPACE_MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");

/// The folder the running program was built into: `target/<profile>`.
///
/// A test runs from `target/<profile>/deps/` and an example from `target/<profile>/examples/`;
/// binaries live one level up from those.
pub fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("the program cannot find its own path")?;
    let mut dir = exe
        .parent()
        .with_context(|| format!("{} has no parent folder", exe.display()))?;
    if dir
        .file_name()
        .is_some_and(|name| name == "deps" || name == "examples")
    {
        dir = dir.parent().unwrap_or(dir);
    }
    Ok(dir.to_path_buf())
}

/// Builds the binaries `names`, from whichever workspace package has them (`tcp-server`, or
/// `tcp-load` of `tcp-client`), with the running program's profile, and returns their
/// paths, in the order of `names`. Binary names are unique across the workspace.
///
/// With `quiet`, cargo prints only errors; otherwise its usual progress, which a person
/// waiting for a first build on a fresh clone wants to see.
pub fn build(names: &[&str], quiet: bool) -> Result<Vec<PathBuf>> {
    let mut selection = vec!["--workspace"];
    for name in names {
        selection.extend(["--bin", name]);
    }
    run_cargo_build(&selection, &names.join(", "), quiet)?;
    let profile_dir = profile_dir()?;
    names
        .iter()
        .map(|name| locate(&profile_dir, name))
        .collect()
}

/// Builds the example `example` of the workspace package `package` (a lesson's notes
/// version, say) with the running program's profile, and returns its path.
pub fn build_example(package: &str, example: &str, quiet: bool) -> Result<PathBuf> {
    let selection = ["--package", package, "--example", example];
    run_cargo_build(&selection, example, quiet)?;
    locate(&profile_dir()?.join("examples"), example)
}

/// Runs `cargo build` with `selection` (which packages and targets), `what` naming them in
/// messages.
fn run_cargo_build(selection: &[&str], what: &str, quiet: bool) -> Result<()> {
    let profile_dir = profile_dir()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["build", "--manifest-path", WORKSPACE_MANIFEST]);
    if quiet {
        command.arg("--quiet");
    }
    command.args(selection);
    match profile_dir.file_name().and_then(|p| p.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    let status = command.status().with_context(|| {
        format!(
            "could not run `{}` to build {what}: is cargo installed and on PATH? (set CARGO to its path)",
            cargo.to_string_lossy(),
        )
    })?;
    if !status.success() {
        bail!("`cargo build` of {what} failed ({status}): see cargo's messages above");
    }
    Ok(())
}

/// The path of the program `name` in `dir`, if it is there.
fn locate(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        bail!(
            "`{name}` was built but is not at {}: is CARGO_TARGET_DIR or --target set differently for this program?",
            path.display()
        );
    }
    Ok(path)
}
