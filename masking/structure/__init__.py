"""Structure-aware detection over a whole document: tables read by column, label and role lines, e-mail
headers and signatures.

These recognizers read a document's layout, which Presidio's recognizers (one window of text at a time)
cannot: a table's header may be thousands of characters above its rows. They run once per document, on
its whole text, beside Presidio's analysis (masking.detector), and report spans to mask and ranges where
no person is (``StructureFindings.not_person``: a role column, a role in brackets). Each recognizer is a
function ``(text, lines, findings) -> None``; ``STRUCTURE_RECOGNIZERS`` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from masking.structure.labels import read_label_line, read_named_roles, read_role_line
from masking.structure.lines import Line, text_lines
from masking.structure.mail import read_address_header, read_quote_headers, read_signatures
from masking.structure.result import StructureFindings
from masking.structure.tables import find_tables, read_table

StructureRecognizer = Callable[[str, Sequence[Line], StructureFindings], None]


def tables(text: str, lines: Sequence[Line], found: StructureFindings) -> None:
    for table in find_tables(text, lines):
        read_table(text, table, found)


def line_layouts(text: str, lines: Sequence[Line], found: StructureFindings) -> None:
    for line in lines:
        if line.end == line.start:
            continue
        if read_address_header(text, line, found) or read_label_line(text, line, found):
            continue
        read_role_line(text, line, found)


def sentences(text: str, lines: Sequence[Line], found: StructureFindings) -> None:
    read_named_roles(text, found)
    read_quote_headers(text, found)


def signatures(text: str, lines: Sequence[Line], found: StructureFindings) -> None:
    read_signatures(text, lines, found)


STRUCTURE_RECOGNIZERS: list[StructureRecognizer] = [tables, line_layouts, sentences, signatures]


def find_structure(
    text: str, recognizers: Sequence[StructureRecognizer] = STRUCTURE_RECOGNIZERS
) -> StructureFindings:
    """What the layout of ``text`` says: spans to mask, ranges where no person is."""
    found = StructureFindings()
    lines = text_lines(text)
    for recognizer in recognizers:
        recognizer(text, lines, found)
    return found


__all__ = ["STRUCTURE_RECOGNIZERS", "StructureFindings", "StructureRecognizer", "find_structure"]
