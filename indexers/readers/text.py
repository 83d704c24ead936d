"""Plain text and Markdown: the file's UTF-8 text as one record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from indexers.readers.base import ReaderOptions, Record, RecordError, decode_text, read_bytes


def read_text_file(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    yield Record(decode_text(read_bytes(path, options)))
