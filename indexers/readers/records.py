"""JSON and JSON Lines records: one document per object, text/id/metadata fields configurable.

A .json file holds one object or a list of objects; a .jsonl file one object per line. A record
without its text field, or that is not an object, is a RecordError; the file's other records go on.
Nesting is measured before parsing (a 2 KB file of brackets would otherwise exhaust the parser's stack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from indexers.errors import SourceError
from indexers.readers.base import ReaderOptions, Record, RecordError, decode_text, read_bytes

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped); C-speed passes only."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=0))


def _parse(text: str, options: ReaderOptions, where: str) -> Any:
    depth = nesting_depth(text)
    if depth > options.max_json_depth:
        raise SourceError(f"JSON nested {depth} levels deep{where} (> {options.max_json_depth})")
    return json.loads(text)


def _record(value: Any, position: int, options: ReaderOptions) -> Record | RecordError:
    if not isinstance(value, dict):
        return RecordError(f"#{position}", "record is not a JSON object")
    identifier = value.get(options.id_field)
    key = str(identifier) if isinstance(identifier, str | int) and str(identifier) else f"#{position}"
    text = value.get(options.text_field)
    if not isinstance(text, str):
        return RecordError(key, f"no string field {options.text_field!r}")
    metadata = {
        name: str(value[name])
        for name in options.metadata_fields
        if isinstance(value.get(name), str | int | float | bool)
    }
    return Record(text, metadata, key)


def read_json(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    try:
        data = _parse(decode_text(read_bytes(path, options)), options, "")
    except json.JSONDecodeError as error:
        raise SourceError(f"malformed JSON (line {error.lineno})") from None
    for position, value in enumerate(data if isinstance(data, list) else [data], start=1):
        yield _record(value, position, options)


def read_jsonl(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    for position, line in enumerate(decode_text(read_bytes(path, options)).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _parse(line, options, f" on line {position}")
        except json.JSONDecodeError:
            yield RecordError(f"#{position}", f"malformed JSON on line {position}")
            continue
        except SourceError as error:
            yield RecordError(f"#{position}", str(error))
            continue
        yield _record(value, position, options)
