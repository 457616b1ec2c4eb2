"""The Python host against the test-only hostile guest: forged requests are
refused by the host's policy, WASI grants nothing, and a trapping instance
is contained (its record dead-lettered `plugin_fault`, the others
delivered)."""

import base64
import json

from conftest import KEY, PYTHON_HOST, Server, hostile_path, run_host

AUTH = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()


def ok_server():
    """A loopback server that records each request and answers 200 `{}`."""
    seen = []

    def handler(server, method, path, headers, body):
        seen.append({"method": method, "path": path, "headers": {k.lower(): v for k, v in headers.items()}})
        return 200, {"content-type": "application/json"}, b"{}"

    s = Server(handler)
    s.seen = seen
    return s


def hostile(tmp_path, config, records, base_url):
    return run_host(PYTHON_HOST, tmp_path, config, records, base_url, component=hostile_path())


def test_forged_requests_are_refused_by_policy(tmp_path):
    probes = [
        {"headers": [["Authorization", "Basic Zm9yZ2Vk"]]},
        {"headers": [["Host", "evil.example"]]},
        {"headers": [["Proxy-Authorization", "x"]]},
        {"headers": [["x-bad", "a\r\nInjected: 1"]]},
        {"path": "//evil.example/x"},
        {"path": "/a/../candidate.create"},
        {"path": "http://evil.example/candidate.create"},
        {"method": "TRACE"},  # the WIT method is an enum: the guest cannot even ask for it
        {"method": "DELETE"},  # representable, but not the method the guest declared (POST)
        {"headers": [["x-request-tag", "fine"]]},
    ]
    server = ok_server()
    try:
        r = hostile(tmp_path, "probe", probes, server.base_url)
    finally:
        server.close()
    codes = [d["code"] for d in r["dead_letters"]]
    assert codes == ["denied"] * 3 + ["invalid_request"] * 4 + ["unrepresentable", "denied", "answered"], \
        r["dead_letters"]
    assert len(server.seen) == 1, "only the allowed request reached the network"
    [req] = server.seen
    assert req["path"] == "/candidate.create" and req["method"] == "POST"
    assert req["headers"]["authorization"] == AUTH
    assert req["headers"]["content-type"] == "application/json"
    assert req["headers"]["x-request-tag"] == "fine"
    assert r["summary"]["requests"] == 1


def test_wasi_grants_nothing(tmp_path):
    canary = ok_server()
    try:
        addr = canary.base_url.removeprefix("http://")
        r = hostile(tmp_path, f"snoop {addr}", [{"n": 1}], canary.base_url)
    finally:
        canary.close()
    [dl] = r["dead_letters"]
    assert dl["code"] == "snooped"
    seen = json.loads(dl["reason"])
    assert seen["env"] == [] and seen["args"] == [], seen
    assert all("refused" in f for f in seen["files"]), seen
    assert seen["tcp"].startswith("refused"), seen
    assert canary.seen == [], "the guest reached a socket"
    assert KEY not in r["stdout"] + r["stderr"] + json.dumps(r["dead_letters"])


def test_a_trapping_record_is_dead_lettered_and_the_rest_delivered(tmp_path):
    server = ok_server()
    try:
        records = [{"name": "first"}, {"name": "POISON"}, {"name": "last"}]
        r = hostile(tmp_path, "poison POISON", records, server.base_url)
    finally:
        server.close()
    assert r["code"] == 1, r["stderr"]
    s = r["summary"]
    assert (s["delivered"], s["dead_lettered"], s["not_attempted"]) == (2, 1, 0), s
    assert s["plugin_restarts"] >= 1
    [dl] = r["dead_letters"]
    assert (dl["index"], dl["code"]) == (1, "plugin_fault"), dl


def test_a_component_that_always_traps_ends_each_record(tmp_path):
    server = ok_server()
    try:
        r = hostile(tmp_path, "panic", [{"n": 1}, {"n": 2}], server.base_url)
    finally:
        server.close()
    s = r["summary"]
    assert s["input"] == s["delivered"] + s["dead_lettered"] + s["not_attempted"] == 2, s
    assert [d["code"] for d in r["dead_letters"]] == ["plugin_fault", "plugin_fault"]
    assert server.seen == []
