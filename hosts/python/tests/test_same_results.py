"""One check, three hosts: the Rust CLI, the Node.js host and this one load
the same component file and give the same summary, dead letters and exit
code on the same cases (each against a fresh mock)."""

import os

import pytest

from conftest import NODE_HOST, PYTHON_HOST, ROOT, Mock, rust_host, run_host

MIXED = [
    {"name": "Grace Hopper", "email": "grace@example.com"},
    {"email": "no-name@example.com"},
    "{not json",
    "[1, 2]",
    {"name": "Alan Turing", "phoneNumber": "+44 20 7946 0002"},
    {"name": "Bad Email", "email": 12},
]
CASES = {
    "mixed records": dict(records=MIXED),
    "wrong key": dict(records=MIXED[:2], key="not-the-mock-key"),
    "unknown config key": dict(records=MIXED[:1], config={"template": "create-candidate", "colour": "blue"}),
}


def outcome(host, tmp_path, case):
    m = Mock()
    try:
        r = run_host(host, tmp_path, case.get("config", {"template": "create-candidate"}), case["records"],
                     m.base_url, **({"key": case["key"]} if "key" in case else {}))
    finally:
        m.stop()
    summary = dict(r["summary"] or {})
    summary.pop("elapsed_ms", None)
    dead = [(d["index"], d["code"], d["attempts"], d["record"]) for d in r["dead_letters"]]
    return r["code"], summary, dead


@pytest.mark.parametrize("name", CASES)
def test_three_hosts_agree(name, tmp_path):
    assert os.path.isdir(os.path.join(ROOT, "hosts/node/node_modules")), "run `npm ci` in hosts/node first"
    got = {}
    for label, host in (("rust", rust_host()), ("node", NODE_HOST), ("python", PYTHON_HOST)):
        d = tmp_path / label
        d.mkdir()
        got[label] = outcome(host, d, CASES[name])
    assert got["node"] == got["rust"]
    assert got["python"] == got["rust"]
