// The HTTP import's policy, the same rules as the Rust host
// (destination-host/src/http_import.rs, origin.rs): the tenant's origin, path checks,
// reserved headers, allowed methods.

import { isIPv4, isIPv6 } from 'node:net';

/**
 * The cases of the WIT `http.method` enum, as jco names them, and the HTTP
 * method each one is. Nothing else is representable across the boundary.
 */
export const METHODS = new Map([['get', 'GET'], ['post', 'POST'], ['put', 'PUT'], ['patch', 'PATCH'], ['delete', 'DELETE']]);

/** A setup error: the message is one sentence for the user. */
export class SetupError extends Error {}

const hasControlOrSpace = (s) => [...s].some((c) => /[\p{Cc}\s]/u.test(c));

function hostOf(authority) {
  if (authority.startsWith('[')) return authority.slice(1).split(']')[0];
  return authority.split(':')[0];
}

function isLoopback(host) {
  if (host.toLowerCase() === 'localhost') return true;
  if (isIPv4(host)) return host.split('.')[0] === '127';
  if (isIPv6(host)) {
    // Only ::1 (as Rust's Ipv6Addr::is_loopback): expand and compare.
    try {
      return new URL(`http://[${host}]`).hostname === '[::1]';
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Parses `https://host[:port]` (any host) or `http://host:port` for a
 * loopback host only. Returns `scheme://host[:port]`, lower case.
 */
export function parseOrigin(input) {
  const url = input.trim();
  const at = url.indexOf('://');
  if (at < 0) throw new SetupError(`\`${url}\` is not an absolute URL`);
  const scheme = url.slice(0, at).toLowerCase();
  const rest = url.slice(at + 3);
  const authority = rest.endsWith('/') ? rest.slice(0, -1) : rest;
  if (!authority) throw new SetupError(`\`${url}\` has no host`);
  if (/[/?#\\]/.test(authority)) {
    throw new SetupError(`\`${url}\` must be an origin only (no path, query or fragment)`);
  }
  if (authority.includes('@')) throw new SetupError(`\`${url}\` must not carry userinfo`);
  if (hasControlOrSpace(authority)) {
    throw new SetupError(`\`${url}\` contains whitespace or control characters`);
  }
  const host = hostOf(authority);
  if (scheme === 'http') {
    if (!isLoopback(host)) {
      throw new SetupError(
        `\`${url}\`: plain http is allowed only to loopback (127.0.0.1, ::1, localhost); use https`,
      );
    }
  } else if (scheme !== 'https') {
    throw new SetupError(`\`${url}\`: scheme \`${scheme}\` is not supported; use https`);
  }
  const base = `${scheme}://${authority.toLowerCase()}`;
  let parsed;
  try {
    parsed = new URL(base);
  } catch (e) {
    throw new SetupError(`\`${url}\` is not a valid origin: ${e.message}`);
  }
  if (!parsed.hostname) throw new SetupError(`\`${url}\` has no host`);
  return base;
}

const RESERVED = new Set([
  'authorization', 'host', 'cookie', 'content-length', 'transfer-encoding', 'connection',
  'content-type', 'te', 'upgrade', 'keep-alive', 'expect',
]);

/** Headers the guest may never set: the host owns them. */
export function isReservedHeader(name) {
  const n = name.toLowerCase();
  return RESERVED.has(n) || n.startsWith('proxy-');
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks one guest header. Returns `null` when it may be sent, else the WIT
 * `http.error` value that refuses it.
 */
export function checkHeader(name, value) {
  if (isReservedHeader(name)) return { tag: 'denied', val: `header \`${name}\` is reserved to the host` };
  if (!TOKEN.test(name)) return { tag: 'invalid-request', val: `header name ${JSON.stringify(name)} is not valid` };
  if (/[\p{Cc}]/u.test(value.replace(/\t/g, ''))) {
    return { tag: 'invalid-request', val: `header \`${name}\` has a control character in its value` };
  }
  if (!/^[\t\x20-\x7e]*$/.test(value)) {
    return { tag: 'invalid-request', val: `header \`${name}\` has an invalid value` };
  }
  return null;
}

/**
 * Checks a guest path: relative to the origin and unable to change it.
 * Returns `null` when it is fine, else the reason it is refused.
 */
export function checkPath(path) {
  const q = JSON.stringify(path);
  if (!path.startsWith('/')) return `path ${q} must start with \`/\` (a path, never a URL)`;
  if (path.startsWith('//')) return `path ${q} starts with \`//\`, which names a host`;
  if (path.includes('://')) return `path ${q} contains a URL`;
  for (const c of path) {
    if (/[\p{Cc}\s]/u.test(c)) return `path ${q} contains whitespace or a control character`;
    if (c === '\\' || c === '@' || c === '#' || c.codePointAt(0) > 0x7f) {
      return `path ${q} contains the forbidden character ${JSON.stringify(c)}`;
    }
  }
  const lower = path.toLowerCase();
  if (['%2e', '%2f', '%5c', '%00', '%25'].some((e) => lower.includes(e))) {
    return `path ${q} percent-encodes a dot, slash, backslash, NUL or percent sign`;
  }
  const onlyPath = path.split('?')[0];
  // `/..;/` is a dot segment to servers that strip path parameters.
  if (onlyPath.split('/').some((seg) => ['.', '..'].includes(seg.split(';')[0]))) {
    return `path ${q} contains a dot segment`;
  }
  return null;
}
