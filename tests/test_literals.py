"""The trie pattern behind propagation: it matches exactly the literals it was built from."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from masking.literals import literal_key, literal_union

words = st.text(alphabet="abcAB .-'é", min_size=1, max_size=8).filter(lambda w: w.strip())


def full_match(literals: list[str], candidate: str, *, ignore_case: bool) -> bool:
    union = literal_union(literals, ignore_case=ignore_case)
    assert union is not None
    return re.fullmatch(union, candidate, re.IGNORECASE if ignore_case else 0) is not None


@given(st.lists(words, min_size=1, max_size=30), st.booleans())
def test_every_literal_matches_and_finds_its_key(literals: list[str], ignore_case: bool) -> None:
    keys = {literal_key(w, ignore_case=ignore_case) for w in literals}
    for literal in literals:
        assert full_match(literals, literal.strip(), ignore_case=ignore_case)
        assert literal_key(literal, ignore_case=ignore_case) in keys


@given(st.lists(words, min_size=1, max_size=30), words)
def test_nothing_else_matches(literals: list[str], other: str) -> None:
    keys = {literal_key(w, ignore_case=False) for w in literals}
    other = other.strip()
    assert full_match(literals, other, ignore_case=False) == (literal_key(other, ignore_case=False) in keys)


def test_longest_literal_wins_and_white_space_runs_match() -> None:
    union = literal_union(["Ann", "Ann Lee", "Anna"], ignore_case=False)
    assert union is not None
    assert (found := re.match(union, "Ann \n  Lee")) is not None
    assert found.group() == "Ann \n  Lee"
    assert (found := re.match(union, "Annabel")) is not None
    assert found.group() == "Anna"
    assert literal_union([" ", ""], ignore_case=True) is None


def test_ten_thousand_literals_compile_and_match() -> None:
    literals = [f"name{i:05d} surname{i % 97}" for i in range(10_000)]
    union = literal_union(literals, ignore_case=True)
    assert union is not None
    pattern = re.compile(rf"(?<!\w)(?:{union})(?!\w)", re.IGNORECASE)
    text = " and ".join(literals[::1000]).upper()
    assert len(pattern.findall(text)) == 10
