"""Is this capitalised phrase a person's name? The evidence of the lists, word by word.

A word is a listed name (given names and surnames), a common word (English, at least one in three million
words of text) or a role, both (a listed name that is also a common word: "Rose", "Head", "Young"), or
neither (a rare name, or a word of another script or language). Where a phrase stands decides how much
evidence it needs: after a person label or in a name column its shape is almost enough
(``in_field``); alone in a cell or a line it needs a listed name (``in_text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from masking.names.lists import common_words, english_stop_words, fold, given_names, surnames
from masking.names.shape import is_caseless, is_name_shaped, name_words
from masking.names.vocabulary import LATIN_FILLER, is_placeholder, is_role_word

MAX_ACRONYM = 3


class WordKind(Enum):
    # a listed name, not a common word
    NAME = "name"
    # a listed name that is also a common word ("Rose", "Head")
    BOTH = "both"
    # a common word or a role, not a listed name
    WORD = "word"
    # neither: a rare name, another script, jargon
    UNKNOWN = "unknown"


def _listed(word: str) -> tuple[bool, bool]:
    """(a listed given name, a listed surname); a hyphenated word counts if each part is listed."""
    parts = [fold(part) for part in word.split("-") if part] or [""]
    given, family = given_names(), surnames()
    return all(p in given for p in parts), all(p in given or p in family for p in parts)


def word_kind(word: str) -> WordKind:
    if is_caseless(word):
        return WordKind.UNKNOWN
    if word.casefold() in english_stop_words():
        return WordKind.WORD
    is_given, is_name = _listed(word)
    is_name = is_name or is_given
    role = is_role_word(word, known_name=is_name)
    if role and not is_name:
        return WordKind.WORD
    if word.isupper() and len(word) <= MAX_ACRONYM and not is_name:
        # an acronym: "HR", "CFO", "TBD"
        return WordKind.WORD
    common = role or _common(word.casefold())
    if is_name:
        return WordKind.BOTH if common else WordKind.NAME
    return WordKind.WORD if common else WordKind.UNKNOWN


def _common(key: str) -> bool:
    """A common English word, or the plural of one ("Reconciliations": "reconciliation"), or placeholder
    Latin ("Aperiam", masking.names.vocabulary.LATIN_FILLER)."""
    words = common_words()
    if key in words or key in LATIN_FILLER:
        return True
    if key.endswith("ies") and key[:-3] + "y" in words:
        return True
    return key.endswith("s") and (key[:-1] in words or (key.endswith("es") and key[:-2] in words))


@dataclass(frozen=True)
class NameEvidence:
    """What the lists say about each name word of a phrase."""

    words: tuple[str, ...]
    kinds: tuple[WordKind, ...]
    first_is_given: bool
    has_role: bool

    @property
    def vetoed(self) -> bool:
        """A role in it ("Head of Finance"), or nothing but common words ("Board Meeting"). A phrase with no
        capitalised word ("jane doe") is not vetoed: the lists say nothing about it."""
        return self.has_role or (bool(self.words) and all(k is WordKind.WORD for k in self.kinds))

    @property
    def listed(self) -> int:
        return sum(k in (WordKind.NAME, WordKind.BOTH) for k in self.kinds)

    def in_field(self) -> bool:
        """Plausible where the layout says a name goes (a person label, a name column, a signature)."""
        if self.vetoed or not self.words:
            return False
        if len(self.words) == 1:
            return self.kinds[0] is not WordKind.WORD
        return sum(k is WordKind.WORD for k in self.kinds) <= len(self.kinds) // 2 and (
            self.listed > 0 or WordKind.UNKNOWN in self.kinds
        )

    def in_text(self) -> bool:
        """Plausible with nothing around it that says "name": two words or more, none a common word
        alone, and a listed given name first or two listed names."""
        if self.vetoed or len(self.words) < 2 or WordKind.WORD in self.kinds:
            return False
        return (
            (self.first_is_given and self.kinds[0] is WordKind.NAME)
            or self.listed >= 2
            or (self.first_is_given and WordKind.UNKNOWN in self.kinds[1:])
        )


def name_evidence(phrase: str) -> NameEvidence:
    """The evidence for ``phrase`` (its name words; particles and initials left out)."""
    words = tuple(name_words(phrase))
    kinds = tuple(word_kind(w) for w in words)
    first_is_given = bool(words) and fold(words[0]) in given_names()
    # A listed name that is also a role ("Baker", "Head") is a surname after a given name ("Julian Baker"),
    # a role otherwise ("Head Nurse"); so is the one word after a given name ("Marie Farmer", "Ann Potter":
    # surnames of tens of thousands, left off the list for being common words).
    has_role = any(
        is_role_word(w, known_name=k in (WordKind.NAME, WordKind.BOTH))
        and not (first_is_given and index > 0 and (k in (WordKind.NAME, WordKind.BOTH) or len(words) == 2))
        for index, (w, k) in enumerate(zip(words, kinds, strict=True))
    )
    return NameEvidence(words, kinds, first_is_given, has_role)


def plausible_in_field(phrase: str) -> bool:
    return is_name_shaped(phrase) and not is_placeholder(phrase) and name_evidence(phrase).in_field()


def plausible_in_text(phrase: str) -> bool:
    return is_name_shaped(phrase) and name_evidence(phrase).in_text()
