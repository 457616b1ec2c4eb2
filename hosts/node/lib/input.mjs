// Reading records: JSON Lines (`.jsonl`, `.ndjson`) or one JSON array
// (`.json`). A position that is not a JSON object becomes a bad item the
// delivery loop dead-letters with its index; it never stops the run.

import { accessSync, constants, createReadStream, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { SetupError } from './policy.mjs';

const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

/** One position: `{index, json}` for an object, else `{index, bad: {record, code, reason}}`. */
export function parseItem(index, text, what = 'the line') {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { index, bad: { record: text, code: 'invalid_json', reason: `${what} is not valid JSON: ${e.message}` } };
  }
  return objectItem(index, value, `${what} is JSON ${kind(value)}, not an object`);
}

function objectItem(index, value, notObject) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { index, bad: { record: value, code: 'not_an_object', reason: notObject } };
  }
  return { index, json: JSON.stringify(value) };
}

async function* jsonLines(path) {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let index = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    yield parseItem(index, line.trim());
    index += 1;
  }
}

async function* jsonArray(path) {
  let value;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SetupError(`${path} is not a JSON array of records: ${e.message}`);
  }
  const items = Array.isArray(value) ? value : [value];
  for (const [i, v] of items.entries()) yield objectItem(i, v, `element ${i} is ${kind(v)}, not an object`);
}

/** Opens an input file by extension; fails only when it cannot be read at all. */
export function openInput(path) {
  const ext = extname(path).toLowerCase();
  try {
    accessSync(path, constants.R_OK);
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new SetupError(`cannot read input ${path}: ${e.message}`);
  }
  if (ext === '.jsonl' || ext === '.ndjson') return jsonLines(path);
  if (ext === '.json') return jsonArray(path);
  throw new SetupError(`${path}: unknown input format; use .jsonl (JSON Lines) or .json (an array)`);
}
