//! Modification times as dates: `metadata.modified()` gives a `SystemTime`, and the standard
//! library has no calendar, so this module turns it into RFC 3339 in UTC by arithmetic.

use std::time::{SystemTime, UNIX_EPOCH};

// ANCHOR: time
/// Whole seconds from 1970-01-01T00:00:00Z to `time` (negative before it), rounded down.
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // Rounding down: 0.5 s before 1970 is in the second that starts at -1.
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

/// Unix seconds as an RFC 3339 date and time in UTC, such as `2024-01-01T00:00:00Z`.
///
/// The days-to-date conversion is Howard Hinnant's `civil_from_days`: exact for the
/// proleptic Gregorian calendar, with no table and no time zone data. Local time would
/// need the OS's time zone database; that is a job for a crate such as `jiff` or `chrono`.
pub fn rfc3339_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Shift the epoch to 0000-03-01, so that February, with its leap day, ends each year.
    let days = days + 719_468;
    let era = days.div_euclid(146_097); // 400-year cycles
    let day_of_era = days.rem_euclid(146_097); // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}
// ANCHOR_END: time

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z"); // leap day, 400-year rule
        assert_eq!(rfc3339_utc(1_704_067_199), "2023-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z"); // 2100 has no Feb 29
        assert_eq!(rfc3339_utc(-2_208_988_800), "1900-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_agrees_with_counting_days_one_by_one() {
        // An independent, slow count over 1600..2400: every day's date, including every
        // leap-year rule, must match the closed formula.
        let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_lengths = |y: i64| {
            [
                31,
                if is_leap(y) { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ]
        };
        let mut days_since_epoch: i64 = -135_140; // 1600-01-01
        for year in 1600..2400 {
            for (month, length) in month_lengths(year).into_iter().enumerate() {
                for day in 1..=length {
                    let expected = format!("{year:04}-{:02}-{day:02}T00:00:00Z", month + 1);
                    assert_eq!(rfc3339_utc(days_since_epoch * 86_400), expected);
                    days_since_epoch += 1;
                }
            }
        }
    }

    #[test]
    fn unix_seconds_round_down_on_both_sides_of_1970() {
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(500)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(2)), -2);
    }
}
