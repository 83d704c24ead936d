"""Span hygiene between detection and tokens: known false positives, trimming, overlap resolution."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from masking.entities import DetectedSpan

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


def person_parts(text: str, span: DetectedSpan) -> list[DetectedSpan]:
    """A PERSON span as the names it holds: one part per line (a name does not run over a line break:
    "Memo\n\nAmy Lee" is two parts, "Alex Caro\nEmployee" one name and a form word), each without the
    form words it starts with; parts that are nothing but form words are dropped."""
    parts = []
    line_start = span.start
    for line_end in [*(i for i in range(span.start, span.end) if text[i] == "\n"), span.end]:
        start, end = line_start, line_end
        line_start = line_end + 1
        while start < end and not text[start].isalnum():  # "> Regards", "**Chair"
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
    if len(parts) > 1:  # "Saar van Baalen\n\nInvoices go out monthly": a line part that opens a sentence
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


def drop_false_positives(text: str, spans: Sequence[DetectedSpan]) -> list[DetectedSpan]:
    """Remove the known false positives of Presidio's defaults and of the small spaCy model.

    - URL inside an e-mail address ("example.com" in "jane@example.com");
    - UK_NHS on a number that is also a phone number, without NHS context (a US phone is 3-3-4 too);
    - DATE_TIME with neither digits in date form nor a month/day name ("the weekend", "years", "901820");
    - US_BANK_NUMBER / US_DRIVER_LICENSE / US_PASSPORT on a digit run with no such word before it;
    - PERSON on a form word ("Email", "Dear", "Secretary"), or starting with one ("Regards,\nAnna").
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
        if kind == "PERSON":
            kept += person_parts(text, span)
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
