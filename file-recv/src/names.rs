//! Which names from the network the receiver accepts: one plain, visible file name that stays
//! in the target directory and that every common file system, Windows included, can store.

use std::path::{Component, Path};

use crate::protocol;

/// The longest file name accepted, in bytes: the limit of ext4, NTFS, APFS and most others.
pub const MAX_NAME: usize = 255;

// ANCHOR: check_name
/// Accepts `name` only if it is one plain, visible file name that stays inside the target
/// directory and that every common file system can store; hidden names are refused too
/// (see [`check_name_allowing_hidden`] for `--allow-hidden`).
///
/// It comes from the network, so it is untrusted: `../../.bashrc` or `/etc/passwd` would
/// write outside the directory, a control character could rewrite the terminal that shows
/// the log, an invisible one could make `invoice.exe` look like another name. Returns why a
/// name is refused, as the end of a sentence that starts with "the name ...".
pub fn check_name(name: &[u8]) -> Result<&str, String> {
    let name = check_name_allowing_hidden(name)?;
    if name.starts_with('.') {
        // In a home directory, `.bashrc` or `.ssh` would change how programs behave, and
        // `ls` does not even show them. Rarely a file someone means to send.
        return Err(
            "starts with a dot, which makes it a hidden file (like .bashrc or .ssh) \
                    that programs may read as their settings; start file-recv with \
                    --allow-hidden to accept such names"
                .into(),
        );
    }
    Ok(name)
}

/// [`check_name`] without its rule against hidden names (`--allow-hidden`).
pub fn check_name_allowing_hidden(name: &[u8]) -> Result<&str, String> {
    let name = std::str::from_utf8(name).map_err(|_| "is not valid UTF-8".to_owned())?;
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!("is longer than {MAX_NAME} bytes"));
    }
    if name == "." || name == ".." {
        return Err("names a directory (`.` or `..`), not a file".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character {c:?}"));
    }
    if let Some(c) = name.chars().find(|&c| protocol::is_invisible(c)) {
        return Err(format!(
            "contains the invisible character U+{:04X}, which can make a name look like \
             another (U+202E shows `txt.exe` as `exe.txt`)",
            u32::from(c)
        ));
    }
    if name.starts_with(['/', '\\']) {
        return Err("is an absolute path".into());
    }
    if name.contains(['/', '\\']) {
        // Both separators, whatever OS we run on: `..\x` is a path on Windows.
        return Err("contains a path separator (/ or \\): send a plain file name".into());
    }
    if name.contains(':') {
        // `C:x` is a path relative to drive C on Windows, `x:y` an alternate data stream.
        return Err("contains `:` (a drive or stream separator on Windows)".into());
    }
    // From here on, names that one OS could store but Windows cannot. Refused on every OS,
    // so that what one receiver accepts, every receiver can store.
    if let Some(c) = name.chars().find(|c| "<>\"|?*".contains(*c)) {
        return Err(format!(
            "contains {c:?}, one of the characters Windows does not allow in a file name \
             (< > \" | ? *)"
        ));
    }
    if name.chars().all(|c| c == '.') {
        return Err("is made only of dots, which Windows cannot store as a file name".into());
    }
    if name.ends_with(['.', ' ']) {
        return Err(
            "ends with a dot or a space, which Windows removes: `a.txt.` would be \
                    stored as `a.txt`, another file"
                .into(),
        );
    }
    if is_windows_device(name) {
        // On Windows, `CON`, `NUL.txt` or `com1.log` open a device, not a file.
        return Err("is a device name on Windows (CON, NUL, COM1, LPT1, ...)".into());
    }
    // Defence in depth: the standard library must see exactly one ordinary component.
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(only)), None) if only == name => Ok(name),
        _ => Err("is not a plain file name".into()),
    }
}
// ANCHOR_END: check_name

/// Whether `name`, before its first dot, is one of the device names Windows reserves:
/// CON, PRN, AUX, NUL, CONIN$, CONOUT$, and COM or LPT followed by a digit or by one of
/// the superscripts ¹ ² ³ (which Windows also counts as digits there).
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let is_port_number = |number: &str| {
        let mut chars = number.chars();
        matches!(
            (chars.next(), chars.next()),
            (Some('0'..='9' | '¹' | '²' | '³'), None)
        )
    };
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ["COM", "LPT"]
        .iter()
        .any(|port| upper.strip_prefix(port).is_some_and(is_port_number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_name_accepts_ordinary_names() {
        for name in [
            "report.pdf",
            "my holiday photo.jpg",
            "résumé.txt",
            "報告書.txt",
            "a..b.txt",
            "x",
            "console.txt",
            "com10.txt",
            "com¹0.txt",
            "lpt.txt",
            "nullable.rs",
            "it's [1] {a} (b) & c#d%e+f=g@h!.txt",
        ] {
            assert_eq!(check_name(name.as_bytes()), Ok(name), "refused {name:?}");
        }
        let longest = "n".repeat(MAX_NAME);
        assert!(check_name(longest.as_bytes()).is_ok());
    }

    #[test]
    fn hidden_names_are_refused_unless_allowed() {
        for name in [".hidden", ".bashrc", ".a.b"] {
            let refused = check_name(name.as_bytes()).expect_err("hidden");
            assert!(refused.contains("--allow-hidden"), "{name:?}: {refused}");
            assert_eq!(check_name_allowing_hidden(name.as_bytes()), Ok(name));
        }
        // Allowing hidden names allows nothing else.
        for name in [".", "..", "...", "../.x", ".x/y", ".x."] {
            assert!(
                check_name_allowing_hidden(name.as_bytes()).is_err(),
                "{name:?}"
            );
        }
    }

    #[test]
    fn check_name_refuses_anything_but_one_plain_name() {
        let overlong = "n".repeat(MAX_NAME + 1);
        for (name, why) in [
            (&b""[..], "empty"),
            (b".", "names a directory"),
            (b"..", "names a directory"),
            (b"../x", "separator"),
            (b"a/b", "separator"),
            (b"..\\x", "separator"),
            (b"a\\b", "separator"),
            (b"/etc/passwd", "absolute"),
            (b"\\\\server\\share", "absolute"),
            (b"C:", "`:`"),
            (b"C:x.txt", "`:`"),
            (b"x.txt:stream", "`:`"),
            (b"a\nb", "control"),
            (b"\x1b[2Jx", "control"),
            (b"a\0b", "control"),
            (b"tab\there", "control"),
            (b"\xff\xfe.txt", "UTF-8"),
            (overlong.as_bytes(), "longer"),
            (b"CON", "device"),
            (b"nul.txt", "device"),
            (b"Com1.log", "device"),
            (b"lpt9", "device"),
            ("COM¹".as_bytes(), "device"),
            ("lpt³.txt".as_bytes(), "device"),
            (b"con .txt", "device"),
            (b"...", "only of dots"),
            (b"....", "only of dots"),
            (b"name.", "ends with a dot or a space"),
            (b"name ", "ends with a dot or a space"),
            (b"a<b", "Windows does not allow"),
            (b"a>b", "Windows does not allow"),
            (b"say \"hi\"", "Windows does not allow"),
            (b"a|b", "Windows does not allow"),
            (b"why?", "Windows does not allow"),
            (b"*.txt", "Windows does not allow"),
            ("\u{202e}txt.exe".as_bytes(), "U+202E"),
            ("a\u{200b}b".as_bytes(), "U+200B"),
            ("\u{feff}bom.txt".as_bytes(), "U+FEFF"),
            ("a\u{061c}b".as_bytes(), "U+061C"),
            ("a\u{2066}b".as_bytes(), "invisible"),
            (b".bashrc", "hidden"),
        ] {
            let refused = check_name(name).expect_err("must be refused");
            assert!(refused.contains(why), "{name:?}: {refused}");
        }
    }
}
