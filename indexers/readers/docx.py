"""Word documents through python-docx: paragraphs, then table cells row by row; the title as metadata."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from indexers.readers.base import ReaderOptions, Record, RecordError, SourceError, read_bytes


def read_docx(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
        rows = [
            " | ".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows
        ]
        title = document.core_properties.title or ""
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise SourceError(f"malformed DOCX ({type(error).__name__})") from None
    text = "\n".join(line for line in [*paragraphs, *rows] if line.strip())
    yield Record(text, {"title": title} if title else {})
