"""End to end: send.py runs the real component against the Rust mock Ashby
(a child process) or a loopback server, through its command line."""

import base64
import json
import re
import time

import pytest

from conftest import (KEY, PYTHON_HOST, Server, config_for, prerequisites, run_host, substitute,
                      templates)

ZERO = {"input": 0, "delivered": 0, "dead_lettered": 0, "not_attempted": 0, "requests": 0, "retries": 0,
        "resumed": 0, "rate_limited": 0, "rate_limited_partner": 0, "plugin_restarts": 0, "elapsed_ms": 0}
PLACEHOLDERS = {k: k[0] for k in ("candidate", "application", "job", "opening", "team", "location", "source",
                                  "user", "interview_plan", "custom_field")}


def counts(summary):
    return {**summary, "elapsed_ms": 0}


def send(tmp_path, config, records, base_url, **kw):
    return run_host(PYTHON_HOST, tmp_path, config, records, base_url, **kw)


def assert_no_key(r):
    b64 = base64.b64encode(f"{KEY}:".encode()).decode()
    for text in (r["stdout"], r["stderr"], json.dumps(r["dead_letters"]), json.dumps(r["responses"])):
        assert KEY not in text and b64 not in text, "the API key leaked into an output"


def canary():
    """A loopback server that records requests and answers 500 (nothing should reach it)."""
    return Server(lambda s, *a: (500, {}, b""))


@pytest.mark.parametrize("t", templates(), ids=lambda t: t["id"])
def test_every_template_example_delivers(t, tmp_path, mock):
    record = substitute(t["example"], prerequisites(mock))
    r = send(tmp_path, config_for(t), [record], mock.base_url, responses=True)
    assert r["code"] == 0, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "delivered": 1, "requests": 1}
    with open(r["summary_file"]) as f:
        assert json.load(f) == r["summary"]
    assert len(r["responses"]) == 1
    resp = r["responses"][0]
    assert resp["success"] is True, resp
    assert resp["index"] == 0 and resp["endpoint"] == t["endpoint"]
    assert isinstance(resp["request_id"], str)
    if t["result_id"]:
        assert isinstance(resp["id"], str), resp
    assert r["dead_letters"] == []
    assert_no_key(r)


@pytest.mark.parametrize("t", [t for t in templates() if t["required"]], ids=lambda t: t["id"])
def test_missing_required_field_is_dead_lettered_without_a_request(t, tmp_path):
    field = t["required"][0]
    record = substitute(t["example"], PLACEHOLDERS)
    record.pop(field, None)
    for a in t["aliases"]:
        if a["to"] == field:
            record.pop(a["from"], None)
    server = canary()
    try:
        r = send(tmp_path, config_for(t), [record], server.base_url)
    finally:
        server.close()
    assert r["code"] == 1, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "dead_lettered": 1}
    assert server.hits == [], "a local rejection must not be sent"
    [dl] = r["dead_letters"]
    assert list(dl) == ["index", "record", "code", "reason", "attempts"]
    assert dl["code"] == "missing_field" and dl["index"] == 0
    assert dl["record"] == record, "the dead letter keeps the record unchanged"
    assert field in dl["reason"]


def test_wrong_key_halts_with_one_request(tmp_path, mock):
    records = [{"name": f"Person {i}", "email": f"p{i}@example.com"} for i in range(3)]
    r = send(tmp_path, {"template": "create-candidate"}, records, mock.base_url, key="a-wrong-key")
    assert r["code"] == 2, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 3, "not_attempted": 3, "requests": 1}
    assert re.search(r"error: halted \((unauthorized|forbidden)\): .*candidatesWrite", r["stderr"]), r["stderr"]
    assert r["dead_letters"] == [], "a bad key is not the records' fault"


def test_429_with_retry_after_is_honoured(tmp_path, mock):
    import urllib.request

    seen = []

    def handler(server, method, path, headers, body):
        seen.append(time.monotonic())
        if len(seen) == 1:
            return 429, {"retry-after": "1", "content-type": "application/json"}, b'{"success":false}'
        req = urllib.request.Request(mock.base_url + path, data=body, method=method, headers={
            "authorization": headers["authorization"], "content-type": headers["content-type"]})
        with urllib.request.urlopen(req, timeout=10) as up:
            return up.status, {"content-type": up.headers["content-type"]}, up.read()

    proxy = Server(handler)
    try:
        r = send(tmp_path, {"template": "create-candidate"}, [{"name": "Slow Down"}], proxy.base_url)
    finally:
        proxy.close()
    assert r["code"] == 0, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "delivered": 1, "requests": 2, "retries": 1,
                                    "rate_limited": 1}
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.95, f"retried after {seen[1] - seen[0]:.3f}s, before Retry-After"


def test_bad_lines_are_dead_lettered_with_their_position(tmp_path, mock):
    records = [{"name": "First One"}, "not json", "[1,2]", {"name": "Last One"}]
    r = send(tmp_path, {"template": "create-candidate"}, records, mock.base_url)
    assert r["code"] == 1, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 4, "delivered": 2, "dead_lettered": 2, "requests": 2}
    assert [(d["index"], d["code"], d["attempts"]) for d in r["dead_letters"]] == [
        (1, "invalid_json", 0), (2, "not_an_object", 0)]


def test_refused_config_exits_2_before_sending(tmp_path):
    server = canary()
    try:
        r = send(tmp_path, {"template": "create-candidate", "colour": "blue"}, [{"name": "X"}], server.base_url)
    finally:
        server.close()
    assert r["code"] == 2
    assert "error: the config was refused: config key `colour` is not known" in r["stderr"]
    assert server.hits == []


def test_plain_http_to_a_remote_host_is_refused(tmp_path):
    r = send(tmp_path, {"template": "create-candidate"}, [{"name": "X"}], "http://example.com")
    assert r["code"] == 2
    assert "--base-url" in r["stderr"] and "plain http is allowed only to loopback" in r["stderr"]
