//! Byte counts for people: `metadata.len()` is exact but hard to read at a glance, so the
//! lesson prints `1800 bytes (1.8 KiB)`.

// ANCHOR: human_size
/// A byte count for people: `1.3 KiB`, rounded to a tenth, in powers of 1024.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Integer arithmetic in tenths, so 1023.96 KiB rounds up to "1.0 MiB", not "1024.0 KiB".
    let mut unit: u128 = 1024;
    let mut tenths = 0;
    for (index, name) in UNITS.iter().enumerate() {
        tenths = (u128::from(bytes) * 10 + unit / 2) / unit;
        if tenths < 10 * 1024 || index == UNITS.len() - 1 {
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
        unit *= 1024;
    }
    format!("{tenths} tenths of an EiB")
}
// ANCHOR_END: human_size

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_size_uses_powers_of_1024_and_never_shows_1024_of_a_unit() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1300), "1.3 KiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }
}
