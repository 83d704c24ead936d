"""Word documents through python-docx: paragraphs, then table cells row by row; the title as metadata.

The zip's declared expansion is checked first (indexers/readers/base.py); any parser error, lxml's
XMLSyntaxError on a cut part included, is this file's failure.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import docx

from indexers.readers.base import ReaderOptions, Record, RecordError, SourceError, check_archive, read_bytes


def read_docx(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    check_archive(data, options, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
        rows = [
            " | ".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows
        ]
        title = document.core_properties.title or ""
    except Exception as error:  # python-docx and lxml raise many types on hostile input; none is fatal
        raise SourceError(f"malformed DOCX ({type(error).__name__})") from None
    text = "\n".join(line for line in [*paragraphs, *rows] if line.strip())
    yield Record(text, {"title": title} if title else {})
