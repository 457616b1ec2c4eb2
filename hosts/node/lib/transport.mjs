// The `http` import: the policy checks, the credential, pacing, and a
// synchronous exchange through a worker thread (the component calls its
// imports synchronously).

import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { METHODS, checkHeader, checkPath } from './policy.mjs';
import { parseRetryAfter } from './retry.mjs';
import { oneLine } from './text.mjs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` (the main thread has nothing else to do meanwhile). */
export function sleepSync(ms) {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/** A token bucket: `perSec` requests a second, capacity one second's worth (at least one). */
export class Bucket {
  constructor(perSec) {
    this.rate = perSec;
    this.capacity = Math.max(perSec, 1);
    this.tokens = this.capacity;
    this.last = Date.now();
    this.pausedUntil = 0;
  }

  /** Waits (blocking) for a token, and for a pause to end. */
  acquire() {
    for (;;) {
      const now = Date.now();
      if (now < this.pausedUntil) {
        sleepSync(this.pausedUntil - now);
        continue;
      }
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      sleepSync(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }

  /** Sends nothing for `ms` (after a 429). */
  pauseFor(ms) {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}

/** One synchronous HTTP client bound to the tenant's origin and credential. */
export class SyncHttp {
  constructor({ origin, authorization, timeoutMs, maxResponseBytes }) {
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    this.timeoutMs = timeoutMs;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./http-worker.mjs', import.meta.url), {
      workerData: { flag: this.flag, port: port2, origin, authorization, timeoutMs, maxResponseBytes },
      transferList: [port2],
      env: {},
    });
  }

  /** Performs one exchange; returns `{ok}` or `{err}` (a WIT `http.error`). */
  exchange(request) {
    this.seq = (this.seq ?? 0) + 1;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ ...request, seq: this.seq });
    Atomics.wait(this.flag, 0, 0, this.timeoutMs + 5000);
    // A late answer to an earlier exchange (one the worker missed its own
    // deadline on) is dropped.
    for (let got = receiveMessageOnPort(this.port); got; got = receiveMessageOnPort(this.port)) {
      if (got.message.seq === this.seq) return got.message;
    }
    return { err: { tag: 'timeout', val: `no complete response within ${this.timeoutMs / 1000}s` } };
  }

  /** Stops the worker thread. */
  close() {
    this.port.close();
    return this.worker.terminate();
  }
}

const err = (tag, val) => ({ tag, val });

/**
 * The function the component imports as `http.send`. `state.halted` denies
 * every request after a halt, `state.declared` is the method `configure`
 * declared (none before it); `stats.requests` counts what was sent.
 */
export function httpImport({ client, limits, bucket, state, stats }) {
  return function send(request) {
    if (state.halted) throw err('denied', 'this flow was halted; no further requests are made');
    // The WIT `method` enum (jco gives its case names: `post`, ...).
    const method = METHODS.get(request.method);
    if (!method) throw err('invalid-request', `method ${JSON.stringify(request.method)} is not allowed`);
    // Only the method the destination declared in `configure` is sent.
    if (state.declared == null) throw err('denied', `method ${method}: the destination declared no method (not configured)`);
    if (state.declared !== method) {
      throw err('denied', `method ${method} is not the one this destination declared (${oneLine(state.declared)})`);
    }
    const bad = checkPath(request.path);
    if (bad) throw err('invalid-request', bad);
    if (request.body.length > limits.maxRequestBytes) {
      throw err('invalid-request', `request body of ${request.body.length} bytes is over the limit of ${limits.maxRequestBytes} bytes`);
    }
    const headers = [];
    for (const { name, value } of request.headers) {
      const refused = checkHeader(name, value);
      if (refused) throw refused;
      headers.push([name, value]);
    }
    bucket?.acquire();
    stats.requests += 1;
    const r = client.exchange({ method, path: request.path, headers, body: request.body });
    if (r.err) throw r.err;
    const { status, body } = r.ok;
    if (status === 429 && bucket) {
      const ra = r.ok.headers.find(([n]) => n === 'retry-after');
      bucket.pauseFor((ra && parseRetryAfter(ra[1])) ?? 1000);
    }
    return { status, headers: r.ok.headers.map(([name, value]) => ({ name, value })), body };
  };
}
