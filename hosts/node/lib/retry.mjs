// Retry timing, as the Rust host's delivery loop: exponential backoff with
// full jitter, never sooner than the remote's Retry-After.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOUR_MS = 3600 * 1000;

/** Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to epoch ms, or null. */
export function parseHttpDate(text) {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 6 || parts[5] !== 'GMT') return null;
  const day = Number(parts[1]);
  const month = MONTHS.indexOf(parts[2]);
  const year = Number(parts[3]);
  const hms = parts[4].split(':').map(Number);
  if (!Number.isInteger(day) || day < 1 || day > 31 || month < 0 || !Number.isInteger(year)) return null;
  if (hms.length !== 3 || hms.some((x) => !Number.isInteger(x) || x < 0)) return null;
  return Date.UTC(year, month, day, hms[0], hms[1], hms[2]);
}

/** Reads a Retry-After value (delay-seconds or an HTTP date) as ms, or null; at most an hour. */
export function parseRetryAfter(value) {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, HOUR_MS);
  const when = parseHttpDate(v);
  if (when === null) return null;
  return Math.min(Math.max(when - Date.now(), 0), HOUR_MS);
}

/** Backoff for `attempt` (1-based): base doubling to cap, full jitter, at least `floorMs`. */
export function backoffMs({ baseMs, capMs }, attempt, floorMs) {
  const exp = Math.min(baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 16), capMs);
  const jitter = exp * Math.random();
  return floorMs == null ? jitter : Math.max(jitter, floorMs);
}
