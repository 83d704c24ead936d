"""Overlapping windows over long texts, so memory per analysis call stays bounded.

A window ends at white space where it can, so words are not cut; consecutive windows overlap, so an
entity cut by one window's end is whole in the next. Spans from the overlaps are merged later.
"""

from __future__ import annotations

from collections.abc import Iterator

# Presidio's context step and spaCy's batching both favour short windows; 5,000 characters is about
# a thousand tokens, far more context than NER and the context words (five before a value) use.
DEFAULT_WINDOW_CHARS = 5_000
DEFAULT_OVERLAP_CHARS = 500


def windows(
    text: str, size: int = DEFAULT_WINDOW_CHARS, overlap: int = DEFAULT_OVERLAP_CHARS
) -> Iterator[tuple[int, int]]:
    """(start, end) of each window of ``text``; a short text is one window."""
    if size <= 2 * overlap:
        raise ValueError("window size must exceed twice the overlap")
    length = len(text)
    start = 0
    while True:
        end = min(start + size, length)
        if end < length:
            cut = max(text.rfind(" ", end - overlap, end), text.rfind("\n", end - overlap, end))
            end = cut + 1 if cut > start else end
        yield start, end
        if end >= length:
            return
        start = end - overlap
        boundary = max(
            text.rfind(" ", start, start + overlap // 2), text.rfind("\n", start, start + overlap // 2)
        )
        if boundary > start:
            start = boundary + 1
