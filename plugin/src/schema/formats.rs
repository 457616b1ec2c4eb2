//! String-format predicates for the field types: UUIDs, email addresses,
//! http(s) URLs, dates and date-times. Every check is written by hand.

/// Whether `s` is a UUID: 32 hex digits in groups 8-4-4-4-12 (any case,
/// any version).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` looks like a deliverable email address: a local part of
/// printable characters without specials, `@`, and a domain of at least two
/// dot-separated labels (letters, digits, hyphens; non-ASCII allowed) with a
/// top-level label of two or more letters.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"@\"(),:;<>[\\]".contains(c));
    local_ok && is_domain(domain, true)
}

/// Whether `s` is a DNS name: dot-separated labels of letters, digits and
/// inner hyphens (non-ASCII letters allowed). With `need_tld`, at least two
/// labels and an alphabetic last label of two or more characters.
fn is_domain(s: &str, need_tld: bool) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return false;
    }
    if need_tld {
        let tld = labels.last().copied().unwrap_or_default();
        labels.len() >= 2 && tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
    } else {
        true
    }
}

/// Whether `s` is an absolute `http` or `https` URL with a host: scheme
/// (any case), `://`, optional `user@`, a DNS name, `localhost`-style name,
/// IPv4 or bracketed IPv6 host, an optional numeric port, then an optional
/// path, query and fragment without spaces or control characters.
pub fn is_http_url(s: &str) -> bool {
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(after) = host_port.strip_prefix('[') {
        let Some((v6, tail)) = after.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match tail {
            "" => ("v6", None),
            t => match t.strip_prefix(':') {
                Some(p) => ("v6", Some(p)),
                None => return false,
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && is_domain(host.trim_end_matches('.'), false)
}

/// Parses exactly `n` ASCII digits at the start of `s`.
fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = head.parse().ok()?;
    Some((value, s.get(n..)?))
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` at the start of `s`, checking the day exists, and
/// returns the rest.
fn parse_date(s: &str) -> Option<&str> {
    let (year, s) = digits(s, 4)?;
    let s = s.strip_prefix('-')?;
    let (month, s) = digits(s, 2)?;
    let s = s.strip_prefix('-')?;
    let (day, s) = digits(s, 2)?;
    (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then_some(s)
}

/// Whether `s` is a calendar date `YYYY-MM-DD` that exists (leap years
/// included).
pub fn is_date(s: &str) -> bool {
    parse_date(s) == Some("")
}

/// Whether `s` is a date-time: a date, `T` (or `t`), `HH:MM` with optional
/// `:SS` and fraction, then `Z` or an offset `±HH:MM` / `±HHMM`.
pub fn is_date_time(s: &str) -> bool {
    fn time(s: &str) -> Option<&str> {
        let (hour, s) = digits(s, 2)?;
        let s = s.strip_prefix(':')?;
        let (minute, mut s) = digits(s, 2)?;
        if hour > 23 || minute > 59 {
            return None;
        }
        if let Some(rest) = s.strip_prefix(':') {
            let (second, rest) = digits(rest, 2)?;
            if second > 60 {
                return None;
            }
            s = rest;
            if let Some(frac) = s.strip_prefix(['.', ',']) {
                let n = frac.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                s = frac.get(n..)?;
            }
        }
        Some(s)
    }
    fn offset(s: &str) -> bool {
        if s == "Z" || s == "z" {
            return true;
        }
        let Some(rest) = s.strip_prefix(['+', '-']) else {
            return false;
        };
        let Some((hours, rest)) = digits(rest, 2) else {
            return false;
        };
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        matches!(digits(rest, 2), Some((minutes, "")) if hours <= 23 && minutes <= 59)
    }
    let Some(rest) = parse_date(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(['T', 't']) else {
        return false;
    };
    time(rest).is_some_and(offset)
}
