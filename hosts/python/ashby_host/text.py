"""Terminal-safe text, as the Rust host's `one_line`: what a guest or a
remote says is printed with its control characters escaped, so no byte of
it can drive the operator's terminal or forge a log line."""

import re

_DANGEROUS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m) -> str:
    c = m.group(0)
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x80 else f"\\u{{{n:x}}}"


def one_line(s) -> str:
    """`s` as one line: every control character escaped (`\\n`, `\\x1b`, `\\u{9b}`)."""
    return _DANGEROUS.sub(_escape, str(s))
