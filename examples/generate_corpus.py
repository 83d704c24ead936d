"""Generate the synthetic demo corpus (examples/corpus) and its gold list of PII values.

Everything is Faker output with a fixed seed: no real person's data. Re-running rewrites the same
text and PDF files byte for byte (the DOCX zip stamps its own times; its content is the same).

    python examples/generate_corpus.py
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from faker import Faker

SEED = 20261123
HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
GOLD = HERE / "corpus_gold.json"
FIXED_DATE = datetime(2026, 11, 23, tzinfo=UTC)


def build() -> tuple[dict[str, str], dict[str, list[str]]]:
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
    Faker.seed(SEED)
    us, gb, de, fr = (fake[loc] for loc in ("en_US", "en_GB", "de_DE", "fr_FR"))
    docs: dict[str, str] = {}
    gold: dict[str, list[str]] = {}

    first, last = us.first_name(), us.last_name()
    email, phone, ssn = f"{first}.{last}@example.com".lower(), "+1 415 555 0132", us.ssn()
    address = (
        f"{us.building_number()} {us.street_name()} Street, {us.city()}, {us.state_abbr()} {us.zipcode()}"
    )
    docs["hr/offer_letter.txt"] = (
        f"Dear {first} {last},\n\nWe are pleased to offer you the position of data analyst. Please confirm by "
        f"e-mail to {email} or call us on {phone}.\n\nYour employee file lists your address as {address} "
        f"and your SSN as {ssn}. Mr {last} will start on 1 March.\n\n{last}, welcome aboard!\n"
    )
    gold["hr/offer_letter.txt"] = [f"{first} {last}", email, phone, ssn, address, last]

    name_gb, phone_gb, iban = gb.name(), "+44 20 7946 0958", gb.iban()
    card = "4111 1111 1111 1111"
    docs["support/ticket_1042.md"] = (
        f"# Ticket 1042\n\n**Customer:** {name_gb}\n\n> Hi, my card {card} was charged twice. "
        f"Refund to IBAN {iban} please. You can reach me at {phone_gb}.\n\n"
        f"Agent note: called {name_gb.split()[-1]} back, refund issued.\n"
    )
    gold["support/ticket_1042.md"] = [name_gb, card, iban, phone_gb]

    patient, dob, mrn = de.name(), "14.02.1979", f"{de.random_number(digits=7, fix_len=True)}"
    street = f"{de.street_name()} {de.building_number()}"
    docs["clinic/visit_note.txt"] = (
        f"Patient: {patient}\nDOB: {dob}\nMRN: {mrn}\nAddress: {street}, {de.postcode()} {de.city()}\n\n"
        f"The patient reports mild headaches. {patient.split()[-1]} was advised to rest; follow-up in two weeks.\n"
    )
    gold["clinic/visit_note.txt"] = [patient, dob, mrn, street]

    names = [fr.name() for _ in range(3)]
    docs["meetings/2026-10-minutes.md"] = (
        "## Minutes\n\n"
        f"Present: {names[0]}, {names[1]} and {names[2]}.\n\n"
        f"- {names[0].split()[-1]} presented the Q3 numbers.\n"
        f"- Action: {names[1]} to send the deck to {names[1].split()[0].lower()}@example.org.\n"
        f"- Server 10.20.30.40 is to be decommissioned; api_key = 'Xk29fLq83mZpQ7rT' must be rotated.\n"
    )
    gold["meetings/2026-10-minutes.md"] = [*names, "10.20.30.40", "Xk29fLq83mZpQ7rT"]

    docs["notes/no_pii.txt"] = "The quarterly roadmap focuses on search quality and ingestion throughput.\n"
    gold["notes/no_pii.txt"] = []

    name_html, email_html, tracker = us.name(), us.email(), us.email()
    docs["web/profile.html"] = (
        f"<html><head><title>Profile of {name_html}</title><style>p {{color: red}}</style>"
        f"<script>var owner = '{tracker}';</script></head><body><h1>Member profile</h1>"
        f"<p>{name_html} joined the community forum in 2024. Contact: {email_html}.</p></body></html>\n"
    )
    gold["web/profile.html"] = [name_html, email_html, tracker]

    records, record_gold = [], []
    for number in range(3):
        customer, phone_r = us.name(), f"+1 212 555 01{number:02d}"
        records.append(
            {
                "id": f"c-{1001 + number}",
                "text": f"Call from {customer} ({phone_r}) about invoice "
                f"{4000 + number}. {customer.split()[-1]} asked for a copy by post.",
            }
        )
        record_gold += [customer, phone_r]
    docs["crm/calls.jsonl"] = "".join(json.dumps(r) + "\n" for r in records)
    gold["crm/calls.jsonl"] = record_gold
    docs["exports/staff.csv"], gold["exports/staff.csv"] = staff_export()
    return docs, gold


def staff_export(seed: int = SEED) -> tuple[str, list[str]]:
    """An HR export as a spreadsheet writes it: names from four countries, their e-mails and phones."""
    fake = Faker(["en_GB", "de_DE", "pl_PL", "es_ES"])
    fake.seed_instance(seed)
    lines, gold = ["employee_id,first_name,last_name,email,phone,department,manager"], []
    people = [(fake.first_name(), fake.last_name()) for _ in range(6)]
    for number, (first, last) in enumerate(people):
        email, phone = f"e{1001 + number}@example.com", f"+44 20 7946 01{number:02d}"
        manager = " ".join(people[(number + 1) % len(people)])
        department = ("Finance", "Sales", "Legal")[number % 3]
        lines.append(f"E{1001 + number},{first},{last},{email},{phone},{department},{manager}")
        gold += [first, last, email, phone]
    return "\n".join(lines) + "\n", gold


def binary_documents(seed: int = SEED) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """A PDF and a DOCX (titles that name the person too: metadata is masked like text)."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    name_pdf, email_pdf, phone_pdf = fake.name(), fake.email(), "+44 161 496 0754"
    name_docx, address_docx = fake.name(), f"{fake.building_number()} {fake.street_name()}"
    pdf_text = (
        f"Contract amendment for {name_pdf}.\nThe contractor can be reached at {email_pdf} or {phone_pdf}.\n"
        "The amendment extends the term by twelve months."
    )
    docx_lines = [
        f"Escalation summary for {name_docx}",
        f"{name_docx} reported that deliveries to {address_docx} failed twice in October.",
        "The courier has been asked to confirm the next slot.",
    ]
    files = {
        "legal/contract_amendment.pdf": _pdf(pdf_text, title=f"Amendment {name_pdf}"),
        "support/escalation.docx": _docx(docx_lines, title=f"Escalation {name_docx}"),
    }
    gold = {
        "legal/contract_amendment.pdf": [name_pdf, email_pdf, phone_pdf],
        "support/escalation.docx": [name_docx, address_docx],
    }
    return files, gold


def _pdf(text: str, title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _docx(lines: list[str], title: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.created = FIXED_DATE
    document.core_properties.modified = FIXED_DATE
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> None:
    docs, gold = build()
    files, binary_gold = binary_documents()
    gold |= binary_gold
    for relative, text in docs.items():
        path = CORPUS / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for relative, data in files.items():
        path = CORPUS / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    GOLD.write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(docs) + len(files)} files to {CORPUS}")


if __name__ == "__main__":
    main()
