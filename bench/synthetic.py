"""Synthetic text with known PII for the benchmarks: Faker with a fixed seed, no real person's data.

Each paragraph mentions a person, their e-mail, street address and phone number; the values are
returned with the text, so a benchmark can check that none of them survives masking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from faker import Faker

SEED = 20261123
LOCALES = ("en_US", "en_GB")


@dataclass
class SyntheticText:
    text: str
    # type -> values written into the text
    values: dict[str, set[str]] = field(default_factory=dict)


def _paragraph(fake: Faker) -> tuple[str, dict[str, str]]:
    person, email = fake.name(), fake.email()
    address, phone = f"{fake.street_address()}, {fake.city()}", fake.phone_number()
    text = (
        f"{fake.paragraph(nb_sentences=3)} {person} wrote to {email} from {address}. "
        f"Call {phone} before Friday. {fake.paragraph(nb_sentences=2)} "
        f"{person.split()[-1]} agreed.\n\n"
    )
    return text, {"PERSON": person, "EMAIL_ADDRESS": email, "STREET_ADDRESS": address, "PHONE_NUMBER": phone}


def iter_paragraphs(seed: int = SEED) -> Iterator[tuple[str, dict[str, str]]]:
    """Paragraphs without end, the same sequence for the same seed."""
    fake = Faker(list(LOCALES))
    fake.seed_instance(seed)
    while True:
        yield _paragraph(fake)


def synthetic_paragraphs(count: int, seed: int = SEED) -> list[tuple[str, dict[str, str]]]:
    return list(islice(iter_paragraphs(seed), count))


def synthetic_text(chars: int, distinct_paragraphs: int = 2000, seed: int = SEED) -> SyntheticText:
    """About ``chars`` characters; paragraphs repeat after ``distinct_paragraphs`` (a long document
    mentions the same people again), so generating 50 MB stays quick."""
    pool = synthetic_paragraphs(distinct_paragraphs, seed)
    pieces: list[str] = []
    values: dict[str, set[str]] = {}
    length = 0
    index = 0
    while length < chars:
        text, found = pool[index % len(pool)]
        pieces.append(text)
        length += len(text)
        if index < len(pool):
            for kind, value in found.items():
                values.setdefault(kind, set()).add(value)
        index += 1
    return SyntheticText("".join(pieces), values)
