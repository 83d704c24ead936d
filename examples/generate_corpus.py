"""Generate the synthetic demo corpus (examples/corpus) and its gold list of PII values.

Everything is Faker output with a fixed seed: no real person's data. Re-running rewrites the same
files byte for byte.

    python examples/generate_corpus.py
"""

from __future__ import annotations

import json
from pathlib import Path

from faker import Faker

SEED = 20261123
HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
GOLD = HERE / "corpus_gold.json"


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
    return docs, gold


def main() -> None:
    docs, gold = build()
    for relative, text in docs.items():
        path = CORPUS / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    GOLD.write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(docs)} documents to {CORPUS}")


if __name__ == "__main__":
    main()
