// The command line shared by the Node and Python reference hosts, a subset
// of `host-harness send`'s.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SetupError, parseOrigin } from './policy.mjs';

/** The usage text. */
export const USAGE = `usage: node send.mjs --component FILE --config C --input I.jsonl --base-url URL
       [--summary S.json] [--dead-letter D.jsonl] [--responses R.jsonl]
       [--max-attempts N] [--rate N/s|N/min] [--http-timeout SECONDS] [--max-response-bytes N]
       [--no-preflight]
The API key comes from ASHBY_API_KEY.`;

/** Parses `N/s` or `N/min` into requests per second. */
export function parseRate(text) {
  const m = /^\s*([0-9.]+)\s*\/\s*(s|sec|second|m|min|minute)\s*$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) throw new SetupError(`--rate: rate \`${text}\` must look like 10/s or 1000/min`);
  return m[2].startsWith('s') ? n : n / 60;
}

function positive(name, text) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new SetupError(`--${name} must be a positive number, not \`${text}\``);
  return n;
}

/** Reads ASHBY_API_KEY: trimmed, not empty, no control characters. */
export function apiKeyFromEnv(env = process.env) {
  const raw = env.ASHBY_API_KEY;
  if (raw === undefined) throw new SetupError('ASHBY_API_KEY is not set: export your Ashby API key to send to --base-url');
  const key = raw.trim();
  if (!key) throw new SetupError('ASHBY_API_KEY: the API key is empty');
  if (/\p{Cc}/u.test(key)) throw new SetupError('ASHBY_API_KEY: the API key contains control characters');
  return key;
}

/** Parses argv into the run's settings; throws SetupError with a sentence. */
export function parseCli(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(
          ['component', 'config', 'input', 'base-url', 'summary', 'dead-letter', 'responses', 'max-attempts',
            'rate', 'http-timeout', 'max-response-bytes'].map((k) => [k, { type: 'string' }]),
        ),
        'no-preflight': { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new SetupError(`${e.message}\n${USAGE}`);
  }
  for (const k of ['component', 'config', 'input', 'base-url']) {
    if (!values[k]) throw new SetupError(`--${k} is required\n${USAGE}`);
  }
  let config;
  try {
    config = readFileSync(values.config, 'utf8');
  } catch (e) {
    throw new SetupError(`cannot read config ${values.config}: ${e.message}`);
  }
  if (values.responses) config = withResponseWebhook(config);
  const opts = { deadLetter: values['dead-letter'], responses: values.responses, noPreflight: Boolean(values['no-preflight']) };
  if (values['max-attempts']) opts.maxAttempts = Math.floor(positive('max-attempts', values['max-attempts']));
  if (values.rate) opts.ratePerSec = parseRate(values.rate);
  if (values['http-timeout']) opts.timeoutMs = positive('http-timeout', values['http-timeout']) * 1000;
  if (values['max-response-bytes']) opts.maxResponseBytes = positive('max-response-bytes', values['max-response-bytes']);
  let origin;
  try {
    origin = parseOrigin(values['base-url']);
  } catch (e) {
    throw new SetupError(`--base-url: ${e.message}`);
  }
  return { component: values.component, input: values.input, summary: values.summary, config, origin, opts };
}

/** Turns the response webhook on (as `host-harness send --responses` does). */
function withResponseWebhook(text) {
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return JSON.stringify({ ...v, response_webhook: true });
  } catch {
    // Let the component explain what is wrong with it.
  }
  return text;
}
