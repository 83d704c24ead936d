"""Canonical forms of detected values, so tokens and fingerprints ignore formatting differences.

"Jane.Doe@Example.com" and "jane.doe@example.com" are one e-mail; "+1 (555) 010-2000" and
"555-010-2000" one phone; "Dr. Jane  DOE" and "jane doe" one name.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from masking.deobfuscate import plain_text
from masking.names.lists import fold, given_names, surnames

# Honorifics stripped from names before tokens and fingerprints ("Mr Doe" and "Doe" are one person).
TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "madam", "lord",
        "lady", "rev", "fr", "capt", "captain", "sgt", "lt", "col", "gen", "hon", "judge", "mme",
        "mlle", "herr", "frau", "señor", "senor", "señora", "senora", "don", "doña",
    }
)  # fmt: skip

_SPACES = re.compile(r"\s+")
# "Jane_Doe" in a file name is "jane doe"
_NAME_NOISE = re.compile(r"[^\w\s'\-]|_")
_ALNUM = re.compile(r"[^0-9A-Za-z]")
DEFAULT_PHONE_REGION = "US"


def _base(value: str) -> str:
    """NFKC, obfuscations undone (masking.deobfuscate: "jane&#64;example.com"), white space collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", plain_text(value))).strip()


_CAMEL_NAME = re.compile(r"(?:[A-Z][a-z]+){2,3}")
_CAMEL_PART = re.compile(r"[A-Z][a-z]+")


def _listed(word: str) -> bool:
    key = fold(word)
    return key in given_names() or key in surnames()


def _camel_parts(value: str) -> str:
    """ "JaneDoe" (a file name's person) as "Jane Doe" when every hump is a listed name and the whole is
    none ("MacDonald", "DeLuca" stay one word)."""
    if not _CAMEL_NAME.fullmatch(value):
        return value
    parts = _CAMEL_PART.findall(value)
    if _listed(value) or not all(_listed(part) for part in parts):
        return value
    return " ".join(parts)


def normalise_name(value: str) -> str:
    """Case-folded name without titles, punctuation or extra spaces; "Doe, Jane" is "jane doe"."""
    base = _camel_parts(_base(value))
    last, comma, first = base.partition(",")
    if comma and last.strip() and first.strip() and "," not in first and len(last.split()) == 1:
        base = f"{first} {last}"
    words = _NAME_NOISE.sub(" ", base.casefold()).split()
    while words and words[0].rstrip(".") in TITLES:
        words.pop(0)
    return " ".join(words)


def normalise_email(value: str) -> str:
    return _base(value).lower()


def normalise_phone(value: str, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 where phonenumbers can parse the value, else its digits (with a leading + kept)."""
    text = _base(value)
    try:
        parsed = phonenumbers.parse(text, default_region)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", text)
    return ("+" + digits) if text.startswith("+") else digits


def normalise_identifier(value: str) -> str:
    """Cards, SSNs, IBANs, account numbers: letters and digits only, upper case."""
    return _ALNUM.sub("", unicodedata.normalize("NFKC", value)).upper()


def normalise_text(value: str) -> str:
    return _base(value).casefold()


_IDENTIFIER_TYPES = frozenset(
    {
        "CREDIT_CARD", "US_SSN", "US_ITIN", "IBAN_CODE", "UK_NHS", "US_BANK_NUMBER", "ACCOUNT_NUMBER",
        "US_PASSPORT", "US_DRIVER_LICENSE", "MEDICAL_RECORD_NUMBER", "MEDICAL_LICENSE",
    }
)  # fmt: skip


def normalise(entity_type: str, value: str) -> str:
    """The canonical form of ``value`` for its entity type."""
    if entity_type == "PERSON":
        return normalise_name(value)
    if entity_type == "EMAIL_ADDRESS":
        return normalise_email(value)
    if entity_type == "PHONE_NUMBER":
        return normalise_phone(value)
    if entity_type in _IDENTIFIER_TYPES:
        return normalise_identifier(value) or normalise_text(value)
    return normalise_text(value)
