"""Lines that say who: "Chair: Ana Ruiz. Minutes: ...", "Owner - Bo Li", "Sponsor – Kai Ott", "- Jane Doe
(Project Lead)", "Jane Doe, Head of Finance", "Controller: Jane Doe", "Attendees: A, B and C".

A label (up to four words, then ":", a dash between spaces, or a tab) that names a person field or a role
(masking.structure.fields) is followed by names; a label of another personal field (e-mail, phone, date of
birth, address, identifiers, in the main EU languages) by a value of that type. A line that starts with a
name and goes on with a role ("Name (Role)", "Name, Role", "Name – Role", "Name | Role") names a person,
and its role is no person. "Name (Role)" inside a sentence too.
"""

from __future__ import annotations

import regex

from masking.names.evidence import WordKind, name_evidence, plausible_in_field, plausible_in_text
from masking.names.shape import NAME_PHRASE
from masking.names.vocabulary import is_placeholder, is_role_word
from masking.structure.fields import NOT_PERSONAL, PERSON, field_kind
from masking.structure.lines import Line, outside_tokens, strip_range
from masking.structure.name_items import names_in
from masking.structure.result import StructureFindings

LEAD = r"[ \t>]*(?:(?:[-*•·+▪‣◦→]|\d{1,3}[.)]|[a-zA-Z][.)]|\[[ xX]?\])[ \t]+)?(?:\*\*|__)?[ \t]*"
LABEL_LINE = regex.compile(
    rf"{LEAD}(?P<label>\p{{L}}[\p{{L}}\p{{M}} .,'’/&-]{{0,60}}?)[ \t]*(?:\*\*|__)?"
    r"(?P<sep>[ \t]*:|[ \t]+[-–—][ \t]+|[ \t]*[–—][ \t]*|\t)[ \t]*(?:\*\*|__)?[ \t]*(?P<value>[^\n]*)"
)
# A masked text read again (an audit, closure) has a PERSON token where the name was: the layout is the same.
PERSON_TOKEN = r"<PERSON(?:_[0-9a-f]{8,64})?>"
ROLE_LINE = regex.compile(
    rf"{LEAD}(?P<name>{NAME_PHRASE}|{PERSON_TOKEN})[ \t]*"
    r"(?:\((?P<paren>[^)\n]{1,80})\)|\[(?P<bracket>[^\]\n]{1,80})\]"
    r"|,[ \t]*(?P<comma>[^\n]{1,80})|[ \t]+[-–—|][ \t]+(?P<dash>[^\n]{1,80}))[ \t]*$"
)
NAME_BEFORE_ROLE = regex.compile(rf"(?P<name>{NAME_PHRASE})[ \t]*\((?P<role>[^)\n]{{1,60}})\)")
# A value ends at a sentence's end ("Chair: Ana Ruiz. Minutes: ..."), two spaces, or the next label.
VALUE_END = regex.compile(
    r"(?<!\b\p{Lu})\.(?=[ \t]+\p{Lu}|[ \t]*$)|[ \t]{2,}|[ \t]+\p{L}[\p{L} ]{1,24}:[ \t]"
)
MAX_LABEL_WORDS = 6
MAX_ROLE_WORDS = 5
SCORE_LABEL = 0.9
SCORE_ROLE_LINE = 0.75
SCORE_UNKNOWN_LABEL = 0.6
# What the value of a non-person field must hold to be masked whole.
_VALUE_CHECKS = {
    "EMAIL_ADDRESS": regex.compile(r"@|(?i:\s(?:at|\[at\]|\(at\))\s)"),
    "PHONE_NUMBER": regex.compile(r"(?:\d[^\d\n]{0,3}){6,}"),
    "DATE_OF_BIRTH": regex.compile(
        r"\d{1,4}[./\- ]\s?(?:\d{1,2}|\p{L}{3,9})[./\- ]\s?\d{2,4}|\p{L}{3,9}\s\d{1,2},?\s\d{4}"
    ),
    "STREET_ADDRESS": regex.compile(r"\d.*\p{L}{2}|\p{L}{2}.*\d"),
    "IBAN_CODE": regex.compile(r"(?:\d[^\d\n]{0,2}){4,}"),
    "ACCOUNT_NUMBER": regex.compile(r"\d{3,}"),
    "NATIONAL_ID": regex.compile(r"(?:\d[^\d\n]{0,2}){4,}"),
    "US_SSN": regex.compile(r"(?:\d[^\d\n]{0,2}){4,}"),
}
MAX_VALUE_CHARS = 120


def _has_role(text: str) -> bool:
    return any(is_role_word(word) for word in regex.findall(r"\p{L}[\p{L}'’-]*", text))


def _value_range(text: str, start: int, end: int) -> tuple[int, int]:
    cut = VALUE_END.search(text, start, end)
    return strip_range(text, start, cut.start() if cut else end, " \t*_")


def read_label_line(text: str, line: Line, found: StructureFindings) -> bool:
    """A "Label: value" line; True when it was one (with a known label)."""
    match = LABEL_LINE.match(text, line.start, line.end)
    if match is None or len(match.group("label").split()) > MAX_LABEL_WORDS:
        return False
    label = match.group("label")
    kind = field_kind(label)
    if kind is not None:
        # "Teléfono", "Owner": a label is no person
        found.not_person.append(match.span("label"))
    start, end = _value_range(text, match.start("value"), line.end)
    if end <= start:
        return kind is not None
    if kind == PERSON:
        found.add_all(names_in(text, start, end, strong=True), PERSON, SCORE_LABEL, "LabelRecognizer")
        return True
    if kind == NOT_PERSONAL:
        found.not_person.append((start, end))
        return True
    if kind is not None:
        for piece_start, piece_end in outside_tokens(text, start, end):
            value = text[piece_start:piece_end]
            check = _VALUE_CHECKS.get(kind)
            if (
                len(value) <= MAX_VALUE_CHARS
                and not is_placeholder(value)
                and (check is None or check.search(value))
            ):
                found.add(piece_start, piece_end, kind, SCORE_LABEL, "LabelRecognizer")
        return True
    # An unknown label: a name whose label is a role line ("Jane Doe – Nurse"), or a value that is a full
    # name and nothing else ("Technical brewer: Ljubica D'Jurić").
    if plausible_in_field(label) and len(label.split()) >= 2 and _has_role(text[start:end]):
        found.add(match.start("label"), match.end("label"), PERSON, SCORE_ROLE_LINE, "RoleLineRecognizer")
        found.not_person.append((start, end))
        return True
    if _full_name(text[start:end]):
        found.add(start, end, PERSON, SCORE_UNKNOWN_LABEL, "LabelRecognizer")
    else:
        found.add_all(
            names_in(text, start, end, strong=False), PERSON, SCORE_UNKNOWN_LABEL, "LabelRecognizer"
        )
    return False


def _full_name(value: str) -> bool:
    """Two name words or more, no common word among them, plausible where a name goes."""
    evidence = name_evidence(value)
    return len(evidence.words) >= 2 and WordKind.WORD not in evidence.kinds and plausible_in_field(value)


def read_role_line(text: str, line: Line, found: StructureFindings) -> None:
    """ "Jane Doe (Project Lead)", "Jane Doe, Head of Finance", "Jane Doe – Nurse", "Jane Doe | CFO"."""
    match = ROLE_LINE.match(text, line.start, line.end)
    if match is None:
        return
    group = next(g for g in ("paren", "bracket", "comma", "dash") if match.group(g) is not None)
    name, role = match.group("name"), match.group(group)
    role_said = _has_role(role) and not regex.search(r"[.!?]$", role.strip())
    if name.startswith("<PERSON"):
        if role_said or len(role.split()) <= MAX_ROLE_WORDS:
            found.not_person.append((match.start(group), match.end(group)))
        return
    short = len(role.split()) <= MAX_ROLE_WORDS
    if (role_said and plausible_in_field(name)) or (short and (plausible_in_text(name) or _full_name(name))):
        found.add(match.start("name"), match.end("name"), PERSON, SCORE_ROLE_LINE, "RoleLineRecognizer")
        if role_said:
            found.not_person.append((match.start(group), match.end(group)))


def read_named_roles(text: str, found: StructureFindings) -> None:
    """ "... approved by Jane Doe (Controller) ..." anywhere: a name before a role in brackets."""
    for match in NAME_BEFORE_ROLE.finditer(text):
        role = match.group("role")
        if (
            _has_role(role)
            and len(match.group("name").split()) >= 2
            and plausible_in_field(match.group("name"))
        ):
            found.add(match.start("name"), match.end("name"), PERSON, SCORE_ROLE_LINE, "RoleLineRecognizer")
            found.not_person.append((match.start("role"), match.end("role")))
