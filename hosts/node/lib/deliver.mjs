// The delivery loop: every record ends delivered, dead-lettered with a
// reason, or not attempted. The component classifies each record's outcome;
// this loop applies the README's delivery guarantees to it: retry with
// backoff (never sooner than Retry-After, a waiting record does not block the
// ones behind it), dead-letter what is permanent, stop at a halt, contain a
// trapping component within a crash budget.

import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetupError } from './policy.mjs';
import { backoffMs, parseRetryAfter } from './retry.mjs';

/** A configuration the component refused. */
export class ConfigRefused extends Error {}

/** `configure`'s refusal as one sentence, as the Rust host words it. */
export function configErrorText(e) {
  switch (e?.tag) {
    case 'malformed': return `the config is not a JSON object: ${e.val}`;
    case 'unknown-key': return `config key \`${e.val}\` is not known`;
    case 'missing': return `config key \`${e.val.key}\` is missing: ${e.val.reason}`;
    case 'invalid': return `config key \`${e.val.key}\` is invalid: ${e.val.reason}`;
    case 'already-configured': return 'the instance was already configured';
    default: return `unexpected config error ${JSON.stringify(e)}`;
  }
}

/** A fresh instance of `component` with `send` as its `http.send`, configured: `{inst, summary}`. */
export function configured(component, config, send) {
  const inst = component.instantiate(send);
  try {
    return { inst, summary: inst.configure(config) };
  } catch (e) {
    if (e && 'payload' in e) throw new ConfigRefused(configErrorText(e.payload));
    throw new SetupError(`the component faulted during configure: ${e?.message ?? e}`);
  }
}

const recordValue = (json) => {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
};

const sameRecords = (a, b) => a.length === b.length && [...a].every((x, i) => x === [...b][i]);

/** Adds an exchange to publish, unless the same request is there (a batch answer shared by records). */
function noteExchange(published, ex) {
  if (ex && !published.some((p) => sameRecords(p.request.records, ex.request.records)
    && p.request.path === ex.request.path && sameBytes(p.request.body, ex.request.body))) published.push(ex);
}

/** Adds the exchanges of a record's completed calls, in order. */
function noteSteps(published, steps) {
  for (const s of steps ?? []) noteExchange(published, s.exchange);
}

const sameBytes = (a, b) => a === b || (a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0);

/** Appends JSON Lines to a file (truncated when opened); no-op without a path. */
class Lines {
  constructor(path) {
    this.fd = path ? openSync(path, 'w') : null;
  }
  write(value) {
    if (this.fd !== null) writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }
  close() {
    if (this.fd !== null) closeSync(this.fd);
  }
}

/** One flow: a configured instance and the run's counters. */
export class Flow {
  constructor({ component, config, send, state, stats, opts }) {
    Object.assign(this, { component, config, send, state, stats, opts });
    this.counts = { delivered: 0, dead: 0, notAttempted: 0, retries: 0, rateLimited: 0, partner: 0, restarts: 0 };
    this.haltInfo = null;
    this.unknownFields = new Map();
    this.retryQueue = [];
    this.deadLetters = new Lines(opts.deadLetter);
    this.responses = new Lines(opts.responses);
  }

  /** A fresh instance, configured; throws ConfigRefused when refused. */
  configured() {
    const r = configured(this.component, this.config, this.send);
    this.state.declared = r.summary.method;
    return r;
  }

  /**
   * Writes one dead letter; `completed` (the record's calls that succeeded
   * before the failure, as `step-done`s) is listed as `[{endpoint, id}]`
   * when there are any, as the Rust host does.
   */
  deadLetter(index, record, code, reason, attempts, completed = []) {
    this.counts.dead += 1;
    const line = { index, record, code, reason, attempts };
    if (completed.length) line.completed = completed.map((s) => ({ endpoint: s.exchange.request.path, id: s.id ?? null }));
    this.deadLetters.write(line);
  }

  /** Counts a record's unknown fields: each name once per record. */
  countUnknown(fields) {
    for (const f of fields ?? []) this.unknownFields.set(f, (this.unknownFields.get(f) ?? 0) + 1);
  }

  halt(code, message, permission) {
    this.state.halted = true;
    this.haltInfo ??= { code, message, permission: permission ?? null };
  }

  /** One `send` call; a trap or a refused call throws a fault. */
  callSend(records) {
    try {
      const input = records.map((p) => ({
        index: BigInt(p.index), json: p.json, maybeApplied: Boolean(p.maybeApplied),
      }));
      return this.inst.send(input);
    } catch (e) {
      const why = e && 'payload' in e ? `send refused the call: ${JSON.stringify(e.payload)}` : String(e?.message ?? e);
      throw new Error(why);
    }
  }

  /** Sends one job and applies the outcomes, containing faults. */
  async deliver(records) {
    let outcomes;
    try {
      outcomes = this.callSend(records);
    } catch (fault) {
      return this.contain(records, fault);
    }
    this.apply(records, outcomes);
  }

  /** After a fault: a fresh instance, then each record alone, once. */
  async contain(records, fault) {
    console.error(`plugin fault: ${fault.message}`);
    if (!(await this.restart(fault))) return this.giveUp(records);
    for (const [i, p] of records.entries()) {
      let outcomes;
      try {
        outcomes = this.callSend([p]);
      } catch (f2) {
        console.error(`plugin fault on record ${p.index} alone: ${f2.message}`);
        this.deadLetter(p.index, recordValue(p.json), 'plugin_fault', f2.message, p.attempts + 1);
        if (!(await this.restart(f2))) return this.giveUp(records.slice(i + 1));
        continue;
      }
      this.apply([p], outcomes);
    }
  }

  async restart(fault) {
    const n = this.counts.restarts + 1;
    if (n > this.opts.crashBudget) {
      this.halt('crash_budget_exhausted', `the component faulted ${n} times in this flow, over its crash budget of ${this.opts.crashBudget} restarts; last fault: ${fault.message}`);
      return false;
    }
    this.counts.restarts = n;
    await sleep(Math.min(50 * 2 ** Math.min(n - 1, 16), 5000));
    try {
      this.inst = this.configured().inst;
      return true;
    } catch (e) {
      this.halt('plugin_unavailable', `${fault.message}; re-instantiating the component failed: ${e.message}`);
      return false;
    }
  }

  giveUp(records) {
    if (records.length) console.error(`${records.length} record(s) not attempted: the component is unusable`);
    this.counts.notAttempted += records.length;
  }

  /** Applies one call's outcomes to its records (see the README's delivery guarantees). */
  apply(records, outcomes) {
    const byIndex = new Map();
    for (const o of outcomes) {
      // A second outcome for one record is ignored: the first one counts.
      if (!byIndex.has(Number(o.index))) byIndex.set(Number(o.index), o);
    }
    const t = { published: [], later: [], limited: [], floor: null };
    for (const p of records) {
      const ro = byIndex.get(p.index);
      if (!ro) {
        this.deadLetter(p.index, recordValue(p.json), 'plugin_fault',
          'plugin fault: the plugin returned no outcome for this record', p.attempts + 1);
        continue;
      }
      const { outcome: o } = ro;
      const v = o.val;
      // As the Rust host: an attempt is a request actually sent (a `deferred`
      // retry without an exchange was held back by the plugin), a retry is a
      // record sent again, and a record's unknown fields count once.
      if (!(o.tag === 'retry' && v.code === 'deferred' && !v.exchange)) {
        if (p.attempts === 0) this.countUnknown(ro.unknownFields);
        if (p.attempts > 0) this.counts.retries += 1;
        p.attempts += 1;
      }
      // Every call of a multi-step record is published: the completed ones
      // first, in order, then the outcome's own.
      noteSteps(t.published, v.completed);
      if (o.tag === 'delivered') {
        this.counts.delivered += 1;
        noteExchange(t.published, v.exchange);
      } else if (o.tag === 'rejected') {
        this.deadLetter(p.index, recordValue(p.json), v.code, v.message, p.attempts, v.completed);
        noteExchange(t.published, v.exchange);
      } else if (o.tag === 'halt') {
        this.halt(v.code, v.message, v.permission);
        this.counts.notAttempted += 1;
      } else {
        this.onRetry(p, v, t);
      }
    }
    this.publish(t.published);
    if (t.later.length) {
      const attempts = Math.max(...t.later.map((p) => p.attempts));
      const delay = backoffMs(this.opts, attempts, t.floor);
      this.retryQueue.push({ due: Date.now() + delay, records: t.later });
    }
  }

  /** A transient failure: retried later or, out of attempts, dead-lettered. */
  onRetry(p, v, t) {
    this.countRateLimited(v, t.limited);
    noteExchange(t.published, v.exchange);
    // The write may have been applied: its next attempts look first.
    if (v.maybeApplied) p.maybeApplied = true;
    if (this.state.halted) {
      this.counts.notAttempted += 1;
    } else if (p.attempts >= this.opts.maxAttempts) {
      this.deadLetter(p.index, recordValue(p.json), 'retries_exhausted',
        `gave up after ${p.attempts} attempts; last error ${v.code}: ${v.message}`, p.attempts, v.completed);
    } else {
      const ra = v.retryAfter == null ? null : parseRetryAfter(v.retryAfter);
      if (ra !== null) t.floor = Math.max(t.floor ?? 0, ra);
      t.later.push(p);
    }
  }

  countRateLimited(v, limited) {
    // One 429 answer may cover several records (a batch): count answers.
    if (!v.code.startsWith('rate_limited') || !v.exchange) return;
    const recs = v.exchange.request.records;
    if (limited.some((r) => sameRecords(r, recs))) return;
    limited.push(recs);
    this.counts.rateLimited += 1;
    if (v.code === 'rate_limited_integration_partner') this.counts.partner += 1;
  }

  publish(exchanges) {
    if (!this.opts.responses) return;
    for (const ex of exchanges) {
      try {
        const text = this.inst.onResponse(ex);
        if (text != null) this.responses.write(recordValue(text));
      } catch (e) {
        console.error(`on-response failed: ${e?.message ?? JSON.stringify(e?.payload)}`);
      }
    }
  }

  /** The next retry job that is due, or null. */
  dueRetry() {
    const now = Date.now();
    let best = -1;
    this.retryQueue.forEach((j, i) => {
      if (j.due <= now && (best < 0 || j.due < this.retryQueue[best].due)) best = i;
    });
    return best < 0 ? null : this.retryQueue.splice(best, 1)[0].records;
  }
}
