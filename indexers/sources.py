"""Source documents from a directory tree: which files, their stable ids, and their text.

Files are enumerated lazily in a stable order. A document's id is a keyed hash of its source URI
(the path relative to the root it was found under), so the same file gets the same id from
``ragmask mask`` and ``ragmask ingest`` and the id reveals nothing of the file name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = frozenset({".txt", ".md"})
MAX_FILE_BYTES = 64 * 1024 * 1024


class SourceError(Exception):
    """A document that cannot be read; the message is one line and names no content."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    root: Path

    @property
    def uri(self) -> str:
        """The path relative to the root it was found under, POSIX style: stable across machines."""
        return self.path.relative_to(self.root).as_posix()


def doc_id_for(source_key: bytes, uri: str) -> str:
    return "doc_" + hmac.new(source_key, uri.encode(), hashlib.sha256).hexdigest()[:24]


def iter_source_files(
    paths: Iterable[Path], suffixes: frozenset[str] = TEXT_SUFFIXES
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


def read_text(source: SourceFile, suffixes: frozenset[str] = TEXT_SUFFIXES) -> str:
    """The file's text; SourceError for anything we cannot treat as text."""
    path = source.path
    if path.suffix.lower() not in suffixes:
        raise SourceError(f"{source.uri}: unsupported file type {path.suffix or '(none)'!r}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(f"{source.uri}: file too large ({size} bytes > {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{source.uri}: cannot read ({error.strerror or type(error).__name__})") from None
    if b"\x00" in data[:8192]:
        raise SourceError(f"{source.uri}: binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{source.uri}: not valid UTF-8 (byte offset {error.start})") from None
    if not text.strip():
        raise SourceError(f"{source.uri}: empty document")
    return text
