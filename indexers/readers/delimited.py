"""CSV and TSV: one document per file, its rows as a pipe table under the header
(indexers/readers/tables.py). The delimiter of a .csv is sniffed (comma, semicolon, tab or pipe); a .tsv is
tab-separated. Bounded by rows and cells as well as bytes: a file past a bound is refused whole, never cut.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from indexers.errors import SourceError
from indexers.readers.base import ReaderOptions, Record, RecordError, decode_text, read_bytes
from indexers.readers.tables import cell_text, is_header, table_text

SNIFF_BYTES = 64 * 1024
SNIFFED_DELIMITERS = ",;\t|"
MAX_FIELD_CHARS = 1_000_000


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=SNIFFED_DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_delimited(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    text = decode_text(read_bytes(path, options))
    delimiter = _delimiter(path, text)
    rows: list[list[str]] = []
    cells = 0
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            if len(rows) >= options.max_table_rows:
                raise SourceError(
                    f"more than {options.max_table_rows:,} rows (RAGMASK_MAX_TABLE_ROWS raises it)"
                )
            cells += len(row)
            if cells > options.max_table_cells:
                raise SourceError(f"more than {options.max_table_cells:,} cells")
            rows.append([cell_text(value) for value in row])
    except csv.Error as error:
        raise SourceError(f"malformed CSV ({str(error).split(':')[0]})") from None
    finally:
        csv.field_size_limit(previous_limit)
    if not rows:
        yield Record("")
        return
    header = rows[0] if is_header(rows[0]) else None
    yield Record(table_text(rows[1:] if header else rows, header))
