"""The HTTP import's policy: the same cases as the Rust host's unit tests
(destination-host/src/http_import.rs, origin.rs), and the retry timing helpers."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from ashby_host import SetupError  # noqa: E402
from ashby_host.policy import check_header, check_path, is_reserved_header, parse_origin  # noqa: E402
from ashby_host.retry import backoff, parse_http_date, parse_retry_after  # noqa: E402


def test_good_origins():
    assert parse_origin("https://api.ashbyhq.com") == "https://api.ashbyhq.com"
    assert parse_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert parse_origin("http://localhost:1/") == "http://localhost:1"
    assert parse_origin("http://[::1]:9") == "http://[::1]:9"


@pytest.mark.parametrize("bad", [
    "http://example.com", "ftp://x", "https://u:p@host", "https://host/path", "http://127.0.0.1.evil.com",
    "http://localhost.evil.com:80", "http://[::ffff:127.0.0.1]:80", "http://10.0.0.1:80", "https://host?x",
    "https://host#x", "https://ho st", "https://host\\@evil", "file:///etc/passwd", "//host", "https://host:abc",
    "https://host:99999", "http://127.0.0.1:}",
])
def test_bad_origins(bad):
    with pytest.raises(SetupError):
        parse_origin(bad)


@pytest.mark.parametrize("bad", [
    "candidate.create", "//evil.com/x", "/a/../b", "/a/%2e%2e/b", "/a\\b", "/a@b", "http://x/y", "/a\r\nHost: x",
    "/a b", "/./a", "/..;/a", "/a/.;x/b", "/%252e%252e/a", "/A/%2E%2E/b", "/.%2e/a", "/a%2Fb", "/a%5Cb",
    "https://evil.com/a", "/a?u=http://evil.com", "/a\x00b", "/a\x7f", "/caf\u00e9", "",
])
def test_bad_paths(bad):
    assert check_path(bad) is not None


def test_good_path():
    assert check_path("/candidate.create") is None


def test_headers():
    for h in ("Authorization", "HOST", "cookie", "Proxy-Authorization", "content-length", "Content-Type", "TE"):
        assert is_reserved_header(h)
        assert check_header(h, "x")[0] == "denied"
    assert check_header("x-request-tag", "abc\tdef") is None
    assert check_header("bad name", "x")[0] == "invalid-request"
    assert check_header("x-a", "a\r\nb")[0] == "invalid-request"
    assert check_header("x-a", "caf\u00e9")[0] == "invalid-request"


def test_retry_after_and_backoff():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT") == 0.0
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT") > 0
    assert parse_http_date("Thu, 01 Jan 1970 00:00:10 GMT") == 10
    assert parse_retry_after("soon") is None
    assert parse_retry_after("99999") == 3600.0
    for attempt in range(1, 10):
        assert backoff(0.25, 30.0, attempt, None) <= 30.0
    assert backoff(0.25, 30.0, 1, 2.0) >= 2.0
