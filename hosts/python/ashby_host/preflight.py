"""The `auth` preflight `host-harness send` runs against a real origin
before any write: the component's own `auth` check (the `check` export,
read requests only) on an instance of its own."""

import sys

import wasmtime

from . import SetupError
from .component import CallError
from .text import one_line


def preflight(inst):
    """Runs the `auth` check on the configured instance `inst`. Returns the
    report when it failed (the run must stop before sending), else None. A
    component that offers no `auth` check is not checked; `unknown` is
    warned about and the run goes on."""
    if not any(c.name == "auth" for c in inst.describe().checks):
        print("note: the component offers no `auth` check; no preflight was made", file=sys.stderr)
        return None
    try:
        report = inst.check("auth")
    except (CallError, wasmtime.WasmtimeError) as e:
        raise SetupError(f"the auth check could not run: {one_line(e)}") from None
    if report.status == "failed":
        return report
    if report.status == "unknown":
        print(f"warning: preflight: {one_line(report.message)} ({one_line(report.code)})", file=sys.stderr)
    return None


def preflight_failed(r, not_attempted: int) -> str:
    """The line `host-harness send` ends with when the preflight failed."""
    return (f"error: preflight check `auth` failed ({one_line(r.code)}): {one_line(r.message)} "
            f"{one_line(r.action)} Nothing was sent: {not_attempted} record(s) not attempted "
            "(--no-preflight skips this check).")
