"""Chunking invariants with the embedding model's own tokenizer: no token split, no chunk too long."""

from __future__ import annotations

import re
from functools import lru_cache

from hypothesis import example, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from indexers.chunking import MAX_HEADER_SHARE, Chunker, find_tables, tokens_in
from indexers.embedding_models import resolve_model_path
from masking.tokens import TOKEN_PATTERN

MAX_TOKENS = 40


@lru_cache(maxsize=1)
def tokenizer() -> PreTrainedTokenizerBase:
    loaded: PreTrainedTokenizerBase = AutoTokenizer.from_pretrained(resolve_model_path("all-MiniLM-L6-v2"))
    # counting long texts, not feeding the model
    loaded.model_max_length = 10**9
    return loaded


def count(text: str) -> int:
    return len(tokenizer().tokenize(text))


masking_tokens = st.builds(
    lambda kind, digest: f"<{kind}_{digest}>",
    st.sampled_from(["PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS"]),
    st.text(alphabet="0123456789abcdef", min_size=8, max_size=12),
)
words = st.one_of(
    st.text(alphabet="abcdefghij", min_size=1, max_size=12),
    # runs with no space, angle brackets
    st.text(alphabet="abcxyz<>_-.", min_size=1, max_size=60),
    st.just("\n\n"),
    st.just(". "),
    masking_tokens,
)
masked_texts = st.lists(st.tuples(words, st.sampled_from([" ", "", "\n", ", "])), max_size=120).map(
    lambda parts: "".join(w + sep for w, sep in parts)
)


def token_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]


@settings(max_examples=150, deadline=None)
@given(masked_texts, st.integers(min_value=0, max_value=8))
# CI found it: the last chunk "a" was located inside the previous chunk's token (offsets, not text)
@example(".  a aaaa aaaaaa .  .  bhb <<, <EMAIL_ADDRESS_0a021061> <EMAIL_ADDRESS_0a61a000>\na ", 0)
@example(
    ".  a a a bhbdjbd <EMAIL_ADDRESS_0a000000061a>\n<EMAIL_ADDRESS_0a000000061a>\n< ",
    0,
    # repeated text
)
def test_no_chunk_splits_a_token_or_exceeds_the_limit(text: str, overlap: int) -> None:
    chunks = Chunker(count, MAX_TOKENS, overlap).chunk(text)
    for chunk in chunks:
        assert count(chunk.text) <= MAX_TOKENS
        assert chunk.heading + text[chunk.start : chunk.end] == chunk.text
        for start, end in token_spans(text):
            inside = chunk.start <= start and end <= chunk.end
            apart = end <= chunk.start or chunk.end <= start
            assert inside or apart, "a chunk boundary cuts a masking token"
    covered = "".join(re.sub(r"\s+", "", c.text) for c in chunks)
    for token in tokens_in(text):
        # nothing dropped
        assert token in covered


def test_real_limit_of_the_default_model_and_overlap() -> None:
    sentence = "The <PERSON_0123abcd> account was reviewed by the team on Monday. "
    chunks = Chunker(count, 254, 32).chunk(sentence * 200)
    assert len(chunks) > 5
    assert max(count(c.text) for c in chunks) <= 254
    # consecutive chunks overlap
    assert chunks[1].start < chunks[0].end


def test_bad_sizes_are_refused() -> None:
    for size, overlap in ((4, 0), (40, 20), (40, -1)):
        try:
            Chunker(count, size, overlap)
        except ValueError:
            continue
        raise AssertionError(f"size {size}, overlap {overlap} accepted")


@settings(max_examples=60, deadline=None)
@given(masked_texts, st.integers(min_value=0, max_value=8))
def test_each_text_is_counted_once_per_document(text: str, overlap: int) -> None:
    asked: list[str] = []

    def recording(piece: str) -> int:
        asked.append(piece)
        return count(piece)

    chunks = Chunker(recording, MAX_TOKENS, overlap).chunk(text)
    # the splitter's second measurement of a split is not a second count
    assert len(asked) == len(set(asked))
    assert [c.token_count for c in chunks] == [count(c.text) for c in chunks]


cells = st.one_of(
    st.text(alphabet="abcdefgh ", min_size=1, max_size=10).map(str.strip).filter(bool), masking_tokens
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A pipe table (header, separator, rows) and its header line."""
    width = draw(st.integers(min_value=2, max_value=4))
    header = (
        "| "
        + " | ".join(
            draw(
                st.lists(st.sampled_from(["Name", "Role", "E-mail", "Notes"]), min_size=width, max_size=width)
            )
        )
        + " |"
    )
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=30))
    lines = [header, "|" + " --- |" * width, *("| " + " | ".join(r) + " |" for r in rows)]
    return "\n".join(lines), lines


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(masked_texts, tables()), min_size=1, max_size=4), st.integers(min_value=0, max_value=8)
)
def test_tables_are_cut_between_rows_under_their_header(
    parts: list[str | tuple[str, list[str]]], overlap: int
) -> None:
    text = "\n\n".join(p if isinstance(p, str) else p[0] for p in parts)
    chunks = Chunker(count, MAX_TOKENS, overlap).chunk(text)
    found = find_tables(text)
    for chunk in chunks:
        assert count(chunk.text) <= MAX_TOKENS
        assert chunk.heading + text[chunk.start : chunk.end] == chunk.text
        for table in found:
            if table.body <= chunk.start < table.end and chunk.heading:
                # a chunk of rows: whole rows, under the table's own header
                assert chunk.heading == text[table.start : table.body]
                assert text[chunk.start - 1] == "\n" and (chunk.end == table.end or text[chunk.end] == "\n")
    for table in found:
        rows = text[table.body : table.end].rstrip("\n").split("\n")
        table_chunks = [c for c in chunks if table.start <= c.start < table.end]
        header = text[table.start : table.body]
        # a header that leaves the rows too little room is chunked as text
        if count(header) <= MAX_TOKENS * MAX_HEADER_SHARE and all(
            count(header + row) <= MAX_TOKENS for row in rows
        ):
            # every row in exactly one chunk, every chunk headed by the header
            assert sum(c.text.count("\n| ") for c in table_chunks) >= len(rows)
            assert all(c.text.startswith(text[table.start : table.body]) for c in table_chunks)


def test_a_long_table_is_cut_into_headed_chunks() -> None:
    rows = [f"| <PERSON_{i:08x}> | <EMAIL_ADDRESS_{i:08x}> | Nurse |" for i in range(40)]
    text = "The roster:\n\n| Name | E-mail | Role |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n\nThe end."
    chunks = Chunker(count, 120, 16).chunk(text)
    table_chunks = [c for c in chunks if "<PERSON_" in c.text]
    assert len(table_chunks) > 3
    for chunk in table_chunks:
        assert chunk.text.startswith("The roster:\n\n| Name | E-mail | Role |\n| --- | --- | --- |\n")
    assert [r for r in rows if not any(r in c.text for c in table_chunks)] == []
    assert chunks[-1].text == "The end."
