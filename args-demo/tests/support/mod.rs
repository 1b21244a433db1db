//! What the end-to-end tests of `cli.rs` and `notes.rs` share: the lesson's binary with a
//! deadline, and a run's output as text.

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use testkit::STEP_TIMEOUT;

/// The lesson's binary, with a deadline so that a hang fails the test instead of CI.
pub fn args_demo() -> Command {
    let mut command = Command::new(cargo_bin!("args-demo"));
    command.timeout(STEP_TIMEOUT);
    command
}

/// stdout and stderr of a run that must end with exit code `code`.
pub fn outputs_of(command: &mut Command, code: i32) -> (String, String) {
    let assert = command.assert().code(code);
    let output = assert.get_output();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
