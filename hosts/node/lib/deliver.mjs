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

const recordValue = (json) => {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
};

const sameRecords = (a, b) => a.length === b.length && [...a].every((x, i) => x === [...b][i]);

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
    this.retryQueue = [];
    this.deadLetters = new Lines(opts.deadLetter);
    this.responses = new Lines(opts.responses);
  }

  /** A fresh instance, configured; throws ConfigRefused when refused. */
  configured() {
    const inst = this.component.instantiate(this.send);
    try {
      return { inst, summary: inst.configure(this.config) };
    } catch (e) {
      if (e && 'payload' in e) throw new ConfigRefused(configErrorText(e.payload));
      throw new SetupError(`the component faulted during configure: ${e?.message ?? e}`);
    }
  }

  deadLetter(index, record, code, reason, attempts) {
    this.counts.dead += 1;
    this.deadLetters.write({ index, record, code, reason, attempts });
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
    const byIndex = new Map(outcomes.map((o) => [Number(o.index), o.outcome]));
    const published = [];
    const note = (ex) => {
      if (ex && !published.some((p) => sameRecords(p.request.records, ex.request.records)
        && p.request.path === ex.request.path && p.request.body === ex.request.body)) published.push(ex);
    };
    const later = [];
    const limited = [];
    let floor = null;
    for (const p of records) {
      const o = byIndex.get(p.index);
      if (!o) {
        p.attempts += 1;
        this.deadLetter(p.index, recordValue(p.json), 'plugin_error', 'the plugin returned no outcome for this record', p.attempts);
        continue;
      }
      const v = o.val;
      // As the Rust host: an attempt is a request actually sent (a `deferred`
      // retry without an exchange was held back by the plugin), and a retry
      // is a record sent again.
      if (!(o.tag === 'retry' && v.code === 'deferred' && !v.exchange)) {
        if (p.attempts > 0) this.counts.retries += 1;
        p.attempts += 1;
      }
      if (o.tag === 'delivered') {
        this.counts.delivered += 1;
        note(v.exchange);
      } else if (o.tag === 'rejected') {
        this.deadLetter(p.index, recordValue(p.json), v.code, v.message, p.attempts);
        note(v.exchange);
      } else if (o.tag === 'halt') {
        this.halt(v.code, v.message, v.permission);
        this.counts.notAttempted += 1;
      } else {
        this.countRateLimited(v, limited);
        note(v.exchange);
        // The write may have been applied: its next attempts look first.
        if (v.maybeApplied) p.maybeApplied = true;
        if (this.state.halted) {
          this.counts.notAttempted += 1;
        } else if (p.attempts >= this.opts.maxAttempts) {
          this.deadLetter(p.index, recordValue(p.json), 'retries_exhausted',
            `gave up after ${p.attempts} attempts; last error ${v.code}: ${v.message}`, p.attempts);
        } else {
          const ra = v.retryAfter == null ? null : parseRetryAfter(v.retryAfter);
          if (ra !== null) floor = Math.max(floor ?? 0, ra);
          later.push(p);
        }
      }
    }
    this.publish(published);
    if (later.length) {
      const attempts = Math.max(...later.map((p) => p.attempts));
      const delay = backoffMs(this.opts, attempts, floor);
      this.retryQueue.push({ due: Date.now() + delay, records: later });
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
