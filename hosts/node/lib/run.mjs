// One run of `send`: sets up the tenant's HTTP client and the component,
// feeds the input through the delivery loop, and returns the summary.

import { setTimeout as sleep } from 'node:timers/promises';
import { Flow, configured } from './deliver.mjs';
import { preflight } from './preflight.mjs';
import { Bucket, SyncHttp, httpImport } from './transport.mjs';

/** What the Rust host defaults to. */
export const DEFAULTS = {
  maxAttempts: 5,
  baseMs: 250,
  capMs: 30_000,
  chunk: 16,
  maxRecordsPerCall: 1000,
  crashBudget: 16,
  ratePerSec: 1000 / 60,
  timeoutMs: 30_000,
  maxResponseBytes: 10 << 20,
  maxRequestBytes: 10 << 20,
};

/** `Basic base64("<key>:")`: the key is the username, the password empty. */
export const basicHeader = (key) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function nextChunk(flow, it, size) {
  const chunk = [];
  while (chunk.length < size) {
    const { value: item, done } = await it.next();
    if (done) return { chunk, done: true };
    flow.input += 1;
    if (item.bad) {
      flow.deadLetter(item.index, item.bad.record, item.bad.code, item.bad.reason, 0);
    } else if (flow.state.halted) {
      flow.counts.notAttempted += 1;
    } else {
      chunk.push({ index: item.index, json: item.json, attempts: 0 });
    }
  }
  return { chunk, done: false };
}

async function loop(flow, items, chunkSize) {
  const it = items[Symbol.asyncIterator]();
  let inputDone = false;
  for (;;) {
    if (flow.state.halted && flow.retryQueue.length) {
      // Nothing is retried after a halt: waiting records are not attempted.
      for (const j of flow.retryQueue.splice(0)) flow.counts.notAttempted += j.records.length;
    }
    let job = flow.dueRetry();
    if (!job && !inputDone) {
      const next = await nextChunk(flow, it, chunkSize);
      inputDone = next.done;
      job = next.chunk;
    } else if (!job && flow.retryQueue.length) {
      await sleep(Math.max(0, Math.min(...flow.retryQueue.map((j) => j.due)) - Date.now()));
      continue;
    } else if (!job) {
      return;
    }
    if (!job.length) continue;
    if (flow.state.halted) {
      flow.counts.notAttempted += job.length;
      continue;
    }
    await flow.deliver(job);
  }
}

/** Records per unknown field name, keys in the Rust host's order (UTF-8 bytes). */
function unknownFields(map) {
  const names = [...map.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(names.map((n) => [n, map.get(n)]));
}

/** The `auth` preflight on an instance of its own (its requests are not the run's). */
function checkAuth({ component, config, client, opts, bucket }) {
  const state = { halted: false };
  const send = httpImport({ client, limits: opts, bucket, state, stats: { requests: 0 } });
  const { inst, summary } = configured(component, config, send);
  state.declared = summary.method;
  return preflight(inst);
}

/** The summary of a run that sent nothing: all `n` records not attempted. */
function notAttempted(n, start) {
  return {
    input: n, delivered: 0, dead_lettered: 0, not_attempted: n, requests: 0, retries: 0, resumed: 0,
    rate_limited: 0, rate_limited_partner: 0, plugin_restarts: 0, unknown_fields: {},
    elapsed_ms: Date.now() - start,
  };
}

/**
 * Sends every item of `items` (an async iterable from input.mjs) through the
 * component for the tenant `{origin, key}`, after the `auth` preflight
 * (unless `opts.noPreflight`). Returns `{summary, halt, warnings}`, or
 * `{preflight, summary}` (the failed check's report, every record not
 * attempted) when nothing was sent.
 */
export async function run({ component, config, items, tenant, opts: given }) {
  const start = Date.now();
  const opts = { ...DEFAULTS, ...given };
  const client = new SyncHttp({
    origin: tenant.origin,
    authorization: basicHeader(tenant.key),
    timeoutMs: opts.timeoutMs,
    maxResponseBytes: opts.maxResponseBytes,
  });
  const state = { halted: false };
  const stats = { requests: 0 };
  const bucket = opts.ratePerSec ? new Bucket(opts.ratePerSec) : null;
  const send = httpImport({ client, limits: opts, bucket, state, stats });
  const flow = new Flow({ component, config, send, state, stats, opts });
  try {
    const failed = opts.noPreflight ? null : checkAuth({ component, config, client, opts, bucket });
    if (failed) {
      // Every record is still reported: not attempted.
      let n = 0;
      for await (const _ of items) n += 1; // eslint-disable-line no-unused-vars
      return { preflight: failed, summary: notAttempted(n, start) };
    }
    const { inst, summary } = flow.configured();
    flow.inst = inst;
    flow.input = 0;
    const size = Math.min(Math.max(opts.chunk, summary.recordsPerCall ?? 0, 1), opts.maxRecordsPerCall);
    await loop(flow, items, size);
    for (const j of flow.retryQueue) flow.counts.notAttempted += j.records.length;
    const c = flow.counts;
    return {
      summary: {
        input: flow.input, delivered: c.delivered, dead_lettered: c.dead, not_attempted: c.notAttempted,
        requests: stats.requests, retries: c.retries, resumed: 0, rate_limited: c.rateLimited,
        rate_limited_partner: c.partner, plugin_restarts: c.restarts,
        unknown_fields: unknownFields(flow.unknownFields), elapsed_ms: Date.now() - start,
      },
      halt: flow.haltInfo,
      warnings: summary.warnings,
    };
  } finally {
    flow.deadLetters.close();
    flow.responses.close();
    await client.close();
  }
}
