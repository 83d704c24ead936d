"""Word documents through python-docx: paragraphs and tables in document order, each table as pipe tables
under its first row (indexers/readers/tables.py); the title as metadata.

The zip's declared expansion is checked first (indexers/readers/base.py); any parser error, lxml's
XMLSyntaxError on a cut part included, is this file's failure.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.table import Table

from indexers.errors import SourceError
from indexers.readers.base import ReaderOptions, Record, RecordError, check_archive, read_bytes
from indexers.readers.tables import cell_text, is_header, table_text


def _table(table: Table) -> str:
    rows = [[cell_text(cell.text) for cell in row.cells] for row in table.rows]
    if not rows:
        return ""
    header = rows[0] if len(rows) > 1 or is_header(rows[0]) else None
    return table_text(rows[1:] if header else rows, header)


def read_docx(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    check_archive(data, options, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [
            _table(block) if isinstance(block, Table) else block.text
            for block in document.iter_inner_content()
        ]
        title = document.core_properties.title or ""
    except Exception as error:
        # python-docx and lxml raise many types on hostile input; none is fatal
        raise SourceError(f"malformed DOCX ({type(error).__name__})") from None
    text = "\n".join(block if "\n" not in block else f"\n{block}\n" for block in blocks if block.strip())
    yield Record(text.strip(), {"title": title} if title else {})
