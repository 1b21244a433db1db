//! Derives an exercise's starter from its solution, so the two can never disagree.
//!
//! In a solution, each gap the student fills is marked:
//!
//! ```text
//!     // SOLUTION: step 1: bind a TcpListener to addr, print "listening on " and its address
//!     let listener = TcpListener::bind(&addr)?;
//!     println!("listening on {}", listener.local_addr()?);
//!     // END SOLUTION
//! ```
//!
//! and in the starter the marked lines become one `todo!("step 1: ...")`, at the same
//! indentation. A starter compiles, and stops at its first gap with that message.

use anyhow::{Result, bail};

const OPEN: &str = "// SOLUTION:";
const CLOSE: &str = "// END SOLUTION";

/// The first line of every starter: the gaps leave variables and imports unused, and code
/// after a `todo!()` unreachable, until the student fills them.
pub const ALLOW: &str = "#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled";

/// The starter for `solution`: each marked block replaced by its `todo!()`.
pub fn derive(solution: &str) -> Result<String> {
    let mut starter = String::with_capacity(solution.len());
    let mut open: Option<usize> = None;
    let mut wrote_allow = false;
    for (index, line) in solution.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        // The allow goes after the file's `//!` documentation, before its first item.
        if !wrote_allow && !trimmed.starts_with("//!") {
            starter.push_str(ALLOW);
            starter.push('\n');
            wrote_allow = true;
        }
        if let Some(task) = trimmed.strip_prefix(OPEN) {
            if let Some(opened) = open {
                bail!("line {number}: a SOLUTION block opened at line {opened} is not closed");
            }
            open = Some(number);
            let indent = &line[..line.len() - trimmed.len()];
            starter.push_str(&format!("{indent}todo!({:?});\n", task.trim()));
        } else if trimmed.starts_with(CLOSE) {
            if open.take().is_none() {
                bail!("line {number}: END SOLUTION without a SOLUTION");
            }
        } else if open.is_none() {
            starter.push_str(line);
            starter.push('\n');
        }
    }
    if let Some(opened) = open {
        bail!("the SOLUTION block opened at line {opened} is not closed");
    }
    Ok(starter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_marked_block_becomes_one_todo_at_its_indentation() {
        let solution = "//! Doc.\n\nfn main() {\n    // 1. Listen.\n    // SOLUTION: step 1: bind\n    let x = 1;\n    // END SOLUTION\n    println!();\n}\n";
        let starter = derive(solution).expect("well formed");
        assert_eq!(
            starter,
            format!(
                "//! Doc.\n{ALLOW}\n\nfn main() {{\n    // 1. Listen.\n    todo!(\"step 1: bind\");\n    println!();\n}}\n"
            )
        );
    }

    #[test]
    fn an_unclosed_block_is_an_error() {
        assert!(derive("// SOLUTION: x\nlet a = 1;\n").is_err());
        assert!(derive("// END SOLUTION\n").is_err());
    }
}
