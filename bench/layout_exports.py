"""The export layout families of bench/layouts.py (HR and CRM exports as CSV and TSV, spreadsheets, HTML
tables, pasted CSV), written as files; and the corpus of every family."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from bench.layout_families import (
    Builder,
    Document,
    email_thread,
    form,
    letter,
    markdown_table,
    minutes,
    role_lines,
)
from bench.layout_names import (
    DEPARTMENTS,
    FAKER_LOCALES,
    FILLER,
    HELD_OUT_SEED,
    MIMESIS_LOCALES,
    OPENERS,
    TUNING_SEED,
    FakerSource,
    Gold,
    MimesisSource,
    NameSource,
)

HR_HEADERS = (
    ("employee_id", "first_name", "last_name", "email", "phone", "department", "job_title", "hire_date", "manager"),
    ("Personalnummer", "Vorname", "Nachname", "E-Mail", "Telefon", "Abteilung", "Funktion", "Eintritt", "Vorgesetzter"),
)  # fmt: skip


CRM_HEADERS = (
    ("Account", "Contact Name", "Contact Email", "Phone", "Account Owner", "Stage", "Amount"),
    ("Société", "Interlocuteur", "Adresse e-mail", "Téléphone", "Commercial", "Étape", "Montant"),
)  # fmt: skip


def _hr_rows(src: NameSource, v: int, count: int) -> tuple[list[list[str]], list[Gold]]:
    people = [src.person() for _ in range(count)]
    rows, gold = [], []
    for index, person in enumerate(people):
        boss = people[(index * 7 + 3) % count]
        rows.append(
            [
                f"E{src.number(10000, 99999)}",
                person.given,
                person.surname,
                person.email,
                person.phone,
                src.choice(DEPARTMENTS[v]),
                person.role,
                f"20{src.number(10, 24)}-0{src.number(1, 9)}-1{src.number(0, 9)}",
                boss.name,
            ]
        )
        gold += [
            Gold(rows[-1][0], "ACCOUNT_NUMBER"),
            Gold(person.given, "PERSON"),
            Gold(person.surname, "PERSON"),
            Gold(person.email, "EMAIL_ADDRESS"),
            Gold(person.phone, "PHONE_NUMBER"),
            Gold(boss.name, "PERSON"),
        ]
    return rows, gold


def _crm_rows(src: NameSource, v: int, count: int) -> tuple[list[list[str]], list[Gold]]:
    rows, gold = [], []
    owners = [src.person() for _ in range(3)]
    for _ in range(count):
        contact, owner = src.person(), src.choice(owners)
        rows.append(
            [
                src.company(),
                contact.name,
                contact.email,
                contact.phone,
                owner.name,
                src.choice(("Prospect", "Negotiation", "Closed won", "Closed lost")),
                f"{src.number(1, 900)}00",
            ]
        )
        gold += [
            Gold(contact.name, "PERSON"),
            Gold(contact.email, "EMAIL_ADDRESS"),
            Gold(contact.phone, "PHONE_NUMBER"),
            Gold(owner.name, "PERSON"),
        ]
    return rows, gold


def _delimited(headers: Sequence[str], rows: Sequence[Sequence[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def hr_export(src: NameSource, v: int) -> Document:
    rows, gold = _hr_rows(src, v, src.number(8, 30))
    name, delimiter = (("hr_export.csv", ","), ("personal.csv", ";"))[v]
    return Document("csv_export", name, _delimited(HR_HEADERS[v], rows, delimiter), gold)


def crm_export(src: NameSource, v: int) -> Document:
    rows, gold = _crm_rows(src, v, src.number(8, 30))
    name, delimiter = (("crm_contacts.tsv", "\t"), ("pipeline.csv", ","))[v]
    return Document("csv_export", name, _delimited(CRM_HEADERS[v], rows, delimiter), gold)


def spreadsheet(src: NameSource, v: int) -> Document:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ("Staff", "Kontakte")[v]
    hr_rows, hr_gold = _hr_rows(src, v, src.number(5, 15))
    sheet.append(list(HR_HEADERS[v]))
    for row in hr_rows:
        sheet.append(row)
    crm = book.create_sheet(("Customers", "Clients")[v])
    crm_rows, crm_gold = _crm_rows(src, v, src.number(5, 15))
    crm.append(list(CRM_HEADERS[v]))
    for row in crm_rows:
        crm.append(row)
    out = io.BytesIO()
    book.save(out)
    return Document("spreadsheet", ("team.xlsx", "export.xlsx")[v], out.getvalue(), hr_gold + crm_gold)


def html_table(src: NameSource, v: int) -> Document:
    people = [src.person() for _ in range(src.number(4, 10))]
    headers = (("Employee", "Position", "Email"), ("Ansprechpartner", "Rolle", "Kontakt"))[v]
    cells = "".join(f"<th>{h}</th>" for h in headers)
    rows, gold = [], []
    for person in people:
        rows.append(f"<tr><td>{person.name}</td><td>{person.role}</td><td>{person.email}</td></tr>")
        gold += [Gold(person.name, "PERSON"), Gold(person.email, "EMAIL_ADDRESS")]
    intro = src.choice(OPENERS[v])
    page = (
        f"<html><head><title>Team</title></head><body><h1>Team</h1><p>{intro}</p>"
        f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p>{src.choice(FILLER[v])}</p></body></html>"
    )
    return Document("html_table", "team.html", page.encode(), gold)


def pasted_csv(src: NameSource, v: int) -> Document:
    """A CSV or TSV pasted into a text file, as in a ticket or a notes file."""
    people = [src.person() for _ in range(src.number(3, 6))]
    doc = Builder().text(f"{src.choice(OPENERS[v])} Export below.\n\n")
    delimiter = (",", "\t")[v]
    doc.text(delimiter.join(("Name", "Role", "Year") if v == 0 else ("Contact", "Team", "Since")) + "\n")
    for person in people:
        doc.value(person.name).text(
            f"{delimiter}{person.role.replace(',', '') if v == 0 else src.choice(DEPARTMENTS[v])}"
        )
        doc.text(f"{delimiter}{src.number(2001, 2024)}\n")
    doc.text(f"\n{src.choice(FILLER[v])}\n")
    return doc.document("pasted_csv", "ticket.txt")


FAMILIES: dict[str, Callable[[NameSource, int], Document]] = {
    "minutes": minutes, "email": email_thread, "markdown_table": markdown_table, "role_lines": role_lines,
    "letter": letter, "form": form, "hr_export": hr_export, "crm_export": crm_export, "spreadsheet": spreadsheet,
    "html_table": html_table, "pasted_csv": pasted_csv,
}  # fmt: skip


def generate(split: str, count: int, families: Sequence[str] = tuple(FAMILIES)) -> list[Document]:
    """``count`` documents of the split, ``families`` and locales in turn."""
    variant, base = (0, TUNING_SEED) if split == "tuning" else (1, HELD_OUT_SEED)
    locales = FAKER_LOCALES if variant == 0 else MIMESIS_LOCALES
    made = []
    for index in range(count):
        family = families[index % len(families)]
        locale = locales[(index * 7 + index // len(families)) % len(locales)]
        source: NameSource = (
            FakerSource(locale, base + index) if variant == 0 else MimesisSource(locale, base + index)
        )
        made.append(FAMILIES[family](source, variant))
    return made
