"""HTML: visible text only (scripts, styles and templates dropped), the <title> as metadata; each <table>
as pipe tables under its header row (indexers/readers/tables.py), so its columns can be read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from indexers.readers.base import ReaderOptions, Record, RecordError, decode_text, read_bytes
from indexers.readers.tables import cell_text, is_header, table_text

INVISIBLE = ("script", "style", "noscript", "template", "head")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _render_table(table: Tag) -> str:
    rows: list[list[str]] = []
    header: list[str] | None = None
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            # a nested table's row: rendered with that table
            continue
        cells = row.find_all(["th", "td"], recursive=False)
        values = [cell_text(cell.get_text(" ", strip=True)) for cell in cells]
        in_head = row.find_parent("thead") is not None
        if header is None and not rows and (in_head or (cells and all(c.name == "th" for c in cells))):
            header = values
            continue
        rows.append(values)
    if header is None and rows and is_header(rows[0]):
        header, rows = rows[0], rows[1:]
    return table_text(rows, header)


def read_html(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    soup = BeautifulSoup(decode_text(read_bytes(path, options)), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(list(INVISIBLE)):
        element.decompose()
    # innermost first: an outer cell holds its text
    for table in reversed(soup.find_all("table")):
        table.replace_with(NavigableString(f"\n\n{_render_table(table)}\n\n"))
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    yield Record(text, {"title": title} if title else {})
