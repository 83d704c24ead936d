"""The lists shipped in masking/data (sources and licences in their headers and in masking/data/SOURCES.md):
given names (US SSA and Census, public domain), surnames (US Census 2000, public domain) and common English
words (wordfreq, CC BY-SA 4.0). Loaded once per process, on first use."""

from __future__ import annotations

import gzip
import importlib.util
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

# Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ı": "i",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
        "Ð": "D",
        "ħ": "h",
        "ŋ": "ng",
    }
)
_NOT_LETTERS = str.maketrans("", "", "'’`´-. ")


def fold(word: str) -> str:
    """The form a name is looked up in: lower case, no accents, apostrophes, hyphens or dots
    ("O'Brien" -> "obrien", "Łukasz" -> "lukasz", "Müller" -> "muller")."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_NOT_LETTERS)


def _read(name: str) -> frozenset[str]:
    data = gzip.decompress(resources.files("masking.data").joinpath(name).read_bytes()).decode("utf-8")
    return frozenset(line for line in data.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def common_given_names() -> frozenset[str]:
    """About 5,000 common given names (US Census 1990), lower case: given_names.txt."""
    text = resources.files("masking.data").joinpath("given_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """About 62,000 given names, folded."""
    return _read("given_names_ssa.txt.gz")


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """About 150,000 surnames, folded."""
    return _read("surnames_census2000.txt.gz")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """About 52,000 English words (at least one in three million words of text), lower case."""
    return _read("common_words_en.txt.gz")


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from their module file: importing the spaCy package takes
    seconds (it loads thinc and torch), and erasure's fingerprints need this list without any NER."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or spec.origin is None:
        raise ImportError("spaCy is not installed")
    path = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("ragmask_english_stop_words", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"no spaCy stop word list at {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)
