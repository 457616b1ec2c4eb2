"""End to end: send.py runs the real component against the Rust mock Ashby
(a child process) or a loopback server, through its command line."""

import base64
import json
import re
import time

import pytest

from conftest import (KEY, PYTHON_HOST, Server, catalog, config_for, examples, prerequisites, run_host,
                      step_examples, substitute)

ZERO = {"input": 0, "delivered": 0, "dead_lettered": 0, "not_attempted": 0, "requests": 0, "retries": 0,
        "resumed": 0, "rate_limited": 0, "rate_limited_partner": 0, "plugin_restarts": 0, "unknown_fields": {},
        "elapsed_ms": 0}
PLACEHOLDERS = {k: k[0] for k in ("candidate", "application", "job", "opening", "team", "location", "source",
                                  "user", "interview_plan", "custom_field", "interview_stage", "application_field",
                                  "job_field", "opening_field")}
NO_PREFLIGHT = ("--no-preflight",)
"""Against a server that is not the mock: no preflight, so every request counted is the records'."""


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


@pytest.mark.parametrize("case", step_examples(),
                         ids=lambda c: f"{c[0]['id']} step {c[1] + 1} ({c[0]['steps'][c[1]]['endpoint']})")
def test_every_step_of_every_template_delivers_its_example(case, tmp_path, mock):
    t, i, example = case
    step = t["steps"][i]["endpoint"]
    record = substitute(example, prerequisites(mock))
    r = send(tmp_path, config_for(t), [record], mock.base_url, responses=True)
    assert r["code"] == 0, r["stderr"]
    n = r["summary"]["requests"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "delivered": 1, "requests": n}
    with open(r["summary_file"]) as f:
        assert json.load(f) == r["summary"]
    # One response-webhook record per call, in the template's step order.
    endpoints = [x["endpoint"] for x in r["responses"]]
    assert len(endpoints) == n, r["responses"]
    assert step in endpoints, f"{step} was not called: {endpoints}"
    order = [s["endpoint"] for s in t["steps"]]
    assert endpoints == [e for e in order if e in endpoints], "calls out of step order"
    for resp in r["responses"]:
        assert resp["success"] is True, resp
        assert resp["index"] == 0 and isinstance(resp["request_id"], str)
    assert r["dead_letters"] == []
    assert_no_key(r)


def test_a_multi_step_record_delivers_with_one_response_record_per_call(tmp_path, mock):
    job = mock.fixtures["job"]
    record = {"jobId": job, "title": "Staff Rust Engineer", "status": "Closed"}
    r = send(tmp_path, {"template": "update-job"}, [record], mock.base_url, responses=True)
    assert r["code"] == 0, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "delivered": 1, "requests": 2}
    assert [(x["index"], x["endpoint"], x["success"], x["id"]) for x in r["responses"]] == [
        (0, "/job.update", True, job), (0, "/job.setStatus", True, job)]
    info = mock.post("/job.info", {"id": job})["results"]
    assert (info["status"], info["title"]) == ("Closed", "Staff Rust Engineer")


def test_a_later_call_failing_dead_letters_with_the_calls_completed(tmp_path, mock):
    job = mock.fixtures["job"]
    # The seeded job is Open: job.update succeeds, Open -> Draft is refused.
    record = {"jobId": job, "title": "Renamed First", "status": "Draft"}
    r = send(tmp_path, {"template": "update-job"}, [record], mock.base_url, responses=True)
    assert r["code"] == 1, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "dead_lettered": 1, "requests": 2}
    assert [(x["endpoint"], x["success"]) for x in r["responses"]] == [("/job.update", True),
                                                                        ("/job.setStatus", False)]
    [dl] = r["dead_letters"]
    assert list(dl) == ["index", "record", "code", "reason", "attempts", "completed"]
    assert dl["completed"] == [{"endpoint": "/job.update", "id": job}]
    assert "job.setStatus" in dl["reason"]
    assert mock.post("/job.info", {"id": job})["results"]["title"] == "Renamed First", "the first call stays"


def test_unknown_fields_are_counted_per_name_each_record_once(tmp_path, mock):
    records = [{"name": "One", "colour": "red"}, {"name": "Two", "colour": "blue", "shoe": 9}, {"name": "Three"}]
    r = send(tmp_path, {"template": "create-candidate", "unknown_fields": "drop"}, records, mock.base_url)
    assert r["code"] == 0, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 3, "delivered": 3, "requests": 3,
                                    "unknown_fields": {"colour": 2, "shoe": 1}}
    assert "warning: 2 record(s) carried the field `colour`" in r["stderr"]


@pytest.mark.parametrize("t", [t for t in catalog() if any(f["required"] for f in t["fields"])],
                         ids=lambda t: t["id"])
def test_missing_required_field_is_dead_lettered_without_a_request(t, tmp_path):
    field = next(f for f in t["fields"] if f["required"])
    record = substitute(examples()[t["id"]]["example"], PLACEHOLDERS)
    record.pop(field["name"], None)
    for a in field["aliases"]:
        record.pop(a, None)
    server = canary()
    try:
        r = send(tmp_path, config_for(t), [record], server.base_url, extra=NO_PREFLIGHT)
    finally:
        server.close()
    assert r["code"] == 1, r["stderr"]
    assert counts(r["summary"]) == {**ZERO, "input": 1, "dead_lettered": 1}
    assert server.hits == [], "a local rejection must not be sent"
    [dl] = r["dead_letters"]
    assert list(dl) == ["index", "record", "code", "reason", "attempts"]
    assert dl["code"] == "missing_field" and dl["index"] == 0
    assert dl["record"] == record, "the dead letter keeps the record unchanged"
    assert field["name"] in dl["reason"]


def test_wrong_key_fails_the_auth_preflight_and_nothing_is_sent(tmp_path, mock):
    records = [{"name": f"Person {i}", "email": f"p{i}@example.com"} for i in range(3)]
    r = send(tmp_path, {"template": "create-candidate"}, records, mock.base_url, key="a-wrong-key")
    assert r["code"] == 2, r["stderr"]
    # Every record is still reported, as not attempted.
    assert (r["summary"]["input"], r["summary"]["not_attempted"], r["summary"]["requests"]) == (3, 3, 0)
    assert re.search(r"error: preflight check `auth` failed \(\w+\): .*Nothing was sent: 3 record\(s\) not attempted",
                     r["stderr"]), r["stderr"]
    assert r["dead_letters"] == []


def test_without_the_preflight_a_wrong_key_halts_with_one_request(tmp_path, mock):
    records = [{"name": f"Person {i}", "email": f"p{i}@example.com"} for i in range(3)]
    r = send(tmp_path, {"template": "create-candidate"}, records, mock.base_url, key="a-wrong-key",
             extra=NO_PREFLIGHT)
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
        r = send(tmp_path, {"template": "create-candidate"}, [{"name": "Slow Down"}], proxy.base_url,
                 extra=NO_PREFLIGHT)
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
