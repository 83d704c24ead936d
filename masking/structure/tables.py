"""Tables read by column: Markdown pipe tables (what ragmask's readers make of CSV, TSV, spreadsheets, HTML and
Word tables too) and CSV or TSV pasted into a text.

A column whose header names a personal field (masking.structure.fields) is masked cell by cell and fails
closed: a cell that holds no recognisable name is masked whole. A column whose header names a role, a
department or a status holds no person, so a name the NER model sees there is dropped. A column with no
known header is a name column when most of its cells are names by the lists; otherwise only its cells that
are names by the lists are masked, and the rest is left to the other detectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import regex

from masking.names.evidence import name_evidence, plausible_in_text
from masking.names.vocabulary import is_placeholder
from masking.structure.fields import NOT_PERSONAL, PERSON, field_kind
from masking.structure.lines import Line, is_token, outside_tokens, strip_range, text_lines
from masking.structure.name_items import names_in
from masking.structure.result import StructureFindings

SEPARATOR_ROW = regex.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*")
DELIMITERS = ("\t", ";", ",")
MIN_ROWS = 2
MAX_CELL_CHARS = 200
MAX_WORDS_PER_CELL = 8
MAX_FAIL_CLOSED_CHARS = 80
NAME_COLUMN_SHARE = 0.5
MAX_HEADER_WORDS = 4
MIN_KNOWN_HEADERS = 2
SCORE_COLUMN = 0.9
SCORE_INFERRED = 0.6
# What a personal column's cell must hold to be masked whole.
_NEEDS_DIGITS = frozenset(
    {"PHONE_NUMBER", "DATE_OF_BIRTH", "ACCOUNT_NUMBER", "NATIONAL_ID", "US_SSN", "IBAN_CODE"}
)
_HAS_LETTER = regex.compile(r"\p{L}")
_DIGIT_RUN = regex.compile(r"\d{4,}")
_LIST_PROSE = regex.compile(r"(?:and|or|but|then)\s")
_BRACKETED = regex.compile(r"[(\[<][^)\]>]*[)\]>]")


@dataclass
class Table:
    """Cells as (start, end) ranges of the text, stripped; ``header`` None when the first row holds data."""

    header: list[tuple[int, int]] | None
    rows: list[list[tuple[int, int]]] = field(default_factory=list)


def _pipe_cells(text: str, line: Line) -> list[tuple[int, int]] | None:
    bars = [i for i in range(line.start, line.end) if text[i] == "|" and (i == 0 or text[i - 1] != "\\")]
    if not bars:
        return None
    bounds = [line.start - 1, *bars, line.end]
    cells = [strip_range(text, a + 1, b) for a, b in pairwise(bounds)]
    if cells and cells[0][0] == cells[0][1] and not text[line.start : bars[0]].strip():
        cells = cells[1:]
    if cells and cells[-1][0] == cells[-1][1] and not text[bars[-1] + 1 : line.end].strip():
        cells = cells[:-1]
    return cells if len(cells) >= MIN_ROWS else None


def _delimited_cells(text: str, line: Line, delimiter: str) -> list[tuple[int, int]] | None:
    """The fields of one CSV/TSV line (quotes allowed), or None when the line is not such a row."""
    cells, position, end = [], line.start, line.end
    while True:
        while position < end and text[position] == " ":
            position += 1
        if position < end and text[position] == '"':
            close = position + 1
            while True:
                close = text.find('"', close, end)
                if close == -1:
                    return None
                if close + 1 < end and text[close + 1] == '"':
                    close += 2
                    continue
                break
            cells.append(strip_range(text, position + 1, close))
            after = close + 1
            while after < end and text[after] == " ":
                after += 1
            if after >= end:
                break
            if text[after] != delimiter:
                return None
            position = after + 1
            continue
        next_delimiter = text.find(delimiter, position, end)
        cell_end = end if next_delimiter == -1 else next_delimiter
        cells.append(strip_range(text, position, cell_end))
        if next_delimiter == -1:
            break
        position = next_delimiter + 1
    return cells if len(cells) >= MIN_ROWS else None


def _short_cells(text: str, rows: Sequence[Sequence[tuple[int, int]]]) -> bool:
    cells = [text[a:b] for row in rows for a, b in row if b > a]
    return bool(cells) and max(len(c) for c in cells) <= MAX_CELL_CHARS


def _tabular(text: str, rows: Sequence[Sequence[tuple[int, int]]]) -> bool:
    """Short cells, not sentences split at their commas: no row ends a sentence, no cell goes on with "and"."""
    cells = [text[a:b] for row in rows for a, b in row if b > a]
    if not _short_cells(text, rows):
        return False
    if any(
        text[row[-1][0] : row[-1][1]].endswith((".", "!", "?")) for row in rows if row[-1][1] > row[-1][0]
    ):
        return False
    if any(_LIST_PROSE.match(c) for c in cells):
        return False
    return sum(len(c.split()) for c in cells) / len(cells) <= MAX_WORDS_PER_CELL / 2


def _looks_like_header(text: str, row: Sequence[tuple[int, int]]) -> bool:
    """Short labels, none a value (an e-mail, a number), two of them known field names (or one of a two
    column row that names a personal field: "Name,Role")."""
    values = [text[a:b] for a, b in row]
    if not all(v and _HAS_LETTER.search(v) and "@" not in v and not _DIGIT_RUN.search(v) for v in values):
        return False
    if any(len(v.split()) > MAX_HEADER_WORDS for v in values):
        return False
    return sum(field_kind(v) is not None for v in values) >= MIN_KNOWN_HEADERS


def _pipe_tables(text: str, lines: Sequence[Line]) -> Iterator[Table]:
    index = 0
    while index < len(lines):
        block: list[list[tuple[int, int]]] = []
        separator_at: int | None = None
        while index < len(lines):
            line = lines[index]
            if SEPARATOR_ROW.fullmatch(text, line.start, line.end) and "-" in text[line.start : line.end]:
                separator_at = len(block) if separator_at is None else separator_at
                index += 1
                continue
            cells = _pipe_cells(text, line)
            if cells is None:
                break
            block.append(cells)
            index += 1
        if len(block) >= MIN_ROWS or (block and separator_at == 1):
            if separator_at == 1 or (separator_at is None and _looks_like_header(text, block[0])):
                yield Table(block[0], block[1:])
            else:
                yield Table(None, block)
        if not block and separator_at is None:
            index += 1


def _delimited_tables(text: str, lines: Sequence[Line]) -> Iterator[Table]:
    index = 0
    while index < len(lines):
        best: tuple[int, list[list[tuple[int, int]]]] = (0, [])
        for delimiter in DELIMITERS:
            first = _delimited_cells(text, lines[index], delimiter)
            if first is None or "|" in text[lines[index].start : lines[index].end]:
                continue
            rows = [first]
            while index + len(rows) < len(lines):
                cells = _delimited_cells(text, lines[index + len(rows)], delimiter)
                if cells is None or len(cells) != len(first):
                    break
                rows.append(cells)
            if len(rows) > best[0]:
                best = (len(rows), rows)
        count, rows = best
        header = count >= MIN_ROWS and _looks_like_header(text, rows[0])
        # Without a header, a block is a table only if no row reads as prose, and a two-column comma block
        # ("Thanks, Anna" above "Regards, Bob") never is.
        narrow = (
            count >= MIN_ROWS
            and len(rows[0]) == MIN_ROWS
            and "," in text[lines[index].start : lines[index].end]
        )
        if header and _short_cells(text, rows):
            yield Table(rows[0], rows[1:])
            index += count
        elif count >= MIN_ROWS and not narrow and _tabular(text, rows):
            yield Table(None, rows)
            index += count
        else:
            index += 1


def find_tables(text: str, lines: Sequence[Line] | None = None) -> Iterator[Table]:
    lines = text_lines(text) if lines is None else lines
    yield from _pipe_tables(text, lines)
    yield from _delimited_tables(text, lines)


def _fail_closed(text: str, start: int, end: int) -> bool:
    """Mask a name column's cell whole: it holds letters, is short, and is neither a placeholder nor a role
    ("(Nurse)" beside a masked name, "Finance team")."""
    value = text[start:end]
    if not _HAS_LETTER.search(value) or len(value) > MAX_FAIL_CLOSED_CHARS or is_placeholder(value):
        return False
    return not (_BRACKETED.fullmatch(value) or name_evidence(value).has_role)


def _person_cell(
    text: str, cell: tuple[int, int], found: StructureFindings, recognizer: str, score: float
) -> None:
    names = names_in(text, cell[0], cell[1], strong=True)
    if names:
        found.add_all(names, PERSON, score, recognizer)
        return
    for start, end in outside_tokens(text, *cell):
        if _fail_closed(text, start, end):
            found.add(start, end, PERSON, score, recognizer)


def _column(table: Table, index: int) -> list[tuple[int, int]]:
    return [row[index] for row in table.rows if index < len(row) and row[index][1] > row[index][0]]


def _is_name_cell(text: str, cell: tuple[int, int]) -> bool:
    if is_token(text, *cell):
        return text[cell[0] : cell[0] + 8] == "<PERSON_"
    return any(plausible_in_text(text[a:b]) for a, b in outside_tokens(text, *cell))


def read_table(text: str, table: Table, found: StructureFindings) -> None:
    width = max(len(row) for row in [*table.rows, table.header or []]) if table.rows else 0
    for index in range(width):
        header = table.header[index] if table.header and index < len(table.header) else None
        kind = field_kind(text[header[0] : header[1]]) if header else None
        if header and kind is not None:
            # "Role", "Owner": a header is no person
            found.not_person.append(header)
        cells = _column(table, index)
        if kind == PERSON:
            for cell in cells:
                _person_cell(text, cell, found, "TableColumnRecognizer", SCORE_COLUMN)
        elif kind == NOT_PERSONAL:
            found.not_person.extend(cells)
        elif kind is not None:
            for cell in cells:
                for start, end in outside_tokens(text, *cell):
                    value = text[start:end]
                    if kind in _NEEDS_DIGITS and not any(c.isdigit() for c in value):
                        continue
                    if not is_placeholder(value):
                        found.add(start, end, kind, SCORE_COLUMN, "TableColumnRecognizer")
        else:
            name_cells = [c for c in cells if _is_name_cell(text, c)]
            if len(cells) >= MIN_ROWS and len(name_cells) >= NAME_COLUMN_SHARE * len(cells):
                for cell in cells:
                    found.add_all(
                        names_in(text, cell[0], cell[1], strong=True),
                        PERSON,
                        SCORE_INFERRED,
                        "TableColumnRecognizer",
                    )
            else:
                for cell in name_cells:
                    found.add_all(
                        names_in(text, cell[0], cell[1], strong=False),
                        PERSON,
                        SCORE_INFERRED,
                        "TableColumnRecognizer",
                    )
