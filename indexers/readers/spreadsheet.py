"""Excel workbooks (.xlsx, .xlsm) through openpyxl, read-only: every sheet, its rows as a pipe table under
the sheet's header row (indexers/readers/tables.py), the sheet's name above it. Cell values,
not formulas (the values Excel saved). Bounded like the other readers: the zip's declared expansion, then
sheets, rows and cells; XML is parsed with defusedxml (openpyxl uses it when it is installed).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from indexers.errors import SourceError
from indexers.readers.base import ReaderOptions, Record, RecordError, check_archive, read_bytes
from indexers.readers.tables import cell_text, is_header, table_text

MAX_SHEETS = 100


def read_spreadsheet(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    check_archive(data, options, "spreadsheet")
    # imported on first use: most runs read no spreadsheet
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # openpyxl and its XML parser raise many types on hostile input
        raise SourceError(f"malformed spreadsheet ({type(error).__name__})") from None
    try:
        sheets = book.worksheets
        if len(sheets) > MAX_SHEETS:
            raise SourceError(f"{len(sheets):,} sheets (> {MAX_SHEETS})")
        parts, rows_read, cells_read = [], 0, 0
        for sheet in sheets:
            rows: list[list[str]] = []
            for values in sheet.iter_rows(values_only=True):
                rows_read += 1
                cells_read += len(values)
                if rows_read > options.max_table_rows:
                    raise SourceError(
                        f"more than {options.max_table_rows:,} rows (RAGMASK_MAX_TABLE_ROWS raises it)"
                    )
                if cells_read > options.max_table_cells:
                    raise SourceError(f"more than {options.max_table_cells:,} cells")
                cells = [cell_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    rows.append(cells)
            if not rows:
                continue
            header = rows[0] if is_header(rows[0]) else None
            body = table_text(rows[1:] if header else rows, header)
            parts.append(f"{cell_text(sheet.title)}\n\n{body}")
    except SourceError:
        raise
    except Exception as error:
        raise SourceError(f"malformed spreadsheet ({type(error).__name__})") from None
    finally:
        book.close()
    yield Record("\n\n".join(parts))
