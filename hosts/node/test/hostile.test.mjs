// The Node host against the test-only hostile guest: forged requests are
// refused by the host's policy, WASI grants nothing, and a trapping instance
// is contained (its record dead-lettered `plugin_fault`, the others
// delivered).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostilePath, send, startServer } from '../e2e-support.mjs';

const KEY = 'node-host-hostile-key-0123456789';
const AUTH = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

/** A loopback server that records each request and answers 200 `{}`. */
async function okServer() {
  const seen = [];
  const s = await startServer((req, body, res) => {
    seen.push({ method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return { ...s, seen };
}

const hostile = (config, records, baseUrl) => send({ config, records, baseUrl, key: KEY, component: hostilePath() });

test('forged requests are refused by the policy', async () => {
  const probes = [
    { headers: [['Authorization', 'Basic Zm9yZ2Vk']] },
    { headers: [['Host', 'evil.example']] },
    { headers: [['Proxy-Authorization', 'x']] },
    { headers: [['x-bad', 'a\r\nInjected: 1']] },
    { path: '//evil.example/x' },
    { path: '/a/../candidate.create' },
    { path: 'http://evil.example/candidate.create' },
    // The WIT method is an enum: the guest cannot even ask for TRACE.
    { method: 'TRACE' },
    // Representable, but not the method the guest declared (POST).
    { method: 'DELETE' },
    { headers: [['x-request-tag', 'fine']] },
  ];
  const server = await okServer();
  try {
    const r = await hostile('probe', probes, server.baseUrl);
    assert.deepEqual(r.deadLetters.map((d) => d.code),
      [...Array(3).fill('denied'), ...Array(4).fill('invalid_request'), 'unrepresentable', 'denied', 'answered'],
      JSON.stringify(r.deadLetters));
    assert.equal(server.seen.length, 1, 'only the allowed request reached the network');
    const [req] = server.seen;
    assert.equal(req.path, '/candidate.create');
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.authorization, AUTH);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['x-request-tag'], 'fine');
    assert.equal(r.summary.requests, 1);
  } finally {
    server.close();
  }
});

test('WASI grants nothing: no environment, arguments, files or sockets', async () => {
  const canary = await okServer();
  try {
    const r = await hostile(`snoop ${canary.baseUrl.replace('http://', '')}`, [{ n: 1 }], canary.baseUrl);
    const [dl] = r.deadLetters;
    assert.equal(dl.code, 'snooped', JSON.stringify(r));
    const seen = JSON.parse(dl.reason);
    assert.deepEqual(seen.env, []);
    assert.deepEqual(seen.args, []);
    for (const f of seen.files) assert.match(f, /refused/);
    assert.match(seen.tcp, /^refused/);
    assert.deepEqual(canary.seen, [], 'the guest reached a socket');
    assert.ok(!(r.stdout + r.stderr + JSON.stringify(r.deadLetters)).includes(KEY));
  } finally {
    canary.close();
  }
});

test('a trapping record is dead-lettered and the rest delivered', async () => {
  const server = await okServer();
  try {
    const r = await hostile('poison POISON', [{ name: 'first' }, { name: 'POISON' }, { name: 'last' }], server.baseUrl);
    assert.equal(r.code, 1, r.stderr);
    const s = r.summary;
    assert.deepEqual([s.delivered, s.dead_lettered, s.not_attempted], [2, 1, 0], JSON.stringify(s));
    assert.ok(s.plugin_restarts >= 1);
    assert.deepEqual(r.deadLetters.map((d) => [d.index, d.code]), [[1, 'plugin_fault']]);
  } finally {
    server.close();
  }
});

test('a component that always traps ends each record', async () => {
  const server = await okServer();
  try {
    const r = await hostile('panic', [{ n: 1 }, { n: 2 }], server.baseUrl);
    const s = r.summary;
    assert.equal(s.input, 2);
    assert.equal(s.delivered + s.dead_lettered + s.not_attempted, 2);
    assert.deepEqual(r.deadLetters.map((d) => d.code), ['plugin_fault', 'plugin_fault']);
    assert.deepEqual(server.seen, []);
  } finally {
    server.close();
  }
});
