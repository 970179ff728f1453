//! Hand-written value types the generated code uses.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A model `timestamp`. On the wire IAM and STS write whole seconds in UTC with a `Z`
/// (`2024-05-01T12:00:00Z`); requests may carry any RFC 3339 form (botocore sends fractional
/// seconds when the value has them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub time::OffsetDateTime);

impl DateTime {
    /// The current time, truncated to whole seconds so that a value written to the wire and
    /// read back compares equal.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self(now.replace_nanosecond(0).unwrap_or(now))
    }

    /// `YYYY-MM-DDThh:mm:ssZ` in UTC, as IAM and STS print timestamps.
    pub fn to_iso8601(&self) -> String {
        // Written by hand: `time`'s formatting machinery costs several times more, and every
        // listed entity carries a timestamp. A value whose UTC date is outside `time`'s range
        // is written in its own offset rather than failing.
        let utc = self.0.checked_to_offset(UtcOffset::UTC).unwrap_or(self.0);
        let year = utc.year();
        if !(0..=9999).contains(&year) {
            return format!(
                "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                u8::from(utc.month()),
                utc.day(),
                utc.hour(),
                utc.minute(),
                utc.second()
            );
        }
        let mut out = String::with_capacity(20);
        let mut push = |value: u32, width: u32, separator: Option<char>| {
            for place in (0..width).rev() {
                let digit = value / 10u32.pow(place) % 10;
                out.push(char::from_digit(digit, 10).unwrap_or('0'));
            }
            if let Some(separator) = separator {
                out.push(separator);
            }
        };
        push(year.unsigned_abs(), 4, Some('-'));
        push(u32::from(u8::from(utc.month())), 2, Some('-'));
        push(u32::from(utc.day()), 2, Some('T'));
        push(u32::from(utc.hour()), 2, Some(':'));
        push(u32::from(utc.minute()), 2, Some(':'));
        push(u32::from(utc.second()), 2, Some('Z'));
        out
    }

    /// Parses an RFC 3339 timestamp (`Z` or a numeric offset, optional fractional seconds).
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(Self)
    }
}

impl Default for DateTime {
    fn default() -> Self {
        Self(OffsetDateTime::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_in_utc() {
        let t = DateTime::parse_iso8601("2024-05-01T14:00:00.789+02:00").unwrap();
        assert_eq!(t.to_iso8601(), "2024-05-01T12:00:00Z");
        assert_eq!(DateTime::default().to_iso8601(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn pads_every_field() {
        let t = DateTime(time::macros::datetime!(0999-01-02 03:04:05 UTC));
        assert_eq!(t.to_iso8601(), "0999-01-02T03:04:05Z");
        let t = DateTime(time::macros::datetime!(2024-12-31 23:59:59 -01:00));
        assert_eq!(t.to_iso8601(), "2025-01-01T00:59:59Z");
        let t = DateTime(time::macros::datetime!(-0001-01-01 00:00:00 UTC));
        assert_eq!(t.to_iso8601(), "-001-01-01T00:00:00Z");
    }

    #[test]
    fn now_round_trips() {
        let now = DateTime::now();
        assert_eq!(DateTime::parse_iso8601(&now.to_iso8601()), Some(now));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-05-01 12:00:00",
        ] {
            assert_eq!(DateTime::parse_iso8601(bad), None, "{bad}");
        }
    }
}
