"""The given-name recognizer: a given name the NER model mislabels (or misses) is a person where the
evidence corroborates it, with hand-labelled NER output and with the real model."""

from __future__ import annotations

import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts

from masking.detector import Detector
from masking.policy import load_policy
from masking.recognizers.given_names import GivenNameRecognizer


def _artifacts(text: str, entities: list[tuple[str, str]]) -> NlpArtifacts:
    """A tokenised text with the NER labels given (so the guards are tested whatever the model says)."""
    nlp = spacy.blank("en")
    doc = nlp(text)
    spans = []
    for value, label in entities:
        start = text.index(value)
        entity = doc.char_span(start, start + len(value), label=label)
        assert entity is not None, value
        spans.append(entity)
    doc.ents = spans
    return NlpArtifacts(
        entities=list(doc.ents),
        tokens=doc,
        tokens_indices=[],
        lemmas=[],
        # the recognizer reads only the tokens
        nlp_engine=None,
        language="en",
    )


def test_a_given_name_mislabelled_by_the_ner_model_is_a_person() -> None:
    recognizer = GivenNameRecognizer()

    def people(text: str, entities: list[tuple[str, str]]) -> list[str]:
        return [
            text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"], _artifacts(text, entities))
        ]

    assert people("Why is Rebecca so quiet today?", [("Rebecca", "GPE")]) == ["Rebecca"]
    assert people("the assistant to Crystal Moreno, and", [("Crystal Moreno", "ORG")]) == ["Crystal Moreno"]
    # a place after "in"
    assert people("She lives in Florence.", [("Florence", "GPE")]) == []
    # a place after "to"
    assert people("He moved to Florence.", [("Florence", "GPE")]) == []
    assert people("Talk to Florence today.", [("Florence", "ORG")]) == ["Florence"]
    # a common word alone proves nothing
    assert people("We Hope so.", [("Hope", "ORG")]) == []
    # a company word
    assert people("Scott Holdings reported.", [("Scott Holdings", "ORG")]) == []
    # not a given name
    assert people("Invoices from Acme.", [("Acme", "ORG")]) == []
    # the NER model's own persons stay its
    assert people("Mary Smith said.", [("Mary Smith", "PERSON")]) == []


def test_given_name_corroboration_with_the_real_model() -> None:
    spans = Detector(load_policy()).detect("Why is Rebecca so quiet today?")
    assert any(s.entity_type == "PERSON" and (s.start, s.end) == (7, 14) for s in spans)
