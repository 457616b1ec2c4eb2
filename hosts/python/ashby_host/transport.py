"""The `http` import: the policy checks, the credential, pacing, and one
persistent connection to the tenant's origin through the standard library's
http.client (which follows no redirects)."""

import base64
import http.client
import socket
import time
import urllib.parse

from .policy import METHODS, check_header, check_path
from .retry import parse_retry_after
from .text import one_line


def basic_header(key: str) -> str:
    """`Basic base64("<key>:")`: the key is the username, the password empty."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


class Bucket:
    """A token bucket: `per_sec` requests a second, capacity one second's
    worth (at least one). A 429 pauses it."""

    def __init__(self, per_sec: float):
        self.rate = per_sec
        self.capacity = max(per_sec, 1.0)
        self.tokens = self.capacity
        self.last = time.monotonic()
        self.paused_until = 0.0

    def acquire(self) -> None:
        """Waits for a token, and for a pause to end."""
        while True:
            now = time.monotonic()
            if now < self.paused_until:
                time.sleep(self.paused_until - now)
                continue
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            time.sleep((1 - self.tokens) / self.rate)

    def pause_for(self, seconds: float) -> None:
        """Sends nothing for `seconds` (after a 429)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class HttpError(Exception):
    """An exchange without a response: `case` is the WIT `http.error` case."""

    def __init__(self, case: str, message: str):
        super().__init__(message)
        self.case = case


class Client:
    """One persistent connection to the origin, with a deadline for each
    whole exchange and a cap on the response body."""

    def __init__(self, origin: str, authorization: str, timeout: float, max_response_bytes: int):
        u = urllib.parse.urlsplit(origin)
        self.https = u.scheme == "https"
        self.host, self.port = u.hostname, u.port
        self.authorization = authorization
        self.timeout = timeout
        self.cap = max_response_bytes
        self.conn = None

    def _connect(self, deadline: float):
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=max(deadline - time.monotonic(), 0.001))
        try:
            conn.connect()
        except socket.timeout:
            raise HttpError("timeout", f"no complete response within {self.timeout:g}s") from None
        except OSError as e:
            raise HttpError("connect", f"error connecting: {e}") from None
        return conn

    def exchange(self, method: str, path: str, headers, body: bytes):
        """Returns (status, [(name, value)], body) or raises HttpError."""
        deadline = time.monotonic() + self.timeout
        if self.conn is None:
            self.conn = self._connect(deadline)
        try:
            return self._exchange(method, path, headers, body, deadline)
        except HttpError:
            self.close()
            raise
        except socket.timeout:
            self.close()
            raise HttpError("timeout", f"no complete response within {self.timeout:g}s") from None
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise HttpError("transport", f"error sending request: {type(e).__name__}: {e}") from None

    def _exchange(self, method, path, headers, body, deadline):
        conn = self.conn
        conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Authorization", self.authorization)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Accept", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        length = resp.getheader("content-length")
        if length and length.isdigit() and int(length) > self.cap:
            raise HttpError("too-large", f"response of {length} bytes is over the limit of {self.cap} bytes")
        data = bytearray()
        while True:
            if conn.sock:
                conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = resp.read(65536)
            if not chunk:
                break
            if len(data) + len(chunk) > self.cap:
                raise HttpError("too-large", f"response body is over the limit of {self.cap} bytes")
            data.extend(chunk)
            if time.monotonic() > deadline:
                raise socket.timeout()
        if resp.will_close:
            self.close()
        return resp.status, [(n.lower(), v) for n, v in resp.getheaders()], bytes(data)

    def close(self) -> None:
        """Closes the connection (the next exchange opens a new one)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_import(client: Client, limits, bucket, state, stats):
    """The function the component imports as `http.send`: returns a response
    record, or a `(case, message)` error that the caller lifts to the WIT
    `http.error` variant. `state.halted` denies every request after a halt;
    `state.declared` is the method `configure` declared (None before it)."""

    def send(request):
        if state.halted:
            return ("denied", "this flow was halted; no further requests are made")
        # The WIT `method` enum (wasmtime-py gives its case names: `post`, ...).
        method = METHODS.get(request.method)
        if method is None:
            return ("invalid-request", f"method {request.method!r} is not allowed")
        # Only the method the destination declared in `configure` is sent.
        if state.declared is None:
            return ("denied", f"method {method}: the destination declared no method (not configured)")
        if state.declared != method:
            return ("denied", f"method {method} is not the one this destination declared ({one_line(state.declared)})")
        bad = check_path(request.path)
        if bad:
            return ("invalid-request", bad)
        body = bytes(request.body)
        if len(body) > limits.max_request_bytes:
            return ("invalid-request",
                    f"request body of {len(body)} bytes is over the limit of {limits.max_request_bytes} bytes")
        headers = []
        for h in request.headers:
            refused = check_header(h.name, h.value)
            if refused:
                return refused
            headers.append((h.name, h.value))
        if bucket:
            bucket.acquire()
        stats.requests += 1
        try:
            status, resp_headers, data = client.exchange(method, request.path, headers, body)
        except HttpError as e:
            return (e.case, str(e))
        if status == 429 and bucket:
            ra = next((v for n, v in resp_headers if n == "retry-after"), None)
            pause = parse_retry_after(ra) if ra is not None else None
            bucket.pause_for(1.0 if pause is None else pause)
        return (status, resp_headers, data)

    return send
