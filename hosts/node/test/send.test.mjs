// End to end: send.mjs runs the real component against the Rust mock Ashby
// (a child process) or a loopback server, through its command line.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  catalog, configFor, examples, post, prerequisites, send as sendWith, startMock, startServer, stepExamples, substitute,
} from '../e2e-support.mjs';

const KEY = 'node-host-test-key-0123456789';
const ZERO = {
  input: 0, delivered: 0, dead_lettered: 0, not_attempted: 0, requests: 0, retries: 0, resumed: 0,
  rate_limited: 0, rate_limited_partner: 0, plugin_restarts: 0, unknown_fields: {}, elapsed_ms: 0,
};
const counts = (s) => ({ ...s, elapsed_ms: 0 });
const send = (o) => sendWith({ key: KEY, ...o });

function assertNoKey(r) {
  const b64 = Buffer.from(`${KEY}:`).toString('base64');
  for (const text of [r.stdout, r.stderr, JSON.stringify(r.deadLetters), JSON.stringify(r.responses)]) {
    assert.ok(!text.includes(KEY) && !text.includes(b64), 'the API key leaked into an output');
  }
}

/** A loopback server that counts requests and answers 500 (nothing should reach it). */
const canary = () => {
  const hits = [];
  return startServer((req, body, res) => {
    hits.push(req.url);
    res.writeHead(500).end();
  }).then((s) => ({ ...s, hits }));
};

const TEMPLATES = await catalog();
const STEP_EXAMPLES = await stepExamples();
const PLACEHOLDERS = Object.fromEntries(['candidate', 'application', 'job', 'opening', 'team', 'location', 'source',
  'user', 'interview_plan', 'custom_field', 'interview_stage', 'application_field', 'job_field', 'opening_field']
  .map((k) => [k, k[0]]));
/** Against a server that is not the mock: no preflight, so every request counted is the records'. */
const NO_PREFLIGHT = ['--no-preflight'];

describe('every step of every template delivers its example against the mock', () => {
  for (const { t, i, step, example } of STEP_EXAMPLES) {
    test(`${t.id} step ${i + 1} (${step.endpoint})`, async () => {
      const mock = await startMock(KEY);
      try {
        const record = substitute(example, await prerequisites(mock));
        const r = await send({ config: configFor(t), records: [record], baseUrl: mock.baseUrl, responses: true });
        assert.equal(r.code, 0, r.stderr);
        const n = r.summary.requests;
        assert.deepEqual(counts(r.summary), { ...ZERO, input: 1, delivered: 1, requests: n });
        assert.deepEqual(JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')), r.summary);
        // One response-webhook record per call, in the template's step order.
        assert.equal(r.responses.length, n, JSON.stringify(r.responses));
        const endpoints = r.responses.map((x) => x.endpoint);
        assert.ok(endpoints.includes(step.endpoint), `${step.endpoint} was not called: ${endpoints}`);
        const order = t.steps.map((s) => s.endpoint);
        assert.deepEqual(endpoints, order.filter((e) => endpoints.includes(e)), 'calls out of step order');
        for (const resp of r.responses) {
          assert.equal(resp.success, true, JSON.stringify(resp));
          assert.equal(resp.index, 0);
          assert.equal(typeof resp.request_id, 'string');
        }
        assert.deepEqual(r.deadLetters, []);
        assertNoKey(r);
      } finally {
        mock.stop();
      }
    });
  }
});

test('a multi-step record delivers with one response record per call', async () => {
  const mock = await startMock(KEY);
  try {
    const job = mock.fixtures.job;
    const record = { jobId: job, title: 'Staff Rust Engineer', status: 'Closed' };
    const r = await send({ config: { template: 'update-job' }, records: [record], baseUrl: mock.baseUrl,
      responses: true });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 1, delivered: 1, requests: 2 });
    assert.deepEqual(r.responses.map((x) => [x.index, x.endpoint, x.success, x.id]),
      [[0, '/job.update', true, job], [0, '/job.setStatus', true, job]]);
    const info = await post(mock, '/job.info', { id: job });
    assert.equal(info.results.status, 'Closed');
    assert.equal(info.results.title, 'Staff Rust Engineer');
  } finally {
    mock.stop();
  }
});

test('a later call failing dead-letters the record with the calls completed before it', async () => {
  const mock = await startMock(KEY);
  try {
    const job = mock.fixtures.job;
    // The seeded job is Open: job.update succeeds, Open -> Draft is refused.
    const record = { jobId: job, title: 'Renamed First', status: 'Draft' };
    const r = await send({ config: { template: 'update-job' }, records: [record], baseUrl: mock.baseUrl,
      responses: true });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 1, dead_lettered: 1, requests: 2 });
    assert.deepEqual(r.responses.map((x) => [x.endpoint, x.success]), [['/job.update', true], ['/job.setStatus', false]]);
    const [dl] = r.deadLetters;
    assert.deepEqual(Object.keys(dl), ['index', 'record', 'code', 'reason', 'attempts', 'completed']);
    assert.deepEqual(dl.completed, [{ endpoint: '/job.update', id: job }]);
    assert.match(dl.reason, /job\.setStatus/);
    assert.equal((await post(mock, '/job.info', { id: job })).results.title, 'Renamed First', 'the first call stays');
  } finally {
    mock.stop();
  }
});

test('unknown fields are counted per name, each record once', async () => {
  const mock = await startMock(KEY);
  try {
    const records = [{ name: 'One', colour: 'red' }, { name: 'Two', colour: 'blue', shoe: 9 }, { name: 'Three' }];
    const r = await send({ config: { template: 'create-candidate', unknown_fields: 'drop' }, records,
      baseUrl: mock.baseUrl });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 3, delivered: 3, requests: 3,
      unknown_fields: { colour: 2, shoe: 1 } });
    assert.match(r.stderr, /warning: 2 record\(s\) carried the field `colour`/);
  } finally {
    mock.stop();
  }
});

describe('a record missing a required field is dead-lettered without a request', () => {
  for (const t of TEMPLATES.filter((x) => x.fields.some((f) => f.required))) {
    test(t.id, async () => {
      const field = t.fields.find((f) => f.required);
      const record = substitute(examples().get(t.id).example, PLACEHOLDERS);
      delete record[field.name];
      for (const a of field.aliases) delete record[a];
      const server = await canary();
      try {
        const r = await send({ config: configFor(t), records: [record], baseUrl: server.baseUrl, extra: NO_PREFLIGHT });
        assert.equal(r.code, 1, r.stderr);
        assert.deepEqual(counts(r.summary), { ...ZERO, input: 1, dead_lettered: 1 });
        assert.deepEqual(server.hits, [], 'a local rejection must not be sent');
        assert.equal(r.deadLetters.length, 1);
        const [dl] = r.deadLetters;
        assert.deepEqual(Object.keys(dl), ['index', 'record', 'code', 'reason', 'attempts']);
        assert.equal(dl.code, 'missing_field');
        assert.equal(dl.index, 0);
        assert.deepEqual(dl.record, record, 'the dead letter keeps the record unchanged');
        assert.ok(dl.reason.includes(field.name), dl.reason);
      } finally {
        server.close();
      }
    });
  }
});

test('a wrong key fails the auth preflight: exit 2, nothing sent', async () => {
  const mock = await startMock(KEY);
  try {
    const records = [1, 2, 3].map((i) => ({ name: `Person ${i}`, email: `p${i}@example.com` }));
    const r = await send({ config: { template: 'create-candidate' }, records, baseUrl: mock.baseUrl,
      key: 'a-wrong-key' });
    assert.equal(r.code, 2, r.stderr);
    // Every record is still reported, as not attempted.
    assert.deepEqual([r.summary.input, r.summary.not_attempted, r.summary.requests], [3, 3, 0]);
    assert.match(r.stderr, /error: preflight check `auth` failed \(\w+\): .*Nothing was sent: 3 record\(s\) not attempted/);
    assert.deepEqual(r.deadLetters, []);
  } finally {
    mock.stop();
  }
});

test('without the preflight, a wrong key halts the flow: exit 2, one request, nothing retried', async () => {
  const mock = await startMock(KEY);
  try {
    const records = [1, 2, 3].map((i) => ({ name: `Person ${i}`, email: `p${i}@example.com` }));
    const r = await send({ config: { template: 'create-candidate' }, records, baseUrl: mock.baseUrl,
      key: 'a-wrong-key', extra: NO_PREFLIGHT });
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 3, not_attempted: 3, requests: 1 });
    assert.match(r.stderr, /error: halted \((unauthorized|forbidden)\): .*candidatesWrite/);
    assert.deepEqual(r.deadLetters, [], 'a bad key is not the records\' fault');
  } finally {
    mock.stop();
  }
});

test('a 429 with Retry-After is honoured, then the record is delivered', async () => {
  const mock = await startMock(KEY);
  // In front of the mock: the first request gets 429 with Retry-After: 1,
  // later ones are forwarded.
  const seen = [];
  const proxy = await startServer(async (req, body, res) => {
    seen.push(Date.now());
    if (seen.length === 1) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, errors: ['rate_limit_exceeded'] }));
      return;
    }
    const headers = { authorization: req.headers.authorization, 'content-type': req.headers['content-type'] };
    const upstream = await fetch(mock.baseUrl + req.url, { method: req.method, headers, body });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  try {
    const r = await send({ config: { template: 'create-candidate' }, records: [{ name: 'Slow Down' }],
      baseUrl: proxy.baseUrl, extra: NO_PREFLIGHT });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 1, delivered: 1, requests: 2, retries: 1, rate_limited: 1 });
    assert.equal(seen.length, 2);
    assert.ok(seen[1] - seen[0] >= 950, `retried after ${seen[1] - seen[0]} ms, before Retry-After`);
  } finally {
    proxy.close();
    mock.stop();
  }
});

test('bad lines are dead-lettered with their position; the rest is delivered', async () => {
  const mock = await startMock(KEY);
  try {
    const r = await send({ config: { template: 'create-candidate' }, baseUrl: mock.baseUrl,
      records: [{ name: 'First One' }, 'not json', '[1,2]', { name: 'Last One' }] });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(counts(r.summary), { ...ZERO, input: 4, delivered: 2, dead_lettered: 2, requests: 2 });
    assert.deepEqual(r.deadLetters.map((d) => [d.index, d.code, d.attempts]),
      [[1, 'invalid_json', 0], [2, 'not_an_object', 0]]);
  } finally {
    mock.stop();
  }
});

test('a refused config exits 2 before anything is sent', async () => {
  const server = await canary();
  try {
    const r = await send({ config: { template: 'create-candidate', colour: 'blue' }, records: [{ name: 'X' }],
      baseUrl: server.baseUrl });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: the config was refused: config key `colour` is not known/);
    assert.deepEqual(server.hits, []);
  } finally {
    server.close();
  }
});

test('plain http to a host that is not loopback is refused', async () => {
  const r = await send({ config: { template: 'create-candidate' }, records: [{ name: 'X' }],
    baseUrl: 'http://example.com' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--base-url: .*plain http is allowed only to loopback/);
});
