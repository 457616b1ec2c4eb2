// Terminal-safe text, as the Rust host's `one_line`: what a guest or a
// remote says is printed with its control characters escaped, so no byte of
// it can drive the operator's terminal or forge a log line.

const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `s` as one line: every control character escaped (`\n`, `\x1b`, `\u{9b}`). */
export function oneLine(s) {
  return String(s).replace(DANGEROUS, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const n = c.codePointAt(0);
    return n < 0x80 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}
