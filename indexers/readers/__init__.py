"""Readers turn one source file into records of text and metadata, one module per format.

A reader is a function ``read(path, options) -> Iterator[Record | RecordError]`` registered for its
file suffixes (the registry pattern of Presidio's recognizers, at file level). A whole-file problem
raises SourceError; a bad record inside a good file (JSON lines) is yielded as a RecordError, so the
other records of the file go on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

from indexers.readers.base import ReaderOptions, Record, RecordError
from indexers.readers.text import read_text_file

Reader = Callable[[Path, ReaderOptions], Iterator[Record | RecordError]]


def _on_first_use(module: str, function: str) -> Reader:
    """A reader whose module (and its format's library: BeautifulSoup, pypdf, python-docx, openpyxl) is
    imported when a run first meets such a file, not when ragmask starts."""

    def read(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
        reader: Reader = getattr(importlib.import_module(f"indexers.readers.{module}"), function)
        return reader(path, options)

    return read


READERS: dict[str, Reader] = {
    ".txt": read_text_file,
    ".md": read_text_file,
    ".html": _on_first_use("html", "read_html"),
    ".htm": _on_first_use("html", "read_html"),
    ".pdf": _on_first_use("pdf", "read_pdf"),
    ".docx": _on_first_use("docx", "read_docx"),
    ".json": _on_first_use("records", "read_json"),
    ".jsonl": _on_first_use("records", "read_jsonl"),
    ".csv": _on_first_use("delimited", "read_delimited"),
    ".tsv": _on_first_use("delimited", "read_delimited"),
    ".xlsx": _on_first_use("spreadsheet", "read_spreadsheet"),
    ".xlsm": _on_first_use("spreadsheet", "read_spreadsheet"),
}
SUPPORTED_SUFFIXES = frozenset(READERS)

__all__ = ["READERS", "SUPPORTED_SUFFIXES", "Reader", "ReaderOptions", "Record", "RecordError"]
