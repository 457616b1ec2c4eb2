// The thread that performs HTTP exchanges for the synchronous `http.send`
// import. The main thread posts one request and blocks on `Atomics.wait`;
// this thread answers on the port, then wakes it. No redirects are followed
// (node:http never follows them), the whole exchange has a deadline and the
// response body a size cap.

import http from 'node:http';
import https from 'node:https';
import { workerData } from 'node:worker_threads';

const { flag, port, origin, authorization, timeoutMs, maxResponseBytes } = workerData;
const client = origin.startsWith('https:') ? https : http;
const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });

function reply(message, transfer = []) {
  port.postMessage(message, transfer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function headerObject(guestHeaders, bodyLength) {
  const out = {};
  for (const [name, value] of guestHeaders) {
    const key = name.toLowerCase();
    (out[key] ??= []).push(value);
  }
  out.authorization = authorization;
  out['content-type'] = 'application/json';
  out.accept = 'application/json';
  out['content-length'] = String(bodyLength);
  return out;
}

function exchange({ method, path, headers, body }) {
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const done = (msg) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(msg);
      }
    };
    const req = client.request(origin + path, { method, headers: headerObject(headers, body.length), agent });
    const timer = setTimeout(() => {
      done({ err: { tag: 'timeout', val: `no complete response within ${timeoutMs / 1000}s` } });
      req.destroy();
    }, timeoutMs);
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => { connected = true; });
    });
    req.on('error', (e) => {
      const tag = connected ? 'transport' : 'connect';
      done({ err: { tag, val: `error sending request: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ') } });
    });
    req.on('response', (res) => readResponse(res, req, done));
    req.end(Buffer.from(body));
  });
}

function readResponse(res, req, done) {
  const len = Number(res.headers['content-length']);
  if (Number.isFinite(len) && len > maxResponseBytes) {
    done({ err: { tag: 'too-large', val: `response of ${len} bytes is over the limit of ${maxResponseBytes} bytes` } });
    req.destroy();
    return;
  }
  const chunks = [];
  let size = 0;
  res.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxResponseBytes) {
      done({ err: { tag: 'too-large', val: `response body is over the limit of ${maxResponseBytes} bytes` } });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => {
    const headers = [];
    for (let i = 0; i < res.rawHeaders.length; i += 2) {
      headers.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
    }
    done({ ok: { status: res.statusCode, headers, body: new Uint8Array(Buffer.concat(chunks)) } });
  });
  res.on('error', (e) => done({ err: { tag: 'transport', val: `error reading the response: ${e.message}` } }));
}

port.on('message', async (request) => {
  const msg = { ...(await exchange(request)), seq: request.seq };
  reply(msg, msg.ok ? [msg.ok.body.buffer] : []);
});
