"""Splitting a run's stream into batches without holding the stream: files, then each batch's documents.
Items are never None (batches are lists)."""

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


def with_next(items: Iterable[T]) -> Iterator[tuple[T, T | None]]:
    """Each item with the one that follows it, None after the last (the next one is read before this one
    is yielded)."""
    iterator = iter(items)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following
