"""The prose layout families of bench/layouts.py (minutes, e-mail threads, Markdown tables, role lines,
letters, forms), each in two variants: 0 for tuning, 1 held out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.documents import DocumentBuilder
from bench.layout_names import DEPARTMENTS, FILLER, OPENERS, STATUSES, Gold, NameSource, Person


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
