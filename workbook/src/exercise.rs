//! What an exercise is: a program the student writes, where it lives, and how it is checked.

use std::path::PathBuf;

/// One exercise of the workbook.
///
/// Its files follow from its name (`tcp-server-1`): the student's program
/// `exercises/tcp_server_1.rs` (binary `ex-tcp-server-1`), the tested solution
/// `solutions/tcp_server_1.rs` (example `sol-tcp-server-1`), and one program per classic
/// mistake, `fixtures/tcp_server_1_<mistake>.rs` (example `bad-tcp-server-1-<mistake>`).
#[derive(Debug)]
pub struct Exercise {
    /// The name used on the command line: `tcp-server-1`.
    pub name: &'static str,
    /// The lesson it belongs to, as the book names it: "TCP server".
    pub lesson: &'static str,
    /// The book chapter that teaches it, a file of `docs/src`: `tcp.md`.
    pub chapter: &'static str,
    /// What the student builds, in one line.
    pub title: &'static str,
    /// Hints, revealed one at a time by `--hint`, from a nudge to nearly the answer.
    pub hints: &'static [&'static str],
    /// The classic mistakes the checks must catch, each kept as a fixture program.
    pub mistakes: &'static [Mistake],
    /// Runs the student's program against the real partners; the error says, in the
    /// student's terms, which step is wrong and what was seen.
    pub check: fn(&Program) -> anyhow::Result<()>,
}

/// A classic mistake, kept as a program the checks must fail.
#[derive(Debug)]
pub struct Mistake {
    /// The fixture's suffix: `echo` for `fixtures/tcp_server_1_echo.rs`.
    pub name: &'static str,
    /// Text that the check's failure message must contain: "step 4".
    pub caught_by: &'static str,
}

/// A built program to check: the student's, a solution, a starter or a fixture.
#[derive(Debug, Clone)]
pub struct Program {
    /// The executable.
    pub path: PathBuf,
    /// How messages name it: "your program", "the solution".
    pub label: String,
}

/// The workbook crate's own folder.
pub fn workbook_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Exercise {
    /// The file stem shared by the exercise, its solution and its fixtures: `tcp_server_1`.
    pub fn stem(&self) -> String {
        self.name.replace('-', "_")
    }

    /// The student's file, relative to the workspace: `workbook/exercises/tcp_server_1.rs`.
    pub fn file(&self) -> PathBuf {
        workbook_dir()
            .join("exercises")
            .join(format!("{}.rs", self.stem()))
    }

    /// The solution's file.
    pub fn solution_file(&self) -> PathBuf {
        workbook_dir()
            .join("solutions")
            .join(format!("{}.rs", self.stem()))
    }

    /// The binary target of the student's file.
    pub fn bin(&self) -> String {
        format!("ex-{}", self.name)
    }

    /// The example target of the solution.
    pub fn solution_example(&self) -> String {
        format!("sol-{}", self.name)
    }

    /// The example target of the fixture for `mistake`.
    pub fn fixture_example(&self, mistake: &Mistake) -> String {
        format!("bad-{}-{}", self.name, mistake.name)
    }
}
