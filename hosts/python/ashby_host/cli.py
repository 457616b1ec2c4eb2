"""The command line shared by the Node and Python reference hosts, a subset
of `host-harness send`'s."""

import argparse
import json
import os
import re

from . import SetupError
from .policy import parse_origin
from .run import Options


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise SetupError(f"{message}\n{self.format_usage().strip()}")


def parse_rate(text: str) -> float:
    """Parses `N/s` or `N/min` into requests per second."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*/\s*(s|sec|second|m|min|minute)\s*", text)
    try:
        n = float(m.group(1)) if m else float("nan")
    except ValueError:
        n = float("nan")
    if not m or not n > 0 or n == float("inf"):
        raise SetupError(f"--rate: rate `{text}` must look like 10/s or 1000/min")
    return n if m.group(2).startswith("s") else n / 60


def api_key_from_env(env=os.environ) -> str:
    """Reads ASHBY_API_KEY: trimmed, not empty, no control characters."""
    raw = env.get("ASHBY_API_KEY")
    if raw is None:
        raise SetupError("ASHBY_API_KEY is not set: export your Ashby API key to send to --base-url")
    key = raw.strip()
    if not key:
        raise SetupError("ASHBY_API_KEY: the API key is empty")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in key):
        raise SetupError("ASHBY_API_KEY: the API key contains control characters")
    return key


def _positive(name: str, text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        n = 0
    if not n > 0:
        raise SetupError(f"--{name} must be a positive number, not `{text}`")
    return n


def _with_response_webhook(text: str) -> str:
    """Turns the response webhook on (as `host-harness send --responses` does)."""
    try:
        v = json.loads(text)
    except ValueError:
        return text  # let the component explain what is wrong with it
    if isinstance(v, dict):
        v["response_webhook"] = True
        return json.dumps(v)
    return text


def parse_cli(argv):
    """Parses argv into the run's settings; raises SetupError with a sentence."""
    p = _Parser(prog="send.py", description="Send records through the connector component. "
                "The API key comes from ASHBY_API_KEY.")
    for name in ("component", "config", "input", "base-url"):
        p.add_argument(f"--{name}", required=True)
    for name in ("summary", "dead-letter", "responses", "max-attempts", "rate", "http-timeout",
                 "max-response-bytes"):
        p.add_argument(f"--{name}")
    p.add_argument("--no-preflight", action="store_true")
    a = p.parse_args(argv)
    try:
        with open(a.config, encoding="utf-8") as f:
            config = f.read()
    except OSError as e:
        raise SetupError(f"cannot read config {a.config}: {e.strerror}") from None
    if a.responses:
        config = _with_response_webhook(config)
    opts = Options(dead_letter=a.dead_letter, responses=a.responses, no_preflight=a.no_preflight)
    if a.max_attempts:
        opts.max_attempts = int(_positive("max-attempts", a.max_attempts))
    if a.rate:
        opts.rate_per_sec = parse_rate(a.rate)
    if a.http_timeout:
        opts.timeout = _positive("http-timeout", a.http_timeout)
    if a.max_response_bytes:
        opts.max_response_bytes = int(_positive("max-response-bytes", a.max_response_bytes))
    try:
        origin = parse_origin(a.base_url)
    except SetupError as e:
        raise SetupError(f"--base-url: {e}") from None
    return {"component": a.component, "input": a.input, "summary": a.summary, "config": config,
            "origin": origin, "opts": opts}
