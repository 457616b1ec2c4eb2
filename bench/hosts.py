#!/usr/bin/env python3
"""Records per second and CPU per record for the three hosts of the same
component: the Rust CLI (`host-harness send --plugin`), the Node.js host
(`hosts/node/send.mjs`) and the Python host (`hosts/python/send.py`).

Each host gets a fresh `host-harness mock` (loopback, no latency) and the
same input file of N create-candidate records, after one warm-up run (so
every host loads a cached compiled/transpiled component) and one 1-record
run (its start-up). Wall time is the whole process, start-up included; CPU
is the host process's user + system time (all its threads), from
getrusage(RUSAGE_CHILDREN); the marginal CPU per record is (CPU of an
N-record run - CPU of the 1-record run) / (N - 1). Pacing is off
(`--rate 1000000/s`). Prints a Markdown table of medians over --runs.

    python3 bench/hosts.py --records 2000 --harness target/release/host-harness \\
        --component target/wasm32-wasip2/release/plugin.wasm --python hosts/python/.venv/bin/python
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KEY = "bench-hosts-key-0123456789abcdef"


def start_mock(harness):
    proc = subprocess.Popen([harness, "mock", "--port", "0", "--api-key", KEY], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        m = re.search(r"listening on (\S+)", line)
        if m:
            return proc, m.group(1)
    raise RuntimeError("the mock did not start")


def run_once(cmd, dirpath, records_path, base_url, cache):
    """Runs one host over the input; returns (wall s, cpu s, summary)."""
    config = os.path.join(dirpath, "config.json")
    args = [*cmd, "--config", config, "--input", records_path, "--base-url", base_url,
            "--summary", os.path.join(dirpath, "summary.json"), "--dead-letter", os.path.join(dirpath, "dl.jsonl")]
    env = {"PATH": os.environ["PATH"], "ASHBY_API_KEY": KEY, "ASHBY_CONNECTOR_CACHE_DIR": cache}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {r.returncode}: {r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(dirpath, "summary.json")) as f:
        return wall, cpu, json.load(f)


def write_records(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"name": f"Bench Person {i}", "email": f"bench{i}@example.com"}) + "\n")


def hosts(a):
    wasm = os.path.abspath(a.component)
    rust = [a.harness, "send", "--plugin", wasm, "--rate", "1000000/s"]
    return [
        ("Rust `host-harness send` (--concurrency 1)", rust + ["--concurrency", "1"]),
        ("Rust `host-harness send` (default --concurrency 8)", rust),
        ("Node.js `hosts/node/send.mjs`", ["node", os.path.join(ROOT, "hosts/node/send.mjs"),
                                           "--component", wasm, "--rate", "1000000/s"]),
        ("Python `hosts/python/send.py`", [a.python, os.path.join(ROOT, "hosts/python/send.py"),
                                           "--component", wasm, "--rate", "1000000/s"]),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3, help="measured runs per host; the median is reported")
    ap.add_argument("--harness", default=os.path.join(ROOT, "target/release/host-harness"))
    ap.add_argument("--component", default=os.path.join(ROOT, "target/wasm32-wasip2/release/plugin.wasm"))
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"template": "create-candidate"}, f)
        records, warm, one = (os.path.join(d, n) for n in ("in.jsonl", "warm.jsonl", "one.jsonl"))
        write_records(records, a.records)
        write_records(warm, 5)
        write_records(one, 1)
        cache = os.path.join(d, "cache")
        rows = []
        for name, cmd in hosts(a):
            def measure(path, n):
                mock, base = start_mock(a.harness)
                try:
                    wall, cpu, s = run_once(cmd, d, path, base, cache)
                finally:
                    mock.kill()
                    mock.wait()
                assert s["delivered"] == n and s["requests"] == n, s
                return wall, cpu, s["elapsed_ms"] / 1000

            measure(warm, 5)  # compiles or transpiles into the cache
            start_wall, start_cpu, _ = measure(one, 1)
            samples = sorted(measure(records, a.records) for _ in range(a.runs))
            wall, cpu, elapsed = samples[len(samples) // 2]
            rows.append((name, a.records / wall, a.records / elapsed, cpu / a.records * 1e6,
                         (cpu - start_cpu) / (a.records - 1) * 1e6, start_wall * 1000, start_cpu * 1000))
    print(f"| host | records/s (process, {a.records} records) | records/s (delivery loop) | CPU µs/record (process) "
          "| CPU µs/record (marginal) | start-up wall ms | start-up CPU ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rps, loop_rps, cpu_us, marginal, swall, scpu in rows:
        print(f"| {name} | {rps:,.0f} | {loop_rps:,.0f} | {cpu_us:,.0f} | {marginal:,.0f} | {swall:,.0f} | {scpu:,.0f} |")

if __name__ == "__main__":
    main()
