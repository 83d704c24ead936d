"""Does a text still hold an erased subject in raw form? The check behind an erasure receipt's "verified".

The lineage finds a subject's chunks by the fingerprints masking recorded; a value masking never saw (a
name in a file path before paths were read, a point written by hand) has no row, and a receipt built on
the rows alone would say "verified" over it. This reads the text itself, in its plain form
(masking.deobfuscate): every e-mail and phone shape, and every run of two to four words, is normalised
and fingerprinted as an erasure request's values are, and compared with the subject's full-name, e-mail
and phone fingerprints. It finds the subject wherever the words stand, detected or not; a surname alone
(the weak fingerprints) is left to the lineage, or every "Doe Street" would hold Jane Doe.

Usage::

    scan = SubjectScan(keys.fingerprint_key, request.subjects)
    scan.holds("see /docs/Jane_Doe.txt")  # True for the subject "Jane Doe"
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator

from masking.deobfuscate import Plain
from masking.entities import type_group
from masking.fingerprints import SubjectFingerprints, fingerprint
from masking.leak_check import EMAIL, PHONE
from masking.normalise import normalise_email, normalise_name, normalise_phone

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_DIGITS = re.compile(r"(?<![\w+])\+?\d{7,15}(?!\w)")
MAX_NAME_WORDS = 4
MAX_CACHED_WORDS = 200_000


class SubjectScan:
    """Fingerprints a text's candidate values and tells whether any is the subject's."""

    def __init__(self, key: bytes, subjects: SubjectFingerprints) -> None:
        self.key = key
        self.wanted = subjects.strong
        # a word's normalised form, once per distinct word
        self._words: dict[str, str] = {}
        self._person = hmac.new(key, type_group("PERSON").encode() + b"\x00", hashlib.sha256)

    def holds(self, text: str) -> bool:
        if not self.wanted or not text.strip():
            return False
        plain = Plain.of(text).text
        return any(fp in self.wanted for fp in self._fingerprints(plain))

    def _fingerprints(self, text: str) -> Iterator[str]:
        for match in EMAIL.finditer(text):
            yield fingerprint(self.key, type_group("EMAIL_ADDRESS"), normalise_email(match.group()))
        for pattern in (PHONE, _DIGITS):
            for match in pattern.finditer(text):
                yield fingerprint(self.key, type_group("PHONE_NUMBER"), normalise_phone(match.group()))
        # each word normalised once, the windows joined from them: a window costs one keyed hash
        words = [word for m in _WORD.finditer(text) if (word := self._normalised(m.group()))]
        for size in range(2, MAX_NAME_WORDS + 1):
            for start in range(len(words) - size + 1):
                # masking.fingerprints.fingerprint, its keyed prefix computed once
                mac = self._person.copy()
                mac.update(" ".join(words[start : start + size]).encode())
                yield mac.hexdigest()

    def _normalised(self, word: str) -> str:
        if word not in self._words:
            if len(self._words) > MAX_CACHED_WORDS:
                self._words.clear()
            self._words[word] = normalise_name(word)
        return self._words[word]
