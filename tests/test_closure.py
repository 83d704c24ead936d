"""Closure (invariant 9): the masker reads its own output again and masks what it finds there, so that
ragmask's own audit finds nothing in what the masker wrote. Synthetic data only (Faker, fixed seeds)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import PatternRecognizer

from bench.layout_exports import generate
from bench.layout_scoring import read_text
from bench.synthetic import synthetic_paragraphs
from masking import Masker, MaskingKeys, TextDocument, load_policy
from masking.closure import EditMap, closure_regions, token_neighbours
from masking.detector_config import DetectorConfig
from masking.edit_plan import splice
from tests.conftest import TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())


def neighbours(masked: str) -> list[str]:
    return [masked[a:b] for a, b in token_neighbours(masked)]


def test_a_name_part_beside_a_person_token_is_found() -> None:
    assert neighbours("Owner - Ilona <PERSON_1a2b3c4d>\n") == ["Ilona"]
    assert neighbours("<PERSON_1a2b3c4d> Lantz signed.") == ["Lantz"]
    assert neighbours("Dear <PERSON_1a2b3c4d>, Dr <PERSON_0a0b0c0d> and Monday <PERSON_99887766>") == []
    # only beside a person's token
    assert neighbours("Ilona <EMAIL_ADDRESS_1a2b3c4d>") == []


def test_regions_are_sentences_with_a_capitalised_word_that_may_be_a_name() -> None:
    masked = (
        "The report is late. We met with Zsolt at the office.\n"
        "| <PERSON_1a2b3c4d> | Nurse |\nCall <PHONE_NUMBER_1a2b3c4d> before Friday."
    )
    assert [masked[a:b].strip() for a, b in closure_regions(masked)] == ["We met with Zsolt at the office."]


@st.composite
def edited_texts(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(st.text(alphabet="abc de\n", min_size=1, max_size=80))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=10))))
    edits, position = [], 0
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start >= position and end > start:
            edits.append((start, end, f"<PERSON_{draw(st.integers(0, 2**32 - 1)):08x}>"))
            position = end
    return text, edits


@settings(max_examples=200, deadline=None)
@given(edited_texts())
def test_every_position_outside_a_token_maps_back_to_its_original(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, edits = case
    masked, mapping = splice(text, edits), EditMap(edits)
    for position in range(len(masked) + 1):
        token = mapping.token_at(position)
        if token is not None and token[0] < position:
            continue
        original = mapping.original(position)
        if position < len(masked) and token is None:
            assert masked[position] == text[original]


def test_the_given_name_beside_a_masked_surname_takes_its_token() -> None:
    # the surname alone is what the first pass finds (a deny list stands in for a detector that saw only it)
    surname_only = PatternRecognizer(supported_entity="PERSON", deny_list=["Lantz"], name="SurnameOnly")
    masker = Masker(KEYS, load_policy("default"), extra_recognizers=[surname_only])
    result = masker.mask("doc_closure", "Escalation: Ilona Lantz\n\nLantz agreed to the plan.\n")
    masked = result.masked_text or ""
    assert "Ilona" not in masked and "Lantz" not in masked
    token = masked.split("Escalation: ")[1].split("\n")[0]
    # "Ilona Lantz" is one value, and the surname alone is that person's too
    assert token.startswith("<PERSON_") and masked == f"Escalation: {token}\n\n{token} agreed to the plan.\n"


def test_what_the_masker_writes_audits_clean() -> None:
    """The audit's detector (closure off, as `ragmask audit` has it) over each masked document finds nothing."""
    documents = generate("tuning", 33)
    with tempfile.TemporaryDirectory() as folder:
        texts = [read_text(d, Path(folder)) for d in documents]
    texts += ["".join(p for p, _ in synthetic_paragraphs(6, seed=seed)) for seed in range(8)]
    masker = Masker(KEYS, load_policy("default"))
    auditor = Masker(
        MaskingKeys(b"an-audit-throws-its-tokens-away"),
        load_policy("default"),
        detector_config=DetectorConfig(closure_rounds=0),
    )
    masked = masker.mask_many([TextDocument(f"doc_{i}", t) for i, t in enumerate(texts)])
    audited = auditor.mask_many(
        [TextDocument(f"audit_{i}", m.masked_text or "") for i, m in enumerate(masked)]
    )
    found = {
        i: [(s.entity_type, m.masked_text[s.start : s.end]) for s in a.spans]
        for i, (m, a) in enumerate(zip(masked, audited, strict=True))
        if a.spans and m.masked_text
    }
    assert found == {}
    assert masker.clock.seconds["closure"] > 0
