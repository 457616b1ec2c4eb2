// Support for the Node host's end-to-end tests: the component and mock binary
// built from this checkout, the Rust mock Ashby as a child process, the
// prerequisite objects template examples refer to, and a runner for
// `send.mjs` as a child process.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { loadComponent } from './lib/component.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT = join(here, '..', '..');

function built(envName, path, how) {
  const p = process.env[envName] || path;
  if (!existsSync(p)) throw new Error(`${p} is missing: ${how} (or set ${envName})`);
  return p;
}

/** The component under test (the one `cargo build -p plugin --target wasm32-wasip2 --release` writes). */
export const componentPath = () => built('CONNECTOR_WASM', join(ROOT, 'target/wasm32-wasip2/release/plugin.wasm'),
  'run `cargo build -p plugin --target wasm32-wasip2 --release`');

/** The test-only hostile guest (test-guests/hostile), which misbehaves as its config says. */
export const hostilePath = () => built('HOSTILE_WASM', join(ROOT, 'target/wasm32-wasip2/release/hostile.wasm'),
  'run `cargo build -p hostile --target wasm32-wasip2 --release`');

/** Where the tests cache the transpiled component: under target/, not in the user's home. */
const CACHE = join(ROOT, 'target/tmp/host-cache');

const harnessPath = () => built('HOST_HARNESS', join(ROOT, 'target/debug/host-harness'), 'run `cargo build -p host-harness`');

/**
 * The component's own catalog (its `describe` export, through this host's
 * loader): per template its id, side effects, fields (required, aliases)
 * and steps (endpoint, method, when it runs).
 */
export async function catalog() {
  process.env.ASHBY_CONNECTOR_CACHE_DIR ??= CACHE;
  const component = await loadComponent(componentPath());
  const inst = component.instantiate(() => {
    throw { tag: 'denied', val: 'describe makes no request' };
  });
  return JSON.parse(inst.describe().catalog).templates;
}

/** The examples of templates.json (version 2): id → its template's example and each step's. */
export function examples() {
  const file = JSON.parse(readFileSync(join(ROOT, 'templates.json'), 'utf8'));
  if (file.version !== 2) throw new Error(`templates.json is version ${file.version}, these tests read version 2`);
  return new Map(file.templates.map((t) => [t.id, { example: t.example, steps: t.steps }]));
}

/**
 * Every (template, step index, example record): the template's example for
 * its first step, each later step's own example for the others (as the
 * Rust e2e tests' `step_examples`).
 */
export async function stepExamples() {
  const ex = examples();
  const out = [];
  for (const t of await catalog()) {
    const file = ex.get(t.id);
    t.steps.forEach((step, i) => {
      const example = i === 0 ? file.example : file.steps[i].example;
      if (!example) throw new Error(`${t.id} step ${i + 1} has no example`);
      out.push({ t, i, step, example });
    });
  }
  return out;
}

/** The config that runs a template's example. */
export function configFor(t) {
  const c = { template: t.id };
  if (t.side_effects) c.confirm_side_effects = true;
  return c;
}

/** Starts `host-harness mock` with `key`; resolves to {baseUrl, key, fixtures, stop}. */
export function startMock(key) {
  const child = spawn(harnessPath(), ['mock', '--port', '0', '--api-key', key], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const info = { key, stop: () => child.kill('SIGKILL') };
    const lines = createInterface({ input: child.stdout });
    child.on('exit', (code) => reject(new Error(`the mock exited early (${code})`)));
    lines.on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) info.baseUrl = m[1];
      if (line.startsWith('fixtures: ')) info.fixtures = JSON.parse(line.slice('fixtures: '.length));
      if (info.baseUrl && info.fixtures) resolve(info);
    });
  });
}

/** POSTs straight to the mock (not through the component); resolves to the parsed body. */
export async function post(mock, path, body) {
  const auth = Buffer.from(`${mock.key}:`).toString('base64');
  const r = await fetch(mock.baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return r.json();
}

/** Creates the objects template examples refer to; returns placeholder → id (as tests/src/lib.rs). */
export async function prerequisites(mock) {
  const c = await post(mock, '/candidate.create', { name: 'Prereq Candidate', email: 'prereq@example.com' });
  // The application belongs to a second candidate, so an example may apply
  // {{candidate}} to the job without a duplicate application.
  const c2 = await post(mock, '/candidate.create', { name: 'Prereq Applicant' });
  const a = await post(mock, '/application.create', { candidateId: c2.results.id, jobId: mock.fixtures.job });
  const f = mock.fixtures;
  return {
    candidate: c.results.id, application: a.results.id, job: f.job, opening: f.opening, team: f.team,
    location: f.location, source: f.source, user: f.user, interview_plan: f.interview_plan,
    custom_field: f.notice_period_field, interview_stage: f.screen_stage, application_field: f.seniority_field,
    job_field: f.team_size_field, opening_field: f.budget_field,
  };
}

/** Replaces `{{name}}` placeholders in every string of `v`. */
export function substitute(v, vars) {
  if (typeof v === 'string') return v.replace(/\{\{(\w+)\}\}/g, (m, k) => vars[k] ?? m);
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  return v;
}

/** A fresh temporary directory. */
export const tempDir = () => mkdtempSync(join(tmpdir(), 'node-host-'));

/** Runs `node send.mjs args` with env; resolves to {code, stdout, stderr, summary}. */
export function runHost(args, env) {
  const child = spawn(process.execPath, [join(here, 'send.mjs'), ...args], {
    // The transpiled component is cached under target/, not in the user's home.
    env: { PATH: process.env.PATH, ASHBY_CONNECTOR_CACHE_DIR: CACHE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      let summary = null;
      try {
        summary = JSON.parse(stdout);
      } catch {
        // no summary: a setup error
      }
      resolve({ code, stdout, stderr, summary });
    });
  });
}

/** A loopback HTTP server running `handler(req, body, res)`; resolves to {baseUrl, close}. */
export function startServer(handler) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ baseUrl: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

const readLines = (path) => (existsSync(path)
  ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/**
 * Writes config and records, runs the host against `baseUrl` with `key`;
 * resolves to its result with the dead letters and responses it wrote.
 */
export async function send({ config, records, baseUrl, key, responses = false, component, extra = [] }) {
  const dir = tempDir();
  const p = (n) => join(dir, n);
  writeFileSync(p('config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  writeFileSync(p('in.jsonl'), records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n'));
  const args = ['--component', component ?? componentPath(), '--config', p('config.json'), '--input', p('in.jsonl'),
    '--base-url', baseUrl, '--summary', p('summary.json'), '--dead-letter', p('dl.jsonl'), ...extra];
  if (responses) args.push('--responses', p('responses.jsonl'));
  const r = await runHost(args, { ASHBY_API_KEY: key });
  return { ...r, dir, deadLetters: readLines(p('dl.jsonl')), responses: readLines(p('responses.jsonl')) };
}
