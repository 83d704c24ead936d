"""spaCy's matrix products through NumPy's BLAS (masking/matrix_products.py): where they go, on how
many threads, and that the entities found do not change."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from faker import Faker
from threadpoolctl import threadpool_info, threadpool_limits

from masking.detector import Detection, Detector
from masking.nlp import load_nlp_engine
from masking.policy import load_policy


def blis_flags(numpy_blas: bool) -> list[bool]:
    """Each node of the NER model: does it multiply with thinc's BLIS?"""
    nlp = load_nlp_engine(numpy_blas=numpy_blas).nlp["en"]  # type: ignore[index]
    return [bool(getattr(node.ops, "use_blis", False)) for node in nlp.get_pipe("ner").model.walk()]


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_ragmask_s_model_multiplies_through_numpy_and_the_presidio_baseline_through_blis() -> None:
    ours, baseline = blis_flags(numpy_blas=True), blis_flags(numpy_blas=False)
    assert len(ours) == len(baseline) > 10
    assert all(baseline)
    # The transition model's last layer is built inside thinc with its own ops, whatever is current.
    assert sum(ours) <= 1


def test_detection_holds_numpy_s_blas_to_one_thread_and_gives_the_threads_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[set[int]] = []
    detect_groups = Detector._detect_groups

    def observed(self: Detector, texts: Sequence[str], found: list[Detection]) -> None:
        seen.append(blas_threads())
        detect_groups(self, texts, found)

    monkeypatch.setattr(Detector, "_detect_groups", observed)
    detector = Detector(load_policy())
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        spans = detector.detect("Please call Rebecca Holt on 415-555-0134 before Friday.")
        after = blas_threads()
    assert spans
    assert seen == [{1}]
    assert before == after == {2}


def test_both_backends_find_the_same_entities(fake: Faker) -> None:
    ours = load_nlp_engine(numpy_blas=True).nlp["en"]  # type: ignore[index]
    baseline = load_nlp_engine(numpy_blas=False).nlp["en"]  # type: ignore[index]
    texts = [
        f"{fake.name()} moved from {fake.city()} to {fake.address()} on {fake.date()}. "
        f"{fake.paragraph(nb_sentences=4)} Ask {fake.first_name()} at {fake.company()}."
        for _ in range(60)
    ]
    found = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in ours.pipe(texts)]
    expected = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in baseline.pipe(texts)]
    assert sum(map(len, expected)) > 100
    assert found == expected
