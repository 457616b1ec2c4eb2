// The HTTP import's policy: the same cases as the Rust host's unit tests
// (destination-host/src/http_import.rs, origin.rs) and the delivery timing helpers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHeader, checkPath, isReservedHeader, parseOrigin } from '../lib/policy.mjs';
import { backoffMs, parseHttpDate, parseRetryAfter } from '../lib/retry.mjs';

test('origins', () => {
  assert.equal(parseOrigin('https://api.ashbyhq.com'), 'https://api.ashbyhq.com');
  assert.equal(parseOrigin('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(parseOrigin('http://localhost:1/'), 'http://localhost:1');
  assert.equal(parseOrigin('http://[::1]:9'), 'http://[::1]:9');
  for (const bad of [
    'http://example.com', 'ftp://x', 'https://u:p@host', 'https://host/path', 'http://127.0.0.1.evil.com',
    'http://localhost.evil.com:80', 'http://[::ffff:127.0.0.1]:80', 'http://10.0.0.1:80', 'https://host?x',
    'https://host#x', 'https://ho st', 'https://host\\@evil', 'file:///etc/passwd', '//host', 'https://host:abc',
    'https://host:99999', 'http://127.0.0.1:}',
  ]) {
    assert.throws(() => parseOrigin(bad), undefined, `${bad} accepted`);
  }
});

test('paths', () => {
  assert.equal(checkPath('/candidate.create'), null);
  for (const bad of [
    'candidate.create', '//evil.com/x', '/a/../b', '/a/%2e%2e/b', '/a\\b', '/a@b', 'http://x/y', '/a\r\nHost: x',
    '/a b', '/./a', '/..;/a', '/a/.;x/b', '/%252e%252e/a', '/A/%2E%2E/b', '/.%2e/a', '/a%2Fb', '/a%5Cb',
    'https://evil.com/a', '/a?u=http://evil.com', '/a\u0000b', '/a\u007f', '/caf\u00e9', '',
  ]) {
    assert.notEqual(checkPath(bad), null, `${JSON.stringify(bad)} accepted`);
  }
});

test('reserved headers are denied, bad ones invalid', () => {
  for (const h of ['Authorization', 'HOST', 'cookie', 'Proxy-Authorization', 'content-length', 'Content-Type', 'TE']) {
    assert.ok(isReservedHeader(h), h);
    assert.equal(checkHeader(h, 'x').tag, 'denied');
  }
  assert.equal(checkHeader('x-request-tag', 'abc\tdef'), null);
  assert.equal(checkHeader('bad name', 'x').tag, 'invalid-request');
  assert.equal(checkHeader('x-a', 'a\r\nb').tag, 'invalid-request');
  assert.equal(checkHeader('x-a', 'caf\u00e9').tag, 'invalid-request');
});

test('Retry-After forms and backoff bounds', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT'), 0);
  assert.ok(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT') > 0);
  assert.equal(parseHttpDate('Thu, 01 Jan 1970 00:00:10 GMT'), 10_000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter('99999'), 3600_000);
  const o = { baseMs: 250, capMs: 30_000 };
  for (let a = 1; a < 10; a += 1) assert.ok(backoffMs(o, a, null) <= o.capMs);
  assert.ok(backoffMs(o, 1, 2000) >= 2000);
});
