"""The HTTP import's policy, the same rules as the Rust host
(destination-host/src/http_import.rs, origin.rs): the tenant's origin, path checks, reserved
headers, allowed methods."""

import ipaddress
import re
import urllib.parse

from . import SetupError

METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
"""The cases of the WIT `http.method` enum, as wasmtime-py names them, and
the HTTP method each one is. Nothing else is representable across the
boundary."""

RESERVED = frozenset({
    "authorization", "host", "cookie", "content-length", "transfer-encoding", "connection",
    "content-type", "te", "upgrade", "keep-alive", "expect",
})
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VALUE = re.compile(r"^[\t\x20-\x7e]*$")


def _is_control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


def _control_or_space(c: str) -> bool:
    return c.isspace() or _is_control(c)


def _host_of(authority: str) -> str:
    if authority.startswith("["):
        return authority[1:].split("]")[0]
    return authority.split(":")[0]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_origin(text: str) -> str:
    """Parses `https://host[:port]` (any host) or `http://host:port` for a
    loopback host only; returns `scheme://host[:port]`, lower case."""
    url = text.strip()
    if "://" not in url:
        raise SetupError(f"`{url}` is not an absolute URL")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    authority = rest[:-1] if rest.endswith("/") else rest
    if not authority:
        raise SetupError(f"`{url}` has no host")
    if any(c in authority for c in "/?#\\"):
        raise SetupError(f"`{url}` must be an origin only (no path, query or fragment)")
    if "@" in authority:
        raise SetupError(f"`{url}` must not carry userinfo")
    if any(_control_or_space(c) for c in authority):
        raise SetupError(f"`{url}` contains whitespace or control characters")
    host = _host_of(authority)
    if scheme == "http":
        if not _is_loopback(host):
            raise SetupError(
                f"`{url}`: plain http is allowed only to loopback (127.0.0.1, ::1, localhost); use https")
    elif scheme != "https":
        raise SetupError(f"`{url}`: scheme `{scheme}` is not supported; use https")
    base = f"{scheme}://{authority.lower()}"
    try:
        parsed = urllib.parse.urlsplit(base)
        parsed.port  # raises on a bad port
    except ValueError as e:
        raise SetupError(f"`{url}` is not a valid origin: {e}") from None
    if not parsed.hostname:
        raise SetupError(f"`{url}` has no host")
    return base


def is_reserved_header(name: str) -> bool:
    """Headers the guest may never set: the host owns them."""
    n = name.lower()
    return n in RESERVED or n.startswith("proxy-")


def check_header(name: str, value: str):
    """Returns None when the guest header may be sent, else the WIT
    `http.error` case and message that refuse it."""
    if is_reserved_header(name):
        return ("denied", f"header `{name}` is reserved to the host")
    if not _TOKEN.match(name):
        return ("invalid-request", f"header name {name!r} is not valid")
    if any(_is_control(c) and c != "\t" for c in value):
        return ("invalid-request", f"header `{name}` has a control character in its value")
    if not _VALUE.match(value):
        return ("invalid-request", f"header `{name}` has an invalid value")
    return None


def check_path(path: str):
    """Returns None when the guest path is a plain path relative to the
    origin, else the reason it is refused."""
    q = repr(path)
    if not path.startswith("/"):
        return f"path {q} must start with `/` (a path, never a URL)"
    if path.startswith("//"):
        return f"path {q} starts with `//`, which names a host"
    if "://" in path:
        return f"path {q} contains a URL"
    for c in path:
        if _control_or_space(c):
            return f"path {q} contains whitespace or a control character"
        if c in "\\@#" or ord(c) > 0x7F:
            return f"path {q} contains the forbidden character {c!r}"
    lower = path.lower()
    if any(e in lower for e in ("%2e", "%2f", "%5c", "%00", "%25")):
        return f"path {q} percent-encodes a dot, slash, backslash, NUL or percent sign"
    only_path = path.split("?")[0]
    # `/..;/` is a dot segment to servers that strip path parameters.
    if any(seg.split(";")[0] in (".", "..") for seg in only_path.split("/")):
        return f"path {q} contains a dot segment"
    return None
