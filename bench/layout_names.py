"""Where bench/layouts.py takes its people from: Faker (the tuning split) or Mimesis (the held-out split),
in many locales, with titles, particles and e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
