#!/usr/bin/env python3
"""The Python reference host: sends every record of an input through the
connector component, with the Rust host's policy and delivery rules.
Exit codes: 0 every record delivered; 1 some dead-lettered; 2 could not run
or halted."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ashby_host import SetupError  # noqa: E402
from ashby_host.cli import api_key_from_env, parse_cli  # noqa: E402
from ashby_host.component import Loaded  # noqa: E402
from ashby_host.deliver import ConfigRefused  # noqa: E402
from ashby_host.inputs import open_input  # noqa: E402
from ashby_host.preflight import preflight_failed  # noqa: E402
from ashby_host.run import run  # noqa: E402
from ashby_host.text import one_line  # noqa: E402


def _summary_out(s, summary_path) -> None:
    """Prints the summary on stdout and writes it to the summary file."""
    text = json.dumps(s, indent=2)
    if summary_path:
        with open(summary_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text, flush=True)


def report(result, summary_path) -> int:
    """Prints the summary and the halt, and returns the exit code."""
    s = result["summary"]
    if "preflight" in result:
        _summary_out(s, summary_path)
        print(preflight_failed(result["preflight"], s["not_attempted"]), file=sys.stderr)
        return 2
    halt = result["halt"]
    for w in result["warnings"]:
        print(f"warning: {one_line(w)}", file=sys.stderr)
    _summary_out(s, summary_path)
    for field, n in s["unknown_fields"].items():
        print(f"warning: {n} record(s) carried the field `{one_line(field)}`, which no call of the template "
              "takes; it was sent, left out or refused as the config's \"unknown_fields\" says", file=sys.stderr)
    if s["rate_limited_partner"] > 0:
        print(f"warning: Ashby answered 429 with `X-RateLimit-Scope: integration-partner` "
              f"{s['rate_limited_partner']} time(s): the integration partner's combined traffic across all "
              "organisations is limited, not only this API key; lowering --rate for this key alone may not help",
              file=sys.stderr)
    if halt:
        perm = (f" The endpoint needs the `{one_line(halt['permission'])}` permission on the API key."
                if halt["permission"] else "")
        print(f"error: halted ({one_line(halt['code'])}): {one_line(halt['message'].rstrip('.'))}.{perm} "
              f"{s['not_attempted']} record(s) were not attempted.", file=sys.stderr)
        return 2
    return 1 if s["dead_lettered"] > 0 else 0


def main(argv) -> int:
    try:
        cli = parse_cli(argv)
        key = api_key_from_env()
        items = open_input(cli["input"])
        component = Loaded(cli["component"])
        result = run(component, cli["config"], items, cli["origin"], key, cli["opts"])
    except ConfigRefused as e:
        print(f"error: the config was refused: {e}", file=sys.stderr)
        return 2
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return report(result, cli["summary"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
