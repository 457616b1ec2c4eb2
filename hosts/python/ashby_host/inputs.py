"""Reading records: JSON Lines (`.jsonl`, `.ndjson`) or one JSON array
(`.json`). A position that is not a JSON object becomes a bad item the
delivery loop dead-letters with its index; it never stops the run."""

import json
import os

from . import SetupError


def _kind(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    return "an array" if isinstance(v, list) else "an object"


def compact(value) -> str:
    """JSON text as the Rust host writes it (compact, UTF-8 kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _object_item(index: int, value, not_object: str) -> dict:
    if not isinstance(value, dict):
        return {"index": index, "bad": (value, "not_an_object", not_object)}
    return {"index": index, "json": compact(value)}


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def loads(text: str):
    """Strict JSON: NaN and Infinity are refused, as by the Rust host."""
    return json.loads(text, parse_constant=_no_constant)


def parse_item(index: int, text: str) -> dict:
    """One JSON Lines position: `{index, json}` or `{index, bad: (record, code, reason)}`."""
    try:
        value = loads(text)
    except ValueError as e:
        return {"index": index, "bad": (text, "invalid_json", f"the line is not valid JSON: {e}")}
    return _object_item(index, value, f"the line is JSON {_kind(value)}, not an object")


def _json_lines(path: str):
    index = 0
    with open(path, "rb") as f:
        for raw in f:
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as e:
                text = raw.decode("utf-8", "replace").strip()
                yield {"index": index, "bad": (text, "invalid_utf8", f"the line is not valid UTF-8 ({e})")}
                index += 1
                continue
            if not line:
                continue
            yield parse_item(index, line)
            index += 1


def _json_array(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            value = loads(f.read())
    except ValueError as e:
        raise SetupError(f"{path} is not a JSON array of records: {e}") from None
    for i, v in enumerate(value if isinstance(value, list) else [value]):
        yield _object_item(i, v, f"element {i} is {_kind(v)}, not an object")


def open_input(path: str):
    """Opens an input file by extension; fails only when it cannot be read."""
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise SetupError(f"cannot read input {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".jsonl", ".ndjson"):
        return _json_lines(path)
    if ext == ".json":
        return _json_array(path)
    raise SetupError(f"{path}: unknown input format; use .jsonl (JSON Lines) or .json (an array)")
