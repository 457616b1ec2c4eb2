#!/usr/bin/env python3
"""A plain Ashby client for the `bench` comparison (stdlib only).

Posts every record of a JSON Lines file to /candidate.create with N threads,
each holding one keep-alive `http.client` connection, doing the same light
shaping as examples/create-candidate.json (drop `internal_id`, rename
`phone` to `phoneNumber`) and checking Ashby's `success` flag. Prints
{"ok": delivered, "failed": n, "seconds": s} as JSON. The key comes from
ASHBY_API_KEY and is never printed.

    python3 bench/python_client.py --url http://127.0.0.1:PORT --input in.jsonl --connections 8
"""

import argparse
import base64
import http.client
import json
import os
import queue
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    key = os.environ["ASHBY_API_KEY"]
    auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
    u = urllib.parse.urlsplit(args.url)
    headers = {
        "Authorization": auth,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    work = queue.Queue(maxsize=1024)
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        ok = failed = 0
        while True:
            line = work.get()
            if line is None:
                break
            rec = json.loads(line)
            rec.pop("internal_id", None)
            if "phone" in rec:
                rec["phoneNumber"] = rec.pop("phone")
            conn.request("POST", "/candidate.create", body=json.dumps(rec), headers=headers)
            resp = conn.getresponse()
            body = json.loads(resp.read())
            if resp.status == 200 and body.get("success"):
                ok += 1
            else:
                failed += 1
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    with open(args.input, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                work.put(line)
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    counts["seconds"] = time.monotonic() - start
    json.dump(counts, sys.stdout)
    print()


if __name__ == "__main__":
    main()
