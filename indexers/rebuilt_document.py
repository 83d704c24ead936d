"""A document rebuilt from its chunks' character offsets, masked whole, and cut back into masked chunks.

LlamaIndex records where each chunk sits in its source file (``start_char_idx``/``end_char_idx``). Masking
the rebuilt document gives detection the context the chunk boundaries cut (a name at the end of one
chunk and its surname at the start of the next, a sentence that introduces a person) and masks a value
split across a boundary in both chunks. Chunks whose offsets are missing, do not fit their text or
disagree where they overlap give no rebuild: the caller masks the chunks as fields instead.

Usage::

    text = rebuild([(0, 12, "Call Jane Do"), (10, 24, "Doe at 9 a.m.")])   # "Call Jane Doe at 9 a.m."
    masked = masker.mask_many([TextDocument(doc_id, text)])[0]
    first = cut(text, masked.edits, 0, 12)                                   # "Call <PERSON_…>"
"""

from __future__ import annotations

from collections.abc import Sequence

from masking.edit_plan import splice

# (start, end, text) of a chunk in its source document
Piece = tuple[int, int, str]
# characters between chunks that no chunk holds: beyond this, the offsets are not trusted
MAX_GAP = 100_000


def rebuild(pieces: Sequence[Piece]) -> str | None:
    """The source document, gaps between chunks as spaces; None when the offsets cannot be trusted."""
    if not pieces:
        return None
    parts: list[str] = []
    position = 0
    for start, end, text in sorted(pieces):
        if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end - start != len(text):
            return None
        if start >= position:
            if start - position > MAX_GAP:
                return None
            parts += [" " * (start - position), text]
        else:
            # an overlap: the chunks must agree on it
            built = "".join(parts)
            overlap = min(position, end) - start
            if built[start : start + overlap] != text[:overlap]:
                return None
            parts = [built, text[overlap:]]
        position = max(position, end)
    return "".join(parts)


def cut(text: str, edits: Sequence[tuple[int, int, str]], start: int, end: int) -> str:
    """``text[start:end]`` masked as the whole was: each replacement that reaches into the slice replaces
    its part of it, so a value split across two chunks is a token in both."""
    inside = [
        (max(a, start) - start, min(b, end) - start, token) for a, b, token in edits if a < end and b > start
    ]
    return splice(text[start:end], inside)
