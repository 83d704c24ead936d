"""Splitting a run's stream into batches without holding the stream: files, then each batch's documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items, the last one shorter (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def with_more(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each item with whether another follows it (the next one is read before this one is yielded)."""
    iterator = iter(items)
    sentinel = object()
    current: object = next(iterator, sentinel)
    while current is not sentinel:
        following: object = next(iterator, sentinel)
        yield current, following is not sentinel  # type: ignore[misc]
        current = following
