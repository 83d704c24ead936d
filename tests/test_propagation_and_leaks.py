"""Document-level propagation with its guards, and the independent leak check."""

from __future__ import annotations

from faker import Faker

from masking import Masker
from masking.entities import DetectedSpan
from masking.leak_check import leak_check
from masking.propagation import coordinated_persons, is_usable_variant, name_variants, propagate
from masking.spans import resolve_overlaps


def person(text: str, value: str) -> DetectedSpan:
    start = text.index(value)
    return DetectedSpan(start, start + len(value), "PERSON", 0.85)


def surfaces(text: str, spans: list[DetectedSpan]) -> list[str]:
    """What would be masked: the spans after overlap resolution."""
    return sorted({text[s.start : s.end] for s in resolve_overlaps(spans)})


def test_name_variants() -> None:
    assert name_variants("Dr Jane Q. Doe") == ["Jane", "Doe", "Jane Doe"]
    assert name_variants("Cher") == []
    assert name_variants("Ms Bryant") == name_variants("Dr J. Bryant") == ["Bryant"]


def test_variants_of_a_detected_full_name_share_its_canonical_value() -> None:
    text = "Jane Doe called. Later Ms Doe wrote back, and Jane agreed."
    result = propagate(text, [person(text, "Jane Doe")])
    assert surfaces(text, result.spans) == ["Jane", "Jane Doe", "Ms Doe"]
    assert result.canonical[("PERSON", "doe")] == "jane doe"
    assert result.canonical[("PERSON", "jane")] == "jane doe"


def test_guard_short_names_and_stop_words_are_not_variants() -> None:
    assert not is_usable_variant("Li") and not is_usable_variant("Will") and is_usable_variant("Rose")
    text = "Will Li arrived. Will it rain? Li said no."
    assert surfaces(text, propagate(text, [person(text, "Will Li")]).spans) == ["Will Li"]


def test_guard_variants_match_only_in_their_capitalisation() -> None:
    text = "Rose Tyler is here. A rose is a flower. Then Rose left."
    assert surfaces(text, propagate(text, [person(text, "Rose Tyler")]).spans) == ["Rose", "Rose Tyler"]
    assert "rose" not in surfaces(text, propagate(text, [person(text, "Rose Tyler")]).spans)


def test_guard_common_word_names_are_not_matched_at_sentence_start() -> None:
    text = "We met Mark Evans. Mark the date. I told Mark twice."
    spans = resolve_overlaps(propagate(text, [person(text, "Mark Evans")]).spans)
    starts = sorted(s.start for s in spans)
    assert starts == [text.index("Mark Evans"), text.index("Mark twice")]


def test_guard_a_surname_shared_by_two_people_links_neither() -> None:
    text = "Jane Doe and John Doe met. Doe was late."
    result = propagate(text, [person(text, "Jane Doe"), person(text, "John Doe")])
    assert ("PERSON", "doe") not in result.canonical
    assert "Doe" in surfaces(text, result.spans)


def test_non_person_values_propagate_case_insensitively_for_email() -> None:
    text = "Write to jane@example.com or JANE@EXAMPLE.COM"
    start = text.index("jane@")
    result = propagate(text, [DetectedSpan(start, start + 16, "EMAIL_ADDRESS", 1.0)])
    assert len(result.spans) == 2


def test_coordinated_names_are_persons() -> None:
    text = "Our founders: Novak, Doyle and Ferreira. They had: Mary, Ariana and the dog."
    found = coordinated_persons(text, [person(text, "Doyle"), person(text, "Mary")])
    assert surfaces(text, found) == ["Ariana", "Ferreira", "Novak"]


def test_leak_check_finds_validated_values_outside_tokens() -> None:
    text = (
        "mail a.b@example.org, card 4111 1111 1111 1111, bad card 4111 1111 1111 1112, ssn 536-22-1234, "
        "iban GB82 WEST 1234 5698 7654 32, ip 192.168.1.20, phone +44 20 7946 0958, <EMAIL_ADDRESS_0a1b2c3d>"
    )
    kinds = [f.entity_type for f in leak_check(text)]
    assert kinds == ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "PHONE_NUMBER"]
    assert leak_check(text, types={"US_SSN"})[0].entity_type == "US_SSN"
    assert leak_check("only tokens <PERSON_deadbeef> and <US_SSN> here, version 1.2.3, 555-12") == []


def test_form_words_tagged_as_persons_are_not_propagated(masker: Masker, fake: Faker) -> None:
    """Salutations, sign-offs and roles that spaCy tags as persons at a line start stay words: one false
    positive must not turn every occurrence of "Regards" or "Secretary" into a token (issue 13)."""
    first, other = fake.first_name(), fake.name()
    rounds = [
        f"Hi {first},\nInvoices go out monthly.\nSecretary: {other}\nMinutes approved.\n\nRegards,\n{first}\n"
        for _ in range(4)
    ]
    text = "\n> ".join(rounds) + "\nEmployee record\nAgent: noted.\nChair closed the meeting.\n"
    masked = masker.mask("doc-form-words", text).masked_text
    assert masked is not None
    for word in ("Invoices", "Secretary", "Regards", "Minutes", "Employee", "Agent", "Chair"):
        assert masked.count(word) == text.count(word), word
    assert first not in masked and other not in masked


def ner(text: str, value: str, nth: int = 0) -> DetectedSpan:
    """The NER model's detection of the ``nth`` occurrence of ``value``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return DetectedSpan(start, start + len(value), "PERSON", 0.85, "SpacyRecognizer")


def test_a_one_word_name_found_only_where_any_word_is_capitalised_does_not_spread() -> None:
    text = "Hi team,\nInvoices go out monthly.\nThe Invoices tab lists them. Ask Invoices? No."
    spread = propagate(text, [ner(text, "Invoices")]).spans
    # found at a line start only: masked there, nowhere else
    assert spread == []
    after_label = "Owner: Reports\nThe Reports page is slow."
    assert propagate(after_label, [ner(after_label, "Reports")]).spans == []


def test_a_one_word_name_the_document_also_writes_in_lower_case_does_not_spread() -> None:
    text = "We met Summit in the hall. Summit agreed; the summit was long."
    assert propagate(text, [ner(text, "Summit", 0)]).spans == []


def test_corroborated_one_word_names_still_spread() -> None:
    text = "Anna sent the file. Later Anna called, and Anna agreed."
    found_in_prose = DetectedSpan(*_span_of(text, "Anna", 1), "PERSON", 0.85, "SpacyRecognizer")
    # found in running text: every "Anna"
    assert len(propagate(text, [found_in_prose]).spans) == 3
    at_line_start = "Regards,\nAnna\n\nAnna will call. Ask Anna."
    by_a_cue = DetectedSpan(*_span_of(at_line_start, "Anna", 0), "PERSON", 0.6, "PersonCueRecognizer")
    # a cue corroborates it
    assert len(propagate(at_line_start, [by_a_cue]).spans) == 3


def _span_of(text: str, value: str, nth: int) -> tuple[int, int]:
    span = ner(text, value, nth)
    return span.start, span.end
