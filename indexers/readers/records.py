"""JSON and JSON Lines records: one document per object, text/id/metadata fields configurable.

A .json file holds one object or a list of objects; a .jsonl file one object per line. A record
without its text field, or that is not an object, is a RecordError; the file's other records go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexers.readers.base import ReaderOptions, Record, RecordError, SourceError, decode_text, read_bytes


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
        data = json.loads(decode_text(read_bytes(path, options)))
    except json.JSONDecodeError as error:
        raise SourceError(f"malformed JSON (line {error.lineno})") from None
    for position, value in enumerate(data if isinstance(data, list) else [data], start=1):
        yield _record(value, position, options)


def read_jsonl(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    for position, line in enumerate(decode_text(read_bytes(path, options)).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            yield RecordError(f"#{position}", f"malformed JSON on line {position}")
            continue
        yield _record(value, position, options)
