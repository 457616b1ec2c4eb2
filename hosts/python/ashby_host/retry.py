"""Retry timing, as the Rust host's delivery loop: exponential backoff with
full jitter, never sooner than the remote's Retry-After."""

import calendar
import random
import time

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_HOUR = 3600.0


def parse_http_date(text: str):
    """Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to epoch
    seconds, or None."""
    parts = text.split()
    if len(parts) != 6 or parts[5] != "GMT" or parts[2] not in _MONTHS:
        return None
    try:
        day, year = int(parts[1]), int(parts[3])
        hms = [int(x) for x in parts[4].split(":")]
    except ValueError:
        return None
    if len(hms) != 3 or not 1 <= day <= 31 or min(hms) < 0:
        return None
    try:
        return calendar.timegm((year, _MONTHS.index(parts[2]) + 1, day, hms[0], hms[1], hms[2]))
    except (OverflowError, ValueError):
        return None


def parse_retry_after(value: str):
    """Reads a Retry-After value (delay-seconds or an HTTP date) as seconds,
    at most an hour, or None."""
    v = value.strip()
    if v.isdigit() and v.isascii():
        return min(float(int(v)), _HOUR)
    when = parse_http_date(v)
    if when is None:
        return None
    return min(max(when - time.time(), 0.0), _HOUR)


def backoff(base: float, cap: float, attempt: int, floor):
    """Backoff in seconds for `attempt` (1-based): base doubling to cap, full
    jitter, at least `floor` when given."""
    exp = min(base * 2 ** min(max(attempt - 1, 0), 16), cap)
    jitter = exp * random.random()
    return jitter if floor is None else max(jitter, floor)
