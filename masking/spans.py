"""Span hygiene between detection and tokens: known false positives, trimming, overlap resolution."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from masking.entities import DetectedSpan
from masking.names.evidence import WordKind, name_evidence, plausible_in_text, word_kind
from masking.names.lists import common_given_names, fold, given_names
from masking.names.shape import NAME_PARTICLES
from masking.names.vocabulary import is_role_word
from masking.structure.result import STRUCTURE_RECOGNIZERS

_MONTH_OR_DAY = re.compile(
    r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\b"
)
_NUMERIC_DATE = re.compile(r"\d{1,4}[/.\-:]\d{1,2}(?:[/.\-:]\d{1,4})?|\b(?:1[89]|20)\d{2}\b")
_CONTEXT: dict[str, re.Pattern[str]] = {
    "US_BANK_NUMBER": re.compile(r"(?i)\b(?:account|acct|bank|routing|checking|savings|iban|a/c)\b"),
    "US_DRIVER_LICENSE": re.compile(r"(?i)\b(?:driver'?s?|driving|licen[cs]e|dl|dmv|permit)\b"),
    "US_PASSPORT": re.compile(r"(?i)\bpassport\b"),
    "UK_NHS": re.compile(r"(?i)\b(?:nhs|health[ \t]+service|patient)\b"),
}
CONTEXT_WINDOW = 48
_TRIM_CHARS = " \t\r\n,;:"
# Words spaCy's small model tags as PERSON at the start of a line or message ("Email: ...", "Regards,\nAnna",
# "Secretary: ..."): form labels, salutations, sign-offs and the roles of minutes and records. Never a
# name on their own; at the start of a PERSON span they are cut off ("Regards Anna" -> "Anna").
NOT_A_PERSON = frozenset(
    """
    email e-mail phone tel mobile fax address name dear hi hello hey thanks thank regards kind best warm
    sincerely cheers yours respectfully subject re fwd cc bcc attn date dob ssn iban note notes patient
    customer client user admin sir madam chair chairman chairperson chairwoman secretary treasurer minutes
    attendees attendee apologies absent present action actions agenda item agent status manager supervisor
    employee history plan attending physician nurse doctor consultant owner reporter assignee approver
    reviewer sender recipient from to signed signature summary discharge diagnosis medication allergies
    ticket priority resolution department team lead director president member members guest guests
    """.split()
)
_FORM_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_WORD = _FORM_WORD
_HAS_LETTER = re.compile(r"[^\W\d_]")


def person_parts(text: str, span: DetectedSpan) -> list[DetectedSpan]:
    """A PERSON span as the names it holds: one part per line and per table cell (a name does not run over a
    line break or a "|": "Memo\n\nAmy Lee" is two parts, "Alex Caro\nEmployee" one name and a form word),
    each without the form words it starts with; parts that are nothing but form words are dropped."""
    parts = []
    line_start = span.start
    for line_end in [*(i for i in range(span.start, span.end) if text[i] in "\n|"), span.end]:
        start, end = line_start, line_end
        line_start = line_end + 1
        # "> Regards", "**Chair"
        while start < end and not text[start].isalnum():
            start += 1
        while match := _FORM_WORD.match(text, start, end):
            if match.group().casefold() not in NOT_A_PERSON:
                break
            start = match.end()
            while start < end and not text[start].isalnum():
                start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if start < end:
            parts.append(DetectedSpan(start, end, span.entity_type, span.score, span.recognizer))
    # "Saar van Baalen\n\nInvoices go out monthly": a line part that opens a sentence
    if len(parts) > 1:
        parts = [p for p in parts if not _opens_sentence(text, p)]
    return [span] if [(p.start, p.end) for p in parts] == [(span.start, span.end)] else parts


def _opens_sentence(text: str, part: DetectedSpan) -> bool:
    """One word followed on its line by a lower-case word ("Invoices go out ..."): a sentence, not a name."""
    if " " in text[part.start : part.end]:
        return False
    rest = text[part.end : part.end + 40].split("\n", 1)[0].lstrip(" \t")
    return len(rest) > 1 and rest[0].islower() and rest[1].islower()


def _has_context(text: str, span: DetectedSpan) -> bool:
    pattern = _CONTEXT[span.entity_type]
    return bool(pattern.search(text[max(0, span.start - CONTEXT_WINDOW) : span.start]))


def _is_vague_date(value: str) -> bool:
    """spaCy's DATE on "the weekend", "years" or a bare digit run is not a date anyone can look up."""
    return not (_MONTH_OR_DAY.search(value) or _NUMERIC_DATE.search(value))


def _is_role(word: str, after_given: bool) -> bool:
    kind = word_kind(word)
    listed = kind in (WordKind.NAME, WordKind.BOTH)
    return is_role_word(word, known_name=listed) and not (after_given and listed)


def without_roles(text: str, span: DetectedSpan) -> DetectedSpan | None:
    """A PERSON span without the role or job words it starts or ends with ("Ilona Lantz Controller" ->
    "Ilona Lantz"); None when nothing else is left, or when what is left is common words only."""
    words = list(_WORD.finditer(text, span.start, span.end))
    if not words:
        return span
    first, last = 0, len(words)
    while first < last and _is_role(words[first].group(), after_given=False):
        first += 1
    while last > first + 1 and _is_role(words[last - 1].group(), after_given=True):
        if last - first == 2 and fold(words[first].group()) in given_names():
            # a given name and one word: that word is the surname ("Marie Farmer", "Ann Potter")
            break
        last -= 1
    if first == last:
        return None
    start = span.start if first == 0 else words[first].start()
    end = span.end if last == len(words) else words[last - 1].end()
    if name_evidence(text[start:end]).vetoed:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return DetectedSpan(start, end, span.entity_type, span.score, span.recognizer)


NER_RECOGNIZER = "SpacyRecognizer"


def unsupported_by_the_model_alone(text: str, span: DetectedSpan) -> bool:
    """A PERSON that only the NER model saw, with no capitalised word and no common given name in it
    ("reiciendis placeat" in Latin filler; "silvana, christopher and donna" stay persons: the US Census list of
    masking/data/given_names.txt). Such a guess comes and goes with the context the model is given, so the same
    text masked in one window and audited in another would disagree."""
    value = text[span.start : span.end]
    if name_evidence(value).words:
        return False
    return not any(word.casefold() in common_given_names() for word in _WORD.findall(value))


def without_lower_case_tail(text: str, span: DetectedSpan) -> DetectedSpan:
    """A capitalised NER span cut before its first lower-case word that is no particle ("Aperiam nam
    reiciendis" -> "Aperiam"): a name capitalises its parts, and a cut span is found alike in any window."""
    words = list(_WORD.finditer(text, span.start, span.end))
    if not words or not words[0].group()[:1].isupper():
        return span
    for word in words[1:]:
        if word.group()[:1].islower() and word.group().casefold() not in NAME_PARTICLES:
            end = word.start()
            while end > span.start and not text[end - 1].isalnum():
                end -= 1
            return DetectedSpan(span.start, end, span.entity_type, span.score, span.recognizer)
    return span


def _inside(span: DetectedSpan, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(start <= span.start and span.end <= end for start, end in ranges)


def where_no_person_is(text: str, span: DetectedSpan, not_person: Sequence[tuple[int, int]]) -> bool:
    """A PERSON span inside a range the layout says holds no person (a role, a label, a role column), and
    not itself a full name by the lists: "Hospital Warden" goes, "assistant to John Smith" keeps John Smith."""
    return _inside(span, not_person) and not plausible_in_text(text[span.start : span.end])


def drop_false_positives(
    text: str, spans: Sequence[DetectedSpan], not_person: Sequence[tuple[int, int]] = ()
) -> list[DetectedSpan]:
    """Remove the known false positives of Presidio's defaults and of the small spaCy model.

    - URL inside an e-mail address ("example.com" in "jane@example.com");
    - UK_NHS on a number that is also a phone number, without NHS context (a US phone is 3-3-4 too);
    - DATE_TIME with neither digits in date form nor a month/day name ("the weekend", "years", "901820");
    - US_BANK_NUMBER / US_DRIVER_LICENSE / US_PASSPORT on a digit run with no such word before it;
    - PERSON on a form word ("Email", "Dear", "Secretary"), or starting with one ("Regards,\nAnna");
    - PERSON (not from the layout, masking.structure) inside a range the layout says holds no person
      (``not_person``: a role column, a role in brackets), on roles and job titles ("Head of Finance",
      "Dramatherapist"), or on nothing but common words ("Deployments are checked ..."); role words at its
      ends are cut off.
    """
    emails = [s for s in spans if s.entity_type == "EMAIL_ADDRESS"]
    phones = [s for s in spans if s.entity_type == "PHONE_NUMBER"]
    kept = []
    for span in spans:
        value = text[span.start : span.end]
        kind = span.entity_type
        if (kind == "URL" and any(span.overlaps(e) for e in emails)) or (
            kind == "UK_NHS" and any(span.overlaps(p) for p in phones) and not _has_context(text, span)
        ):
            continue
        if kind == "DATE_TIME" and _is_vague_date(value):
            continue
        if kind in {"US_BANK_NUMBER", "US_DRIVER_LICENSE", "US_PASSPORT"} and not _has_context(text, span):
            continue
        if kind == "PERSON" and span.recognizer in STRUCTURE_RECOGNIZERS:
            kept.append(span)
            continue
        if kind == "PERSON":
            if where_no_person_is(text, span, not_person):
                continue
            for part in person_parts(text, span):
                if span.recognizer == NER_RECOGNIZER:
                    if unsupported_by_the_model_alone(text, part):
                        continue
                    part = without_lower_case_tail(text, part)  # noqa: PLW2901
                if _HAS_LETTER.search(text, part.start, part.end) and (
                    kept_part := without_roles(text, part)
                ):
                    kept.append(kept_part)
            continue
        kept.append(span)
    return kept


def trim(text: str, span: DetectedSpan) -> DetectedSpan | None:
    """Drop surrounding white space and list punctuation from a span; None if nothing is left."""
    start, end = span.start, span.end
    while start < end and text[start] in _TRIM_CHARS:
        start += 1
    while end > start and text[end - 1] in _TRIM_CHARS:
        end -= 1
    if start == end:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return DetectedSpan(start, end, span.entity_type, span.score, span.recognizer)


NEIGHBOUR = "TokenNeighbourRecognizer"
_BETWEEN_NAME_PARTS = re.compile(r"[ \t]+")


def join_adjacent_persons(text: str, spans: Sequence[DetectedSpan]) -> list[DetectedSpan]:
    """PERSON spans with only spaces between them as one span ("Ilona" found beside "Lantz": one person, one
    token); ``spans`` sorted and not overlapping."""
    joined: list[DetectedSpan] = []
    for span in spans:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.entity_type == span.entity_type == "PERSON"
            and NEIGHBOUR in (previous.recognizer, span.recognizer)
            and _BETWEEN_NAME_PARTS.fullmatch(text, previous.end, span.start)
        ):
            best = max(previous, span, key=lambda s: s.score)
            joined[-1] = DetectedSpan(previous.start, span.end, "PERSON", best.score, best.recognizer)
            continue
        joined.append(span)
    return joined


def _winner(group: Sequence[DetectedSpan]) -> DetectedSpan:
    return max(group, key=lambda s: (s.length, s.score, s.entity_type))


def resolve_overlaps(spans: Iterable[DetectedSpan]) -> list[DetectedSpan]:
    """Non-overlapping spans. Overlapping spans merge into their union; the longer, then the
    higher-scored, gives the merged span its type and score (so nothing detected is left unmasked)."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[DetectedSpan] = []
    group: list[DetectedSpan] = []
    group_end = -1
    for span in ordered:
        if group and span.start < group_end:
            group.append(span)
            group_end = max(group_end, span.end)
            continue
        if group:
            merged.append(_union(group, group_end))
        group, group_end = [span], span.end
    if group:
        merged.append(_union(group, group_end))
    return merged


def _union(group: Sequence[DetectedSpan], end: int) -> DetectedSpan:
    best = _winner(group)
    start = group[0].start
    if (start, end) == (best.start, best.end):
        return best
    return DetectedSpan(start, end, best.entity_type, best.score, best.recognizer)
