"""CSV, TSV and spreadsheet readers, and HTML and Word tables: one pipe table under the header, bounded like
the other readers, each bad file its own one-line failure. Synthetic data (Faker, fixed seeds)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from faker import Faker
from openpyxl import Workbook

from indexers.errors import SourceError
from indexers.readers import READERS, ReaderOptions
from indexers.readers.tables import cell_text, is_header, table_text
from indexers.sources import SkippedDocument, SourceDocument, SourceFile, read_documents

SOURCE_KEY = b"table-readers-test-key"


def hr_rows(seed: int, count: int) -> list[list[str]]:
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    return [
        [
            f"E{fake.random_number(5, fix_len=True)}",
            fake.first_name(),
            fake.last_name(),
            fake.email(),
            fake.job(),
        ]
        for _ in range(count)
    ]


def read_one(path: Path, options: ReaderOptions | None = None) -> SourceDocument | SkippedDocument:
    found = list(read_documents(SourceFile(path, path.parent), SOURCE_KEY, options))
    assert len(found) == 1
    return found[0]


def text_of(path: Path, options: ReaderOptions | None = None) -> str:
    document = read_one(path, options)
    assert isinstance(document, SourceDocument), getattr(document, "reason", "")
    return document.text


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_readers_are_registered() -> None:
    assert {".csv", ".tsv", ".xlsx", ".xlsm"} <= set(READERS)


def test_cell_text() -> None:
    assert cell_text(None) == "" and cell_text(4155550123.0) == "4155550123" and cell_text(True) == "TRUE"
    assert cell_text(datetime(2021, 3, 4)) == "2021-03-04" and cell_text(date(2021, 3, 4)) == "2021-03-04"
    assert cell_text("a | b\nc") == "a \\| b c"


def test_header_detection() -> None:
    assert is_header(["employee_id", "first_name", "email"]) and is_header(["Vorname", "Nachname"])
    assert not is_header(["Jane Doe", "jane@example.com"]) and not is_header(["E12345", "Anna"])
    assert table_text([["a", "b"]], ["Name", "Role"]) == "| Name | Role |\n| --- | --- |\n| a | b |"


@pytest.mark.parametrize(("suffix", "delimiter"), [(".csv", ","), (".csv", ";"), (".tsv", "\t")])
def test_delimited_files_become_one_pipe_table(tmp_path: Path, suffix: str, delimiter: str) -> None:
    rows = hr_rows(1, 12)
    header = ["employee_id", "first_name", "last_name", "email", "job_title"]
    text = text_of(write_csv(tmp_path / f"hr{suffix}", [header, *rows], delimiter))
    lines = text.splitlines()
    assert lines[0] == "| " + " | ".join(header) + " |" and lines[1].startswith("| --- |")
    assert len(lines) == 2 + len(rows)
    for row, line in zip(rows, lines[2:], strict=True):
        assert line == "| " + " | ".join(cell_text(c) for c in row) + " |"


def test_quoted_cells_with_delimiters_and_line_breaks(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "notes.csv", [["Name", "Notes"], ["Ana Ruiz", "called, twice\nthen wrote"]])
    assert text_of(path).splitlines()[-1] == "| Ana Ruiz | called, twice then wrote |"


def test_a_file_without_header_gets_an_empty_one(tmp_path: Path) -> None:
    rows = hr_rows(2, 3)
    lines = text_of(write_csv(tmp_path / "plain.csv", rows)).splitlines()
    assert lines[0] == "|" + "  |" * len(rows[0]) and len(lines) == 2 + len(rows)


def test_bounds_and_bad_files_are_one_line_each(tmp_path: Path) -> None:
    rows = hr_rows(3, 30)
    path = write_csv(tmp_path / "big.csv", [["Name", "Role", "x", "y", "z"], *rows])
    skipped = read_one(path, ReaderOptions(max_table_rows=10))
    assert isinstance(skipped, SkippedDocument) and "more than 10 rows" in skipped.reason
    skipped = read_one(path, ReaderOptions(max_table_cells=20))
    assert isinstance(skipped, SkippedDocument) and "cells" in skipped.reason
    broken = tmp_path / "broken.csv"
    broken.write_text('Name,Role\n"Ana Ruiz,Nurse\n', encoding="utf-8")
    skipped = read_one(broken)
    assert isinstance(skipped, SkippedDocument) and skipped.reason.startswith("malformed CSV")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Name\nJosé\n".encode("latin-1"))
    skipped = read_one(latin)
    assert isinstance(skipped, SkippedDocument) and "UTF-8" in skipped.reason


def write_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append(["employee_id", "first_name", "last_name", "hire_date", "salary"])
    sheet.append(["E10001", "Ana", "Ruiz", datetime(2020, 1, 31), 4155.0])
    sheet.append(["E10002", "Bo", "Lindqvist", datetime(2019, 6, 1), None])
    contacts = book.create_sheet("Contacts")
    contacts.append(["Contact Name", "Phone"])
    contacts.append(["Kai Ott", 4155550123])
    book.create_sheet("Empty")
    book.save(path)
    return path


def test_spreadsheet_sheets_in_order_with_values(tmp_path: Path) -> None:
    text = text_of(write_workbook(tmp_path / "team.xlsx"))
    assert text == (
        "Staff\n\n| employee_id | first_name | last_name | hire_date | salary |\n| --- | --- | --- | --- | --- |\n"
        "| E10001 | Ana | Ruiz | 2020-01-31 | 4155 |\n| E10002 | Bo | Lindqvist | 2019-06-01 |  |\n\n"
        "Contacts\n\n| Contact Name | Phone |\n| --- | --- |\n| Kai Ott | 4155550123 |"
    )


def test_hostile_spreadsheets_are_refused(tmp_path: Path) -> None:
    not_a_zip = tmp_path / "fake.xlsx"
    not_a_zip.write_bytes(b"PK\x03\x04 not really a zip")
    skipped = read_one(not_a_zip)
    assert isinstance(skipped, SkippedDocument) and "malformed spreadsheet" in skipped.reason
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (2 * 1024 * 1024))
    skipped = read_one(bomb, ReaderOptions(max_expanded_bytes=1024 * 1024))
    assert isinstance(skipped, SkippedDocument) and "decompression bomb" in skipped.reason
    wrong_parts = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(wrong_parts, "w") as archive:
        archive.writestr("hello.txt", "no workbook here")
    skipped = read_one(wrong_parts)
    assert isinstance(skipped, SkippedDocument) and "malformed spreadsheet" in skipped.reason
    path = write_workbook(tmp_path / "rows.xlsx")
    skipped = read_one(path, ReaderOptions(max_table_rows=2))
    assert isinstance(skipped, SkippedDocument) and "rows" in skipped.reason


def test_html_tables_keep_their_header(tmp_path: Path) -> None:
    page = tmp_path / "team.html"
    page.write_text(
        "<html><head><title>Team</title></head><body><p>Our team.</p><table><thead><tr><th>Employee</th>"
        "<th>Position</th></tr></thead><tbody><tr><td>Ana Ruiz</td><td>Nurse</td></tr><tr><td>Bo Li</td>"
        "<td>Head | Finance</td></tr></tbody></table><p>Thanks.</p></body></html>",
        encoding="utf-8",
    )
    assert text_of(page) == (
        "Our team.\n\n| Employee | Position |\n| --- | --- |\n| Ana Ruiz | Nurse |\n| Bo Li | Head \\| Finance |\n\n"
        "Thanks."
    )


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Before the table.")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [["Name", "Role"], ["Ana Ruiz", "Nurse"]], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("After the table.")
    path = tmp_path / "doc.docx"
    document.save(str(path))
    assert (
        text_of(path)
        == "Before the table.\n\n| Name | Role |\n| --- | --- |\n| Ana Ruiz | Nurse |\n\nAfter the table."
    )


def test_a_reader_error_names_no_value(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as raised:
        from indexers.readers.delimited import read_delimited

        broken = tmp_path / "broken.csv"
        broken.write_text('Name\n"Ana Ruiz\n', encoding="utf-8")
        list(read_delimited(broken, ReaderOptions()))
    assert "Ana" not in str(raised.value)
