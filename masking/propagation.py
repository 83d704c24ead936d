"""Document-level propagation: a value detected once is masked wherever else it occurs.

The NER model finds a name in one sentence and misses it in the next; every other occurrence of a
detected value gets the same token. For a person's full name, the surname, the first name and the
"Title Surname" forms are variants that share the full name's token.

Guards against masking ordinary words (each tested):
1. a one-word variant needs at least MIN_VARIANT_LETTERS letters;
2. English stop words are never variants ("Will" in "Will Smith" is still a stop word: skipped);
3. variants match only in the capitalisation they were detected in ("Rose", not "rose");
4. a first name that is also a common English word ("Mark", "Hope") does not match at the start of
   a sentence, where any word is capitalised (a surname there, "Walker agreed", is still masked);
5. a variant shared by two detected full names is ambiguous: it gets its own token, linking neither;
6. a one-word name that only the NER model found, and only where any word is capitalised (a line
   start, after a label) or that the document also writes in lower case ("Invoices" / "invoices"),
   is masked where found but not spread: nothing corroborates it (a cue, a label recognizer, a full
   name, a second detection in running text would).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from masking.entities import DetectedSpan
from masking.literals import collapse_whitespace, literal_key, literal_union
from masking.names.evidence import name_evidence
from masking.names.lists import english_stop_words
from masking.names.shape import NAME_PARTICLES, is_caseless
from masking.normalise import TITLES, normalise, normalise_name
from masking.spans import NOT_A_PERSON

STOP_WORDS = english_stop_words()

MIN_VARIANT_LETTERS = 3
MIN_CASELESS_VARIANT_LETTERS = 2
PROPAGATED = "propagation"
COMMON_WORD_NAMES = frozenset(
    """
    april august autumn baker bell bill bishop black brook brown bush butler candy carter chance
    chase cherry christian clay cook cooper crystal dale dawn day dean diamond dolly dusty earl
    faith fawn fields fisher ford fox frank gay gene glen golden grace grant gray green grey guy
    hall hazel heather herb hill holly honey hope hunter iris ivy jack jade jewel joy judge june
    king lane lark laurel lee levy little long love mark marsh mason may miles miller page park
    parker patience pearl penny pepper price prince rich river robin rock rose ruby rusty sage sandy
    savannah sharp shepherd short sky smith spring star sterling stone storm summer sunny tanner
    taylor terry turner violet wade walker ward warren water wells west white will winter wood woods
    young
    """.split()
)
_TITLE_PREFIX = "|".join(sorted((re.escape(t) for t in TITLES), key=len, reverse=True))
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")
# Where any word is capitalised: the start of a line (quoted, bulleted or bold) or right after a label.
_CAPITALISED_ANYWAY = re.compile(r"(?:(?:^|\n)[ \t>*\-]*|:[ \t*]*)$")
NER_RECOGNIZER = "SpacyRecognizer"


_WORDS = re.compile(r"\w+(?:['’\-]\w+)*")


def _uncorroborated(
    text: str, surface: str, found: Sequence[DetectedSpan], lower_words: frozenset[str]
) -> bool:
    """Guard 6: a one-word name with nothing but the NER model, in positions that prove nothing, behind it;
    ``lower_words``: the lower-case words of the text."""
    if " " in surface or any(s.recognizer != NER_RECOGNIZER for s in found):
        return False
    if surface != surface.lower() and surface.lower() in lower_words:
        # the document uses it as an ordinary word
        return True
    return all(_CAPITALISED_ANYWAY.search(text[max(0, s.start - 40) : s.start]) for s in found)


@dataclass
class Propagation:
    """New spans, and the canonical value each (type, normalised value) resolves to for its token."""

    spans: list[DetectedSpan] = field(default_factory=list)
    canonical: dict[tuple[str, str], str] = field(default_factory=dict)


def name_variants(full_name: str) -> list[str]:
    """Surface forms that denote the same person: first name, surname, first + last; for a titled
    surname alone ("Ms Doe", "Dr J. Doe") the bare surname."""
    original = full_name.strip()
    last, comma, first = full_name.partition(",")
    # "Doe, Jane"
    if comma and len(last.split()) == 1 and first.strip() and "," not in first:
        full_name = f"{first.strip()} {last.strip()}"
    words = [w for w in re.split(r"\s+", full_name.strip()) if w]
    while words and words[0].casefold().rstrip(".") in TITLES:
        words.pop(0)
    # initials are not variants
    words = [w for w in words if not re.fullmatch(r"\w\.?", w)]
    if len(words) < 2:
        return [words[0]] if words and words[0] != original else []
    variants = [words[0], words[-1], f"{words[0]} {words[-1]}"]
    # "Ana Lívia Costa": "Ana Lívia", "Lívia"; particles are not names alone
    if len(words) > 2:
        variants += [
            f"{words[0]} {words[1]}",
            *(w for w in words[1:-1] if w.casefold() not in NAME_PARTICLES),
        ]
    return [v for v in dict.fromkeys(variants) if v != original]


def is_usable_variant(variant: str) -> bool:
    """Worth looking for alone: three letters or more (two in a caseless script: "直子"), not a stop word
    or a title."""
    if " " in variant:
        return True
    key = variant.casefold()
    letters = sum(c.isalpha() for c in variant)
    minimum = MIN_CASELESS_VARIANT_LETTERS if is_caseless(variant) else MIN_VARIANT_LETTERS
    return letters >= minimum and key not in STOP_WORDS and key not in TITLES


@dataclass(frozen=True)
class _Candidate:
    """A value to look for: the type and score of the span it came from; ``common_first_name`` turns
    on guard 4."""

    entity_type: str
    score: float
    common_first_name: bool = False


_BEFORE_VALUE = r"(?<![\w@.\-])"
_AFTER_VALUE = r"(?![\w@\-]|\.\w)"


def _overlapping_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The longest match at every start position, overlaps included ("Mr Smith" and "Smith").

    ``re`` scans about 20 times faster than ``regex``'s overlapped mode on large tries."""
    position = 0
    while match := pattern.search(text, position):
        yield match
        position = match.start() + 1


def _scan(text: str, candidates: dict[str, list[_Candidate]], *, person: bool) -> list[DetectedSpan]:
    """Every occurrence of every candidate in one pass (case-sensitive for names, which may follow a title)."""
    union = literal_union(candidates, ignore_case=not person)
    if union is None:
        return []
    title = rf"(?P<title>(?i:{_TITLE_PREFIX})\.?\s+)?" if person else ""
    flags = 0 if person else re.IGNORECASE
    pattern = re.compile(rf"{_BEFORE_VALUE}{title}(?P<value>{union}){_AFTER_VALUE}", flags)
    found = []
    for match in _overlapping_matches(pattern, text):
        for candidate in candidates.get(literal_key(match.group("value"), ignore_case=not person), []):
            if (
                candidate.common_first_name
                and match.group("title") is None
                and _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()])
            ):
                continue
            found.append(
                DetectedSpan(match.start(), match.end(), candidate.entity_type, candidate.score, PROPAGATED)
            )
    return found


def _person_canonical(values: Sequence[str]) -> dict[str, str]:
    """Map every normalised name or variant to the unique full name it belongs to."""
    owners: dict[str, set[str]] = defaultdict(set)
    for value in values:
        full = normalise_name(value)
        if len(full.split()) >= 2:
            for variant in [full, *(normalise_name(v) for v in name_variants(value))]:
                owners[variant].add(full)
    return {variant: next(iter(fulls)) for variant, fulls in owners.items() if len(fulls) == 1}


_NAME_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’\-]+"
_COORDINATED_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}}"
_AFTER = re.compile(
    rf"(?:,[ \t]*|[ \t]+(?:and|or|&)[ \t]+|,[ \t]*(?:and|or)[ \t]+)(?P<name>{_COORDINATED_NAME})"
)
# \Z: not "Regards,\n"
_BEFORE = re.compile(rf"(?P<name>{_COORDINATED_NAME})(?:[ \t]*,[ \t]*|[ \t]+(?:and|or|&)[ \t]+)\Z")
MAX_COORDINATION_ROUNDS = 8


NOT_A_LISTED_NAME = frozenset(STOP_WORDS | COMMON_WORD_NAMES | TITLES | NOT_A_PERSON)


def _plausible_name(words: str) -> bool:
    first = words.split(maxsplit=1)[0].casefold()
    return first not in NOT_A_LISTED_NAME and not name_evidence(words).vetoed


def coordinated_persons(text: str, spans: Sequence[DetectedSpan]) -> list[DetectedSpan]:
    """Names listed with a detected person ("Novak, Doyle and Ferreira", "Dale and White")."""
    known = {(s.start, s.end) for s in spans if s.entity_type == "PERSON"}
    frontier = sorted(known)
    found: list[DetectedSpan] = []
    for _ in range(MAX_COORDINATION_ROUNDS):
        new: list[tuple[int, int]] = []
        for start, end in frontier:
            after = _AFTER.match(text, end)
            if after and _plausible_name(after.group("name")):
                new.append((after.start("name"), after.end("name")))
            before = _BEFORE.search(text, max(0, start - 60), start)
            if before and _plausible_name(before.group("name")):
                new.append((before.start("name"), before.end("name")))
        frontier = [n for n in dict.fromkeys(new) if n not in known]
        if not frontier:
            break
        known.update(frontier)
        found += [DetectedSpan(a, b, "PERSON", 0.5, PROPAGATED) for a, b in frontier]
    return found


def propagate(text: str, spans: Sequence[DetectedSpan]) -> Propagation:
    """Spans for every other occurrence of the detected values (and person-name variants)."""
    result = Propagation()
    spans = [*spans, *coordinated_persons(text, spans)]
    result.spans.extend(s for s in spans if s.recognizer == PROPAGATED)
    persons = [text[s.start : s.end] for s in spans if s.entity_type == "PERSON"]
    person_canonical = _person_canonical(persons)
    for value_key, full in person_canonical.items():
        result.canonical[("PERSON", value_key)] = full

    persons_to_find: dict[str, list[_Candidate]] = {}
    values_to_find: dict[str, list[_Candidate]] = defaultdict(list)
    person_spans: dict[str, list[DetectedSpan]] = defaultdict(list)
    for span in spans:
        if span.entity_type == "PERSON":
            person_spans[collapse_whitespace(text[span.start : span.end])].append(span)
    lower_words = frozenset(w for w in [*_WORDS.findall(text), *re.findall(r"\w+", text)] if w.islower())
    for span in sorted(spans, key=lambda s: (-s.length, s.start)):
        surface = collapse_whitespace(text[span.start : span.end])
        if not surface:
            continue
        if span.entity_type == "PERSON":
            if _uncorroborated(text, surface, person_spans[surface], lower_words):
                continue
            first_word = surface.split()[0]
            for variant in [surface, *name_variants(surface)]:
                if is_usable_variant(variant) and variant not in persons_to_find:
                    common = variant == first_word and variant.casefold() in COMMON_WORD_NAMES
                    persons_to_find[variant] = [_Candidate("PERSON", span.score, common)]
            continue
        found_as = values_to_find[literal_key(surface, ignore_case=True)]
        if all(c.entity_type != span.entity_type for c in found_as):
            found_as.append(_Candidate(span.entity_type, span.score))
            norm = normalise(span.entity_type, surface)
            result.canonical.setdefault((span.entity_type, norm), norm)
    result.spans += _scan(text, persons_to_find, person=True)
    result.spans += _scan(text, values_to_find, person=False)
    return result
