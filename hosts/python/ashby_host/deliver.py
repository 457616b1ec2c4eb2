"""The delivery loop: every record ends delivered, dead-lettered with a
reason, or not attempted. The component classifies each record's outcome;
this loop applies the README's delivery guarantees to it: retry with backoff
(never sooner than Retry-After; a waiting record does not block the ones
behind it), dead-letter what is permanent, stop at a halt, and contain a
trapping component within a crash budget."""

import json
import sys
import time

import wasmtime

from . import SetupError
from .component import CallError
from .inputs import compact
from .retry import backoff, parse_retry_after


class ConfigRefused(Exception):
    """A configuration the component refused."""


def config_error_text(e) -> str:
    """`configure`'s refusal as one sentence, as the Rust host words it."""
    tag, val = getattr(e, "tag", None), getattr(e, "payload", None)
    if tag == "malformed":
        return f"the config is not a JSON object: {val}"
    if tag == "unknown-key":
        return f"config key `{val}` is not known"
    if tag in ("missing", "invalid"):
        word = "is missing" if tag == "missing" else "is invalid"
        return f"config key `{val.key}` {word}: {val.reason}"
    if tag == "already-configured":
        return "the instance was already configured"
    return f"unexpected config error {e!r}"


def configured(component, config: str, send):
    """A fresh instance of `component` with `send` as its `http.send`,
    configured: (instance, config summary)."""
    inst = component.instantiate(send)
    try:
        return inst, inst.configure(config)
    except CallError as e:
        raise ConfigRefused(config_error_text(e.payload)) from None
    except wasmtime.WasmtimeError as e:
        raise SetupError(f"the component faulted during configure: {e}") from None


def record_value(text: str):
    """The record as JSON, or its text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class Lines:
    """A JSON Lines output file (truncated when opened); no-op without a path."""

    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8") if path else None

    def write(self, value) -> None:
        if self.f:
            self.f.write(compact(value) + "\n")

    def close(self) -> None:
        if self.f:
            self.f.close()


class Pending:
    """A record on its way: its input index, JSON text and attempts so far."""

    __slots__ = ("index", "json", "attempts", "maybe_applied")

    def __init__(self, index: int, json_text: str):
        self.index, self.json, self.attempts = index, json_text, 0
        self.maybe_applied = False


def _same_exchange(a, b) -> bool:
    return (list(a.request.records) == list(b.request.records) and a.request.path == b.request.path
            and a.request.body == b.request.body)


class _Tally:
    """What one call's outcomes left to do: exchanges to publish (each
    once), records to retry and the longest Retry-After among them, and the
    429 answers counted."""

    def __init__(self):
        self.published, self.later, self.limited = [], [], []
        self.floor = None

    def note(self, ex) -> None:
        """Adds an exchange to publish, unless the same request is there (a
        batch answer shared by records)."""
        if ex is not None and not any(_same_exchange(p, ex) for p in self.published):
            self.published.append(ex)


class Flow:
    """One flow: a configured instance, its outputs and the run's counters."""

    def __init__(self, component, config: str, send, state, opts):
        self.component, self.config, self.send, self.state, self.opts = component, config, send, state, opts
        self.delivered = self.dead = self.not_attempted = self.retries = 0
        self.rate_limited = self.partner = self.restarts = 0
        self.halt_info = None
        self.unknown_fields = {}  # field name -> records
        self.retry_queue = []  # (due, [Pending])
        self.dead_letters = Lines(opts.dead_letter)
        self.responses = Lines(opts.responses)
        self.inst = None

    def configured(self):
        """A fresh configured instance and its config summary."""
        inst, summary = configured(self.component, self.config, self.send)
        self.state.declared = summary.method
        return inst, summary

    def dead_letter(self, index, record, code, reason, attempts, completed=()) -> None:
        """Writes one dead letter; `completed` (the record's calls that
        succeeded before the failure, as `step-done`s) is listed as
        `[{endpoint, id}]` when there are any, as the Rust host does."""
        self.dead += 1
        line = {"index": index, "record": record, "code": code, "reason": reason, "attempts": attempts}
        if completed:
            line["completed"] = [{"endpoint": s.exchange.request.path, "id": s.id} for s in completed]
        self.dead_letters.write(line)

    def count_unknown(self, fields) -> None:
        """Counts a record's unknown fields: each name once per record."""
        for f in fields:
            self.unknown_fields[f] = self.unknown_fields.get(f, 0) + 1

    def halt(self, code, message, permission=None) -> None:
        self.state.halted = True
        if self.halt_info is None:
            self.halt_info = {"code": code, "message": message, "permission": permission}

    def call_send(self, records):
        """One `send` call; a trap or a refused call raises RuntimeError."""
        try:
            return self.inst.send([(p.index, p.json, p.maybe_applied) for p in records])
        except CallError as e:
            raise RuntimeError(f"send refused the call: {e}") from None
        except wasmtime.WasmtimeError as e:
            raise RuntimeError(str(e).splitlines()[0] if str(e) else repr(e)) from None

    def deliver(self, records) -> None:
        """Sends one job and applies its outcomes, containing faults."""
        try:
            outcomes = self.call_send(records)
        except RuntimeError as fault:
            self.contain(records, fault)
            return
        self.apply(records, outcomes)

    def contain(self, records, fault) -> None:
        """After a fault: a fresh instance, then each record alone, once."""
        print(f"plugin fault: {fault}", file=sys.stderr)
        if not self.restart(fault):
            self.give_up(records)
            return
        for i, p in enumerate(records):
            try:
                outcomes = self.call_send([p])
            except RuntimeError as f2:
                print(f"plugin fault on record {p.index} alone: {f2}", file=sys.stderr)
                self.dead_letter(p.index, record_value(p.json), "plugin_fault", str(f2), p.attempts + 1)
                if not self.restart(f2):
                    self.give_up(records[i + 1:])
                    return
                continue
            self.apply([p], outcomes)

    def restart(self, fault) -> bool:
        n = self.restarts + 1
        budget = self.opts.crash_budget
        if n > budget:
            self.halt("crash_budget_exhausted", f"the component faulted {n} times in this flow, over its crash "
                      f"budget of {budget} restarts; last fault: {fault}")
            return False
        self.restarts = n
        time.sleep(min(0.05 * 2 ** min(n - 1, 16), 5.0))
        try:
            self.inst = self.configured()[0]
            return True
        except (SetupError, ConfigRefused) as e:
            self.halt("plugin_unavailable", f"{fault}; re-instantiating the component failed: {e}")
            return False

    def give_up(self, records) -> None:
        if records:
            print(f"{len(records)} record(s) not attempted: the component is unusable", file=sys.stderr)
        self.not_attempted += len(records)

    def apply(self, records, outcomes) -> None:
        """Applies one call's outcomes to its records."""
        by_index = {}
        for o in outcomes:
            by_index.setdefault(o.index, o)  # a second outcome is ignored: the first counts
        t = _Tally()
        for p in records:
            ro = by_index.get(p.index)
            if ro is None:
                self.dead_letter(p.index, record_value(p.json), "plugin_fault",
                                 "plugin fault: the plugin returned no outcome for this record", p.attempts + 1)
                continue
            o = ro.outcome
            v = o.payload
            # As the Rust host: an attempt is a request actually sent (a
            # `deferred` retry without an exchange was held back by the
            # plugin), a retry is a record sent again, and a record's unknown
            # fields count once.
            if not (o.tag == "retry" and v.code == "deferred" and v.exchange is None):
                if p.attempts == 0:
                    self.count_unknown(getattr(ro, "unknown-fields"))
                if p.attempts > 0:
                    self.retries += 1
                p.attempts += 1
            # Every call of a multi-step record is published: the completed
            # ones first, in order, then the outcome's own.
            for step in v.completed:
                t.note(step.exchange)
            if o.tag == "delivered":
                self.delivered += 1
                t.note(v.exchange)
            elif o.tag == "rejected":
                self.dead_letter(p.index, record_value(p.json), v.code, v.message, p.attempts, v.completed)
                t.note(v.exchange)
            elif o.tag == "halt":
                self.halt(v.code, v.message, v.permission)
                self.not_attempted += 1
            else:
                self.on_retry(p, v, t)
        self.publish(t.published)
        if t.later:
            attempts = max(p.attempts for p in t.later)
            delay = backoff(self.opts.backoff_base, self.opts.backoff_cap, attempts, t.floor)
            self.retry_queue.append((time.monotonic() + delay, t.later))

    def on_retry(self, p, v, t) -> None:
        """A transient failure: retried later or, out of attempts, dead-lettered."""
        self.count_rate_limited(v, t.limited)
        t.note(v.exchange)
        # The write may have been applied: its next attempts look first.
        if getattr(v, "maybe-applied", False):
            p.maybe_applied = True
        if self.state.halted:
            self.not_attempted += 1
        elif p.attempts >= self.opts.max_attempts:
            self.dead_letter(p.index, record_value(p.json), "retries_exhausted",
                             f"gave up after {p.attempts} attempts; last error {v.code}: {v.message}",
                             p.attempts, v.completed)
        else:
            ra = getattr(v, "retry-after")
            ra = parse_retry_after(ra) if ra is not None else None
            if ra is not None:
                t.floor = ra if t.floor is None else max(t.floor, ra)
            t.later.append(p)

    def count_rate_limited(self, v, limited) -> None:
        # One 429 answer may cover several records (a batch): count answers.
        if not v.code.startswith("rate_limited") or v.exchange is None:
            return
        recs = list(v.exchange.request.records)
        if recs in limited:
            return
        limited.append(recs)
        self.rate_limited += 1
        if v.code == "rate_limited_integration_partner":
            self.partner += 1

    def publish(self, exchanges) -> None:
        if not self.opts.responses:
            return
        for ex in exchanges:
            try:
                text = self.inst.on_response(ex)
            except (CallError, wasmtime.WasmtimeError) as e:
                print(f"on-response failed: {e}", file=sys.stderr)
                continue
            if text is not None:
                self.responses.write(record_value(text))

    def due_retry(self):
        """The records of the earliest retry job that is due, or None."""
        now = time.monotonic()
        due = [j for j in self.retry_queue if j[0] <= now]
        if not due:
            return None
        job = min(due, key=lambda j: j[0])
        self.retry_queue.remove(job)
        return job[1]
