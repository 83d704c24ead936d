"""Metadata fields (file name, title) masked together with their document's text.

A source URI or a title can name the person the document is about. Masking them as part of the
document gives them the document's tokens ("<PERSON_1a2b3c4d>" in the title and the body alike) and
the benefit of propagation: a surname found in the body is masked in the file name too.
The fields are appended after a separator line that no recognizer can match across, and cut off
again after masking.
"""

from __future__ import annotations

from collections.abc import Mapping

# invisible separators: neither a word nor white space
FIELD_SEPARATOR = "\n\n\u2063\u2063\u2063\n\n"


def join_fields(text: str, fields: Mapping[str, str]) -> str | None:
    """Text with the field values appended; None when the separator already occurs in the text."""
    if not fields:
        return text
    if any(FIELD_SEPARATOR in value for value in [text, *fields.values()]):
        return None
    return FIELD_SEPARATOR.join([text, *fields.values()])


def split_fields(masked: str, names: list[str]) -> tuple[str, dict[str, str]] | None:
    """The masked text and masked fields back apart; None if masking merged across a separator."""
    if not names:
        return masked, {}
    parts = masked.split(FIELD_SEPARATOR)
    if len(parts) != len(names) + 1:
        return None
    return parts[0], dict(zip(names, parts[1:], strict=True))
