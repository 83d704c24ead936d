"""Tables as text: Markdown pipe tables, a header row and its separator above the rows.

CSV, TSV, spreadsheets, HTML and Word tables all come out in this one layout, so the masker reads them by
column (masking.structure.tables: a column headed "Name" or "E-mail" is masked cell by cell) and the chunker
cuts them between rows, heading every chunk of rows with the header (indexers/chunking.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from masking.structure.fields import field_kind

MAX_HEADER_WORDS = 6


def cell_text(value: object) -> str:
    """A cell as one line of text: no line breaks, no bare "|"; dates as ISO dates, whole floats as integers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        text = str(int(value))
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return " ".join(text.split()).replace("|", "\\|")


def is_header(cells: Sequence[str]) -> bool:
    """A first row of labels: none empty or a value (an e-mail, a long number), at least one a known field
    name ("Name", "E-mail", "Nachname", "Department")."""
    if not cells or any(not c or "@" in c or len(c.split()) > MAX_HEADER_WORDS for c in cells):
        return False
    if any(sum(ch.isdigit() for ch in c) >= 4 for c in cells):
        return False
    return any(field_kind(c) is not None for c in cells)


def _row(cells: Sequence[str], width: int) -> str:
    padded = [*cells, *([""] * (width - len(cells)))]
    return "| " + " | ".join(padded) + " |"


def table_text(rows: Iterable[Sequence[str]], header: Sequence[str] | None) -> str:
    """``rows`` (cells already through ``cell_text``) as one pipe table under ``header`` (None: a table with
    no header row, written with an empty one so that the layout stays a table); empty rows left out."""
    kept = [list(r) for r in rows if any(c for c in r)]
    width = max([len(header) if header else 0, *(len(r) for r in kept)], default=0)
    if not width:
        return ""
    head = _row(header or [], width)
    return "\n".join([head, "|" + " --- |" * width, *(_row(cells, width) for cells in kept)])
