"""The name lists and the evidence they give: what a capitalised word or phrase is, by the lists."""

from __future__ import annotations

import pytest
from faker import Faker

from masking.names.evidence import WordKind, name_evidence, plausible_in_field, plausible_in_text, word_kind
from masking.names.lists import common_words, fold, given_names, surnames
from masking.names.shape import is_name_shaped, name_words
from masking.names.vocabulary import is_placeholder, is_role_word


def test_lists_are_loaded_folded_and_large() -> None:
    assert len(given_names()) > 50_000 and len(surnames()) > 100_000 and len(common_words()) > 40_000
    assert {"maria", "mohammed", "aarav"} <= given_names()
    assert {"nguyen", "kowalski", "obrien"} <= surnames()
    # very common words held by few people are not listed as names
    assert not {"monday", "good", "role", "field"} & (given_names() | surnames())


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("O'Brien", "obrien"),
        ("Łukasz", "lukasz"),
        ("Müller", "muller"),
        ("Søren", "soren"),
        ("Jean-Luc", "jeanluc"),
    ],
)
def test_fold(word: str, folded: str) -> None:
    assert fold(word) == folded


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Deployments", WordKind.WORD),
        ("Manager", WordKind.WORD),
        # a job by its ending
        ("Dramatherapist", WordKind.WORD),
        # an acronym
        ("CFO", WordKind.WORD),
        ("the", WordKind.WORD),
        ("Kowalczyk", WordKind.NAME),
        ("Grace", WordKind.BOTH),
        # a surname and a job
        ("Baker", WordKind.BOTH),
        # "-kvist" is no job ending
        ("Blomkvist", WordKind.UNKNOWN),
        ("Ζαφείρης", WordKind.UNKNOWN),
        ("直子", WordKind.UNKNOWN),
    ],
)
def test_word_kind(word: str, kind: WordKind) -> None:
    assert word_kind(word) is kind


@pytest.mark.parametrize(
    "phrase",
    [
        "Jordán Yüksel",
        "Zsolt Fleszar",
        "Vítězslav da Costa",
        "Ζαφείρης Καρατάσου",
        "丽娟 冉",
        "Julian Baker",
        "Kevin O'Brien",
        "Panini Shetty-Yttehs",
        "DUPONT",
        "Rose",
    ],
)
def test_plausible_where_a_name_goes(phrase: str) -> None:
    assert plausible_in_field(phrase)


@pytest.mark.parametrize(
    "phrase",
    ["Head of Finance", "Account Manager", "Finance Team", "Board Meeting", "Deployments", "TBD", "N/A"],
)
def test_roles_and_common_words_are_no_names(phrase: str) -> None:
    assert not plausible_in_field(phrase)
    assert not plausible_in_text(phrase)


def test_in_text_needs_a_listed_name() -> None:
    assert plausible_in_text("Jordán Yüksel") and plausible_in_text("Grace Hill")
    # two unlisted words: only where a name goes
    assert not plausible_in_text("Zsolt Fleszar")
    assert not plausible_in_text("On Monday") and not plausible_in_text("New York")
    # one word
    assert not plausible_in_text("Grace")


def test_a_role_that_is_a_surname_after_a_given_name() -> None:
    assert not name_evidence("Julian Baker").has_role
    assert name_evidence("Head Nurse").has_role


def test_shape() -> None:
    for name in (
        "Anna van der Berg",
        "J. R. Doe",
        "McKenzie",
        "Jean-Pierre Dubois",
        "Rhonda Mac an Airchinnigh",
    ):
        assert is_name_shaped(name), name
    for text in ("anna berg", "Anna, Berg", "12 Main Street", "Anna & Berg"):
        assert not is_name_shaped(text), text
    assert name_words("Anna van der Berg") == ["Anna", "Berg"]


def test_vocabulary() -> None:
    assert is_role_word("Neurosurgeon") and is_role_word("sales") and is_role_word("GmbH")
    assert not is_role_word("Smith", known_name=True) and is_role_word("Locksmith")
    assert is_placeholder(" TBD ") and not is_placeholder("Tobias")


@pytest.mark.parametrize(
    "locale", ["de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "nl_NL", "sv_SE", "cs_CZ", "hu_HU"]
)
def test_faker_names_of_european_locales_are_plausible_where_a_name_goes(locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(7)
    names = [f"{fake.first_name()} {fake.last_name()}" for _ in range(100)]
    assert sum(plausible_in_field(n) for n in names) >= 97, [n for n in names if not plausible_in_field(n)]


@pytest.mark.parametrize("word", ["Aperiam", "Architecto", "Voluptatem", "Reiciendis"])
def test_placeholder_latin_is_no_name_but_a_listed_name_stays_one(word: str) -> None:
    assert name_evidence(word).vetoed
    assert not name_evidence("Laura").vetoed and not name_evidence("Nemo Okafor").vetoed
