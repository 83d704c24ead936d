"""Readers turn one source file into records of text and metadata, one module per format.

A reader is a function ``read(path, options) -> Iterator[Record | RecordError]`` registered for its
file suffixes (the registry pattern of Presidio's recognizers, at file level). A whole-file problem
raises SourceError; a bad record inside a good file (JSON lines) is yielded as a RecordError, so the
other records of the file go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from indexers.readers.base import ReaderOptions, Record, RecordError
from indexers.readers.delimited import read_delimited
from indexers.readers.docx import read_docx
from indexers.readers.html import read_html
from indexers.readers.pdf import read_pdf
from indexers.readers.records import read_json, read_jsonl
from indexers.readers.spreadsheet import read_spreadsheet
from indexers.readers.text import read_text_file

Reader = Callable[[Path, ReaderOptions], Iterator[Record | RecordError]]

READERS: dict[str, Reader] = {
    ".txt": read_text_file,
    ".md": read_text_file,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".csv": read_delimited,
    ".tsv": read_delimited,
    ".xlsx": read_spreadsheet,
    ".xlsm": read_spreadsheet,
}
SUPPORTED_SUFFIXES = frozenset(READERS)

__all__ = ["READERS", "SUPPORTED_SUFFIXES", "Reader", "ReaderOptions", "Record", "RecordError"]
