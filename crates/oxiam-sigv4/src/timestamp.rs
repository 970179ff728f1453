//! The two date formats SigV4 accepts: ISO 8601 basic (`X-Amz-Date`) and RFC 1123 (`Date`).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses `YYYYMMDD'T'HHMMSS'Z'`, the only form `X-Amz-Date` may take.
pub(crate) fn parse_iso_basic(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 4, 2)?;
    let day = digits(b, 6, 2)?;
    let hour = digits(b, 9, 2)?;
    let minute = digits(b, 11, 2)?;
    let second = digits(b, 13, 2)?;
    build(year, month, day, hour, minute, second)
}

/// Parses an RFC 1123 date as sent in the HTTP `Date` header,
/// e.g. `Sun, 30 Aug 2015 12:36:00 GMT`.
pub(crate) fn parse_rfc1123(s: &str) -> Option<OffsetDateTime> {
    let mut parts = s.split_ascii_whitespace();
    let weekday = parts.next()?;
    if !weekday.ends_with(',') {
        return None;
    }
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u32 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let hour: u32 = clock.next()?.parse().ok()?;
    let minute: u32 = clock.next()?.parse().ok()?;
    let second: u32 = clock.next()?.parse().ok()?;
    if clock.next().is_some() || !matches!(parts.next()?, "GMT" | "UTC") || parts.next().is_some() {
        return None;
    }
    build(year, month, day, hour, minute, second)
}

/// Formats as `YYYYMMDD'T'HHMMSS'Z'` in UTC.
pub(crate) fn format_iso_basic(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    b.get(start..start + len)?.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn build(year: u32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<OffsetDateTime> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(min).ok()?,
        u8::try_from(sec).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn iso_basic_round_trips() {
        let t = parse_iso_basic("20150830T123600Z");
        assert_eq!(t, Some(datetime!(2015-08-30 12:36:00 UTC)));
        assert_eq!(
            format_iso_basic(datetime!(2015-08-30 12:36:00 UTC)),
            "20150830T123600Z"
        );
    }

    #[test]
    fn iso_basic_rejects_near_misses() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150832T123600Z",
            "20150830T253600Z",
            "2015083aT123600Z",
            "20150830T123600Zx",
            "２0150830T123600Z",
        ] {
            assert_eq!(parse_iso_basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc1123() {
        assert_eq!(
            parse_rfc1123("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(datetime!(2015-08-30 12:36:00 UTC))
        );
        assert_eq!(parse_rfc1123("Sun, 30 Aug 2015 12:36:00 CET"), None);
        assert_eq!(parse_rfc1123("Sun 30 Aug 2015 12:36:00 GMT"), None);
        assert_eq!(parse_rfc1123("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(parse_rfc1123("Sun, 30 Aug 2015 12:36 GMT"), None);
    }

    #[test]
    fn formats_other_offsets_in_utc() {
        let t = datetime!(2015-08-30 14:36:00 +02:00);
        assert_eq!(format_iso_basic(t), "20150830T123600Z");
    }
}
