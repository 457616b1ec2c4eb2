"""One run of `send`: sets up the tenant's HTTP client and the component,
feeds the input through the delivery loop, and returns the summary."""

import dataclasses
import time
from typing import Optional

from .deliver import Flow, Pending, configured
from .preflight import preflight
from .transport import Bucket, Client, basic_header, http_import


@dataclasses.dataclass
class Options:
    """How a run behaves; the defaults are the Rust host's."""

    dead_letter: Optional[str] = None
    responses: Optional[str] = None
    max_attempts: int = 5
    backoff_base: float = 0.25
    backoff_cap: float = 30.0
    chunk: int = 16
    max_records_per_call: int = 1000
    crash_budget: int = 16
    rate_per_sec: Optional[float] = 1000 / 60
    timeout: float = 30.0
    max_response_bytes: int = 10 << 20
    max_request_bytes: int = 10 << 20
    no_preflight: bool = False


class _State:
    halted = False
    declared = None  # the method `configure` declared


class _Stats:
    requests = 0


def _next_chunk(flow: Flow, items, size: int):
    """Up to `size` records to send, and whether the input is exhausted."""
    chunk = []
    while len(chunk) < size:
        item = next(items, None)
        if item is None:
            return chunk, True
        flow.input += 1
        if "bad" in item:
            record, code, reason = item["bad"]
            flow.dead_letter(item["index"], record, code, reason, 0)
        elif flow.state.halted:
            flow.not_attempted += 1
        else:
            chunk.append(Pending(item["index"], item["json"]))
    return chunk, False


def _loop(flow: Flow, items, size: int) -> None:
    input_done = False
    while True:
        if flow.state.halted and flow.retry_queue:
            # Nothing is retried after a halt: waiting records are not attempted.
            flow.not_attempted += sum(len(j[1]) for j in flow.retry_queue)
            flow.retry_queue.clear()
        job = flow.due_retry()
        if job is None and not input_done:
            job, input_done = _next_chunk(flow, items, size)
        elif job is None and flow.retry_queue:
            time.sleep(max(0.0, min(j[0] for j in flow.retry_queue) - time.monotonic()))
            continue
        elif job is None:
            return
        if not job:
            continue
        if flow.state.halted:
            flow.not_attempted += len(job)
            continue
        flow.deliver(job)


def _unknown_fields(counts: dict) -> dict:
    """Records per unknown field name, keys in the Rust host's order (UTF-8
    bytes, which is code point order)."""
    return {name: counts[name] for name in sorted(counts)}


def _check_auth(component, config, client, opts, bucket):
    """The `auth` preflight on an instance of its own (its requests are not the run's)."""
    state = _State()
    send = http_import(client, opts, bucket, state, _Stats())
    inst, summary = configured(component, config, send)
    state.declared = summary.method
    return preflight(inst)


def _not_attempted(n: int, start: float) -> dict:
    """The summary of a run that sent nothing: all `n` records not attempted."""
    return {
        "input": n, "delivered": 0, "dead_lettered": 0, "not_attempted": n, "requests": 0, "retries": 0,
        "resumed": 0, "rate_limited": 0, "rate_limited_partner": 0, "plugin_restarts": 0,
        "unknown_fields": {}, "elapsed_ms": int((time.monotonic() - start) * 1000),
    }


def run(component, config: str, items, origin: str, key: str, opts: Options) -> dict:
    """Sends every item (from inputs.open_input) through the component for
    the tenant `origin`/`key`, after the `auth` preflight (unless
    `opts.no_preflight`). Returns `{summary, halt, warnings}`, or
    `{preflight, summary}` (the failed check's report, every record not
    attempted) when nothing was sent."""
    start = time.monotonic()
    client = Client(origin, basic_header(key), opts.timeout, opts.max_response_bytes)
    state, stats = _State(), _Stats()
    bucket = Bucket(opts.rate_per_sec) if opts.rate_per_sec else None
    send = http_import(client, opts, bucket, state, stats)
    flow = Flow(component, config, send, state, opts)
    try:
        failed = None if opts.no_preflight else _check_auth(component, config, client, opts, bucket)
        if failed is not None:
            # Every record is still reported: not attempted.
            n = sum(1 for _ in items)
            return {"preflight": failed, "summary": _not_attempted(n, start)}
        flow.inst, summary = flow.configured()
        flow.input = 0
        size = min(max(opts.chunk, getattr(summary, "records-per-call") or 0, 1), opts.max_records_per_call)
        _loop(flow, iter(items), size)
        flow.not_attempted += sum(len(j[1]) for j in flow.retry_queue)
        return {
            "summary": {
                "input": flow.input, "delivered": flow.delivered, "dead_lettered": flow.dead,
                "not_attempted": flow.not_attempted, "requests": stats.requests, "retries": flow.retries,
                "resumed": 0, "rate_limited": flow.rate_limited, "rate_limited_partner": flow.partner,
                "plugin_restarts": flow.restarts, "unknown_fields": _unknown_fields(flow.unknown_fields),
                "elapsed_ms": int((time.monotonic() - start) * 1000),
            },
            "halt": flow.halt_info,
            "warnings": list(summary.warnings),
        }
    finally:
        flow.dead_letters.close()
        flow.responses.close()
        client.close()
