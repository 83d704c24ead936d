"""The shape of a person's name in running text, in any script.

A name word is capitalised in a cased script ("Anna", "Łukasz", "Ζαφείρης", "Всеволод"), may carry an
apostrophe prefix or inner capital ("O'Brien", "d'Arco", "McKenzie", "DeVries"), a hyphen ("Jean-Pierre",
"Vozila-Alizov"), or be written in capitals ("DUPONT"); in a caseless script (Chinese, Japanese, Korean,
Arabic, Hebrew, Devanagari, Thai) it is a run of letters. A full name is up to four such words, with
initials ("J.") and particles ("van der", "de la", "bin", "Mac an") between them.
"""

from __future__ import annotations

import regex

CASED_WORD = (
    r"(?:(?:[OoDdLl]['’]|Mc|Mac|Fitz)?\p{Lu}\p{Ll}+(?:\p{Lu}\p{Ll}+)?(?:['’]\p{Ll}+)?"
    r"(?:-(?:\p{Lu}\p{Ll}+|\p{Lu}{2,}))*"
    r"|\p{Lu}{2,}(?:-\p{Lu}{2,})*(?![\p{Ll}]))"
)
CASELESS_WORD = r"(?:\p{Lo}[\p{Lo}\p{M}]{0,11})"
NAME_WORD = rf"(?:{CASED_WORD}|{CASELESS_WORD})"
INITIAL = r"(?:\p{Lu}\.(?:[ \t]?\p{Lu}\.)*)"
PARTICLE = (
    r"(?:van|von|vom|de|der|den|del|della|degli|di|da|das|dos|do|du|des|le|la|los|las|ten|ter|zu|zur|y|e|i"
    r"|bin|binti|ibn|al|el|ben|bat|st\.|mac|mc|an|ó|ní|nic|ua|af|av|op)"
)
# A name: up to four name words, initials and particles between them ("Anna van der Berg", "J. R. Doe").
NAME_PHRASE = (
    rf"(?:{INITIAL}[ \t]+)?{NAME_WORD}"
    rf"(?:[ \t]+(?:{INITIAL}[ \t]+)?(?:(?i:{PARTICLE})[ \t]+){{0,3}}{NAME_WORD}){{0,3}}"
)
_NAME = regex.compile(NAME_PHRASE)
# The particles of PARTICLE, as words (lower case): not names alone, and lower case inside one.
NAME_PARTICLES = frozenset(
    "van von vom de der den del della degli di da das dos do du des le la los las ten ter zu zur y e i bin binti "
    "ibn al el ben bat st mac mc an ó ní nic ua af av op".split()
)
_WORD = regex.compile(NAME_WORD)
_PARTICLE = regex.compile(rf"(?i:{PARTICLE})")
_CASELESS = regex.compile(CASELESS_WORD)


def is_name_shaped(text: str) -> bool:
    """``text`` (stripped) is one name phrase and nothing else."""
    return _NAME.fullmatch(text.strip()) is not None


def name_words(text: str) -> list[str]:
    """The name words of a name phrase, particles and initials left out."""
    return [m.group() for m in _WORD.finditer(text) if not _PARTICLE.fullmatch(m.group())]


def is_caseless(word: str) -> bool:
    return _CASELESS.fullmatch(word) is not None
