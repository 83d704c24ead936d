"""Source documents from a directory tree: which files, their stable ids, and their records.

Files are enumerated lazily in a stable order and read one at a time. A document's id is a keyed
hash of its source URI (the path relative to the root it was found under, plus ``#record-id`` for
JSON records), so the same file gets the same id from ``ragmask mask`` and ``ragmask ingest`` and the
id reveals nothing of the file name. The content hash is keyed too: a hash of a short record would
otherwise confirm a guessed value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexers.readers import READERS, SUPPORTED_SUFFIXES, ReaderOptions, Record, RecordError
from indexers.readers.base import SourceError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SkippedDocument",
    "SourceDocument",
    "SourceError",
    "SourceFile",
    "content_hash",
    "doc_id_for",
    "iter_source_files",
    "read_documents",
]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    root: Path

    @property
    def uri(self) -> str:
        """The path relative to the root it was found under, POSIX style: stable across machines."""
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class SourceDocument:
    """A readable document: raw text and metadata stay in memory and go to the masker only."""

    doc_id: str
    uri: str = field(repr=False)
    path: Path = field(repr=False)
    text: str = field(repr=False)
    metadata: dict[str, str] = field(repr=False)
    content_hash: str


@dataclass(frozen=True)
class SkippedDocument:
    """A document that cannot be read. ``reason`` never quotes content; ``error`` (for the terminal)
    names the source URI, which may itself hold personal data, so stores keep ``reason`` only."""

    doc_id: str
    uri: str = field(repr=False)
    path: Path = field(repr=False)
    reason: str

    @property
    def error(self) -> str:
        return f"{self.uri}: {self.reason}"


def doc_id_for(source_key: bytes, uri: str) -> str:
    return "doc_" + hmac.new(source_key, uri.encode(), hashlib.sha256).hexdigest()[:24]


def content_hash(source_key: bytes, text: str, metadata: dict[str, str]) -> str:
    payload = json.dumps([text, metadata], sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(source_key, b"content\x00" + payload, hashlib.sha256).hexdigest()


def iter_source_files(
    paths: Iterable[Path], suffixes: frozenset[str] = SUPPORTED_SUFFIXES
) -> Iterator[SourceFile]:
    """Files named directly, and files with a supported suffix under directories (sorted, recursive).

    A file named directly has its parent as root; files under a directory have that directory.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if child.suffix.lower() in suffixes:
                    yield SourceFile(child, path)
        elif path.is_file():
            yield SourceFile(path, path.parent)
        else:
            raise SourceError(f"{path}: no such file or directory")


def read_documents(
    source: SourceFile, source_key: bytes, options: ReaderOptions | None = None
) -> Iterator[SourceDocument | SkippedDocument]:
    """The documents of one file (one, or one per JSON record); unreadable ones as SkippedDocument."""
    options = options or ReaderOptions()
    file_id = doc_id_for(source_key, source.uri)
    reader = READERS.get(source.path.suffix.lower())
    if reader is None:
        suffix = source.path.suffix or "(none)"
        yield SkippedDocument(
            file_id, source.uri, source.path, f"{source.uri}: unsupported file type {suffix!r}"
        )
        return
    try:
        for item in reader(source.path, options):
            yield _document(source, source_key, item)
    except SourceError as error:
        yield SkippedDocument(file_id, source.uri, source.path, str(error))


def _document(
    source: SourceFile, source_key: bytes, item: Record | RecordError
) -> SourceDocument | SkippedDocument:
    key = item.key
    uri = source.uri if key is None else f"{source.uri}#{key}"
    doc_id = doc_id_for(source_key, uri)
    if isinstance(item, RecordError):
        return SkippedDocument(doc_id, uri, source.path, item.reason)
    if not item.text.strip():
        return SkippedDocument(doc_id, uri, source.path, "empty document")
    metadata = {"source": uri, **item.metadata}
    return SourceDocument(
        doc_id, uri, source.path, item.text, metadata, content_hash(source_key, item.text, metadata)
    )
