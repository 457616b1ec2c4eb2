//! Text formats Ashby's documentation names: UUIDs, email addresses, http(s) URLs, ISO 8601
//! dates and date-times.

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| is_hex(part, len))
}

pub(crate) fn is_email(text: &str) -> bool {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

pub(crate) fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub(crate) fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (
        digits(&text[0..4]),
        digits(&text[5..7]),
        digits(&text[8..10]),
    ) else {
        return false;
    };
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`.
pub(crate) fn is_datetime(text: &str) -> bool {
    if !text.is_ascii() || text.len() < 17 {
        return false;
    }
    let (date, rest) = text.split_at(10);
    if !is_date(date) || !rest.starts_with('T') {
        return false;
    }
    let rest = &rest[1..];
    let (time, zone) = if let Some(time) = rest.strip_suffix('Z') {
        (time, None)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (time, zone) = rest.split_at(rest.len() - 6);
        (time, Some(&zone[1..]))
    } else {
        return false;
    };
    if let Some(zone) = zone {
        let ok = zone.as_bytes().get(2) == Some(&b':')
            && digits(&zone[0..2]).is_some_and(|h| h <= 23)
            && digits(&zone[3..5]).is_some_and(|m| m <= 59);
        if !ok {
            return false;
        }
    }
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let limits = [23, 59, 60];
    match fields.len() {
        2 if fraction.is_none() => {}
        3 => {}
        _ => return false,
    }
    fields
        .iter()
        .zip(limits)
        .all(|(f, max)| f.len() == 2 && digits(f).is_some_and(|n| n <= max))
}
