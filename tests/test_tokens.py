"""Tokens: stable, well formed, unlinkable across documents, collision-free inside one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masking import tokens
from masking.tokens import TOKEN_PATTERN, TokenMinter, TokenScope, redaction_marker

KEY = b"k" * 32
entity_types = st.sampled_from(["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "STREET_ADDRESS"])
values = st.text(min_size=1, max_size=40)
doc_ids = st.text(alphabet="abcdef0123456789_-", min_size=1, max_size=20)


@given(doc_ids, entity_types, values)
def test_same_document_type_and_value_give_the_same_token_on_every_run(
    doc: str, kind: str, value: str
) -> None:
    first = TokenMinter(KEY, doc).token(kind, value)
    assert TokenMinter(KEY, doc).token(kind, value) == first


@given(doc_ids, doc_ids, entity_types, values)
def test_the_same_value_in_two_documents_gets_two_tokens(
    doc_a: str, doc_b: str, kind: str, value: str
) -> None:
    if doc_a == doc_b:
        return
    assert TokenMinter(KEY, doc_a).token(kind, value) != TokenMinter(KEY, doc_b).token(kind, value)


@given(doc_ids, doc_ids, entity_types, values)
def test_corpus_scope_links_the_same_value_across_documents(
    doc_a: str, doc_b: str, kind: str, value: str
) -> None:
    minted_a = TokenMinter(KEY, doc_a, TokenScope.CORPUS).token(kind, value)
    assert TokenMinter(KEY, doc_b, TokenScope.CORPUS).token(kind, value) == minted_a


@given(doc_ids, entity_types, values)
def test_tokens_are_well_formed(doc: str, kind: str, value: str) -> None:
    token = TokenMinter(KEY, doc).token(kind, value)
    match = TOKEN_PATTERN.fullmatch(token)
    assert match is not None
    assert match.group(1) == kind
    assert len(match.group(2)) == tokens.TOKEN_HEX_LENGTH


@given(doc_ids, st.lists(st.tuples(entity_types, values), min_size=2, max_size=30, unique=True))
def test_collisions_are_lengthened_deterministically(doc: str, pairs: list[tuple[str, str]]) -> None:
    """With 1-hex-char tokens collisions are certain; distinct values must still get distinct tokens,
    the same ones whatever order the values arrive in."""
    original = tokens.TOKEN_HEX_LENGTH
    tokens.TOKEN_HEX_LENGTH = 1
    try:
        forward, backward = TokenMinter(KEY, doc), TokenMinter(KEY, doc)
        forward.mint_all(pairs)
        backward.mint_all(reversed(pairs))
        minted = [forward.token(k, v) for k, v in pairs]
        assert len(set(minted)) == len(pairs)
        assert minted == [backward.token(k, v) for k, v in pairs]
    finally:
        tokens.TOKEN_HEX_LENGTH = original


def test_a_different_key_gives_different_tokens() -> None:
    assert TokenMinter(KEY, "d").token("PERSON", "jane doe") != TokenMinter(b"x" * 32, "d").token(
        "PERSON", "jane doe"
    )


def test_redaction_marker_and_type_validation() -> None:
    assert redaction_marker("US_SSN") == "<US_SSN>"
    assert TOKEN_PATTERN.fullmatch("<US_SSN>")
    with pytest.raises(ValueError, match="not a valid token type"):
        TokenMinter(KEY, "d").token("bad type", "x")
