#!/usr/bin/env node
// The Node.js reference host: sends every record of an input through the
// connector component, with the Rust host's policy and delivery rules.
// Exit codes: 0 every record delivered; 1 some dead-lettered; 2 could not
// run or halted.

import { writeFileSync } from 'node:fs';
import { apiKeyFromEnv, parseCli } from './lib/cli.mjs';
import { loadComponent } from './lib/component.mjs';
import { ConfigRefused } from './lib/deliver.mjs';
import { openInput } from './lib/input.mjs';
import { SetupError } from './lib/policy.mjs';
import { preflightFailed } from './lib/preflight.mjs';
import { oneLine } from './lib/text.mjs';
import { run } from './lib/run.mjs';

/** Prints the summary on stdout and writes it to the summary file. */
function summaryOut(s, summaryPath) {
  const text = JSON.stringify(s, null, 2);
  if (summaryPath) writeFileSync(summaryPath, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

function report({ summary: s, halt, warnings, preflight: failed }, summaryPath) {
  if (failed) {
    summaryOut(s, summaryPath);
    console.error(preflightFailed(failed, s.not_attempted));
    return 2;
  }
  for (const w of warnings) console.error(`warning: ${oneLine(w)}`);
  summaryOut(s, summaryPath);
  for (const [field, n] of Object.entries(s.unknown_fields)) {
    console.error(`warning: ${n} record(s) carried the field \`${oneLine(field)}\`, which no call of the template takes; it was sent, left out or refused as the config's "unknown_fields" says`);
  }
  if (s.rate_limited_partner > 0) {
    console.error(`warning: Ashby answered 429 with \`X-RateLimit-Scope: integration-partner\` ${s.rate_limited_partner} time(s): the integration partner's combined traffic across all organisations is limited, not only this API key; lowering --rate for this key alone may not help`);
  }
  if (halt) {
    const perm = halt.permission ? ` The endpoint needs the \`${oneLine(halt.permission)}\` permission on the API key.` : '';
    console.error(`error: halted (${oneLine(halt.code)}): ${oneLine(halt.message.replace(/\.+$/, ''))}.${perm} ${s.not_attempted} record(s) were not attempted.`);
    return 2;
  }
  return s.dead_lettered > 0 ? 1 : 0;
}

async function main() {
  const cli = parseCli(process.argv.slice(2));
  const key = apiKeyFromEnv();
  const items = openInput(cli.input);
  const component = await loadComponent(cli.component);
  const result = await run({ component, config: cli.config, items, tenant: { origin: cli.origin, key }, opts: cli.opts });
  return report(result, cli.summary);
}

main().then(
  (code) => { process.exitCode = code; },
  (e) => {
    if (e instanceof ConfigRefused) console.error(`error: the config was refused: ${e.message}`);
    else if (e instanceof SetupError) console.error(`error: ${e.message}`);
    else console.error(`error: ${e?.stack ?? e}`);
    process.exitCode = 2;
  },
);
