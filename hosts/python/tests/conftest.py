"""Test support for the Python host's tests: the component and mock binary
built from this checkout, the Rust mock Ashby as a child process, the
prerequisite objects template examples refer to, a runner for `send.py` as a
child process, and loopback servers."""

import base64
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
KEY = "python-host-test-key-0123456789"


def _built(env: str, path: str, how: str) -> str:
    p = os.environ.get(env) or path
    if not os.path.exists(p):
        raise RuntimeError(f"{p} is missing: {how} (or set {env})")
    return p


def component_path() -> str:
    """The component under test."""
    return _built("CONNECTOR_WASM", os.path.join(ROOT, "target/wasm32-wasip2/release/plugin.wasm"),
                  "run `cargo build -p plugin --target wasm32-wasip2 --release`")


def hostile_path() -> str:
    """The test-only hostile guest (test-guests/hostile), which misbehaves as its config says."""
    return _built("HOSTILE_WASM", os.path.join(ROOT, "target/wasm32-wasip2/release/hostile.wasm"),
                  "run `cargo build -p hostile --target wasm32-wasip2 --release`")


def harness_path() -> str:
    """The host-harness binary (its `mock` command)."""
    return _built("HOST_HARNESS", os.path.join(ROOT, "target/debug/host-harness"), "run `cargo build -p host-harness`")


CACHE = os.path.join(ROOT, "target/tmp/host-cache")
"""Where the tests cache the compiled component: under target/, not in the user's home."""


@functools.lru_cache(maxsize=None)
def catalog():
    """The component's own catalog (its `describe` export, through this
    host's loader): per template its id, side effects, fields (required,
    aliases) and steps (endpoint, method, when it runs)."""
    sys.path.insert(0, os.path.join(ROOT, "hosts/python"))
    from ashby_host.component import Loaded

    os.environ.setdefault("ASHBY_CONNECTOR_CACHE_DIR", CACHE)
    inst = Loaded(component_path()).instantiate(lambda request: ("denied", "describe makes no request"))
    return json.loads(inst.describe().catalog)["templates"]


def examples() -> dict:
    """The examples of templates.json (version 2): id -> {example, steps}."""
    with open(os.path.join(ROOT, "templates.json"), encoding="utf-8") as f:
        data = json.load(f)
    if data["version"] != 2:
        raise RuntimeError(f"templates.json is version {data['version']}, these tests read version 2")
    return {t["id"]: {"example": t["example"], "steps": t["steps"]} for t in data["templates"]}


def step_examples():
    """Every (template, step index, example record): the template's example
    for its first step, each later step's own example for the others (as
    the Rust e2e tests' `step_examples`)."""
    ex = examples()
    out = []
    for t in catalog():
        for i, _ in enumerate(t["steps"]):
            example = ex[t["id"]]["example"] if i == 0 else ex[t["id"]]["steps"][i].get("example")
            if example is None:
                raise RuntimeError(f"{t['id']} step {i + 1} has no example")
            out.append((t, i, example))
    return out


def config_for(t) -> dict:
    """The config that runs a template's example."""
    c = {"template": t["id"]}
    if t["side_effects"]:
        c["confirm_side_effects"] = True
    return c


class Mock:
    """`host-harness mock` as a child process."""

    def __init__(self, key: str = KEY):
        self.key = key
        self.proc = subprocess.Popen([harness_path(), "mock", "--port", "0", "--api-key", key],
                                     stdout=subprocess.PIPE, text=True)
        self.base_url = self.fixtures = None
        for line in self.proc.stdout:
            m = re.search(r"listening on (\S+)", line)
            if m:
                self.base_url = m.group(1)
            if line.startswith("fixtures: "):
                self.fixtures = json.loads(line[len("fixtures: "):])
            if self.base_url and self.fixtures:
                break
        if not (self.base_url and self.fixtures):
            raise RuntimeError("the mock did not start")

    def post(self, path: str, body) -> dict:
        """POSTs straight to the mock (not through the component)."""
        auth = base64.b64encode(f"{self.key}:".encode()).decode()
        req = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"authorization": f"Basic {auth}", "content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def mock():
    m = Mock()
    yield m
    m.stop()


def prerequisites(m: Mock) -> dict:
    """Creates the objects template examples refer to; returns placeholder →
    id (as tests/src/lib.rs)."""
    c = m.post("/candidate.create", {"name": "Prereq Candidate", "email": "prereq@example.com"})
    # The application belongs to a second candidate, so an example may apply
    # {{candidate}} to the job without a duplicate application.
    c2 = m.post("/candidate.create", {"name": "Prereq Applicant"})
    a = m.post("/application.create", {"candidateId": c2["results"]["id"], "jobId": m.fixtures["job"]})
    f = m.fixtures
    return {"candidate": c["results"]["id"], "application": a["results"]["id"], "job": f["job"],
            "opening": f["opening"], "team": f["team"], "location": f["location"], "source": f["source"],
            "user": f["user"], "interview_plan": f["interview_plan"], "custom_field": f["notice_period_field"],
            "interview_stage": f["screen_stage"], "application_field": f["seniority_field"],
            "job_field": f["team_size_field"], "opening_field": f["budget_field"]}


def substitute(v, names: dict):
    """Replaces `{{name}}` placeholders in every string of `v`."""
    if isinstance(v, str):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: names.get(m.group(1), m.group(0)), v)
    if isinstance(v, list):
        return [substitute(x, names) for x in v]
    if isinstance(v, dict):
        return {k: substitute(x, names) for k, x in v.items()}
    return v


def _read_lines(path: str):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_host(host, tmp_path, config, records, base_url, key=KEY, responses=False, extra=(), component=None):
    """Writes config and records, runs `host` (a command and its flag for the
    component file) against base_url; returns a dict with code, stdout,
    stderr, summary, dead_letters, responses."""
    host_cmd, component_flag = host
    p = lambda n: str(tmp_path / n)  # noqa: E731
    with open(p("config.json"), "w") as f:
        f.write(config if isinstance(config, str) else json.dumps(config))
    with open(p("in.jsonl"), "w") as f:
        f.write("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records))
    args = [component_flag, component or component_path(), "--config", p("config.json"), "--input", p("in.jsonl"),
            "--base-url", base_url, "--summary", p("summary.json"), "--dead-letter", p("dl.jsonl"), *extra]
    if responses:
        args += ["--responses", p("responses.jsonl")]
    # The compiled component is cached under target/, not in the user's home.
    env = {"PATH": os.environ.get("PATH", ""), "ASHBY_API_KEY": key,
           "ASHBY_CONNECTOR_CACHE_DIR": CACHE}
    r = subprocess.run([*host_cmd, *args], env=env, capture_output=True, text=True, timeout=120)
    try:
        summary = json.loads(r.stdout)
    except ValueError:
        summary = None
    return {"code": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "summary": summary,
            "dead_letters": _read_lines(p("dl.jsonl")), "responses": _read_lines(p("responses.jsonl")),
            "summary_file": p("summary.json")}


PYTHON_HOST = ([sys.executable, os.path.join(ROOT, "hosts/python/send.py")], "--component")
"""This host: the command and its flag for the component file."""
NODE_HOST = (["node", os.path.join(ROOT, "hosts/node/send.mjs")], "--component")
"""The Node.js host (needs `npm ci` in hosts/node)."""


def rust_host():
    """The Rust CLI loading the same component file."""
    return ([harness_path(), "send"], "--plugin")


class Server:
    """A loopback HTTP server in a thread; `handler(server, method, path,
    headers, body)` returns (status, headers, body)."""

    def __init__(self, handler):
        outer = self
        self.hits = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.hits.append(self.path)
                status, headers, data = handler(outer, self.command, self.path, self.headers, body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
