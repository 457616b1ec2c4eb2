// The `auth` preflight `host-harness send` runs against a real origin
// before any write: the component's own `auth` check (the `check` export,
// read requests only) on an instance of its own.

import { SetupError } from './policy.mjs';
import { oneLine } from './text.mjs';

/**
 * Runs the `auth` check on the configured instance `inst`. Returns the
 * report when it failed (the run must stop before sending), else null. A
 * component that offers no `auth` check is not checked; `unknown` is warned
 * about and the run goes on.
 */
export function preflight(inst) {
  const offered = inst.describe().checks;
  if (!offered.some((c) => c.name === 'auth')) {
    console.error('note: the component offers no `auth` check; no preflight was made');
    return null;
  }
  let report;
  try {
    report = inst.check('auth');
  } catch (e) {
    const why = e && 'payload' in e ? JSON.stringify(e.payload) : (e?.message ?? String(e));
    throw new SetupError(`the auth check could not run: ${oneLine(why)}`);
  }
  if (report.status === 'failed') return report;
  if (report.status === 'unknown') {
    console.error(`warning: preflight: ${oneLine(report.message)} (${oneLine(report.code)})`);
  }
  return null;
}

/** The line `host-harness send` ends with when the preflight failed. */
export function preflightFailed(r, notAttempted) {
  return `error: preflight check \`auth\` failed (${oneLine(r.code)}): ${oneLine(r.message)} ${oneLine(r.action)} `
    + `Nothing was sent: ${notAttempted} record(s) not attempted (--no-preflight skips this check).`;
}
