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
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexers.errors import SourceError
from indexers.readers import READERS, SUPPORTED_SUFFIXES, ReaderOptions, Record, RecordError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SkippedDocument",
    "SkippedFile",
    "SourceDocument",
    "SourceError",
    "SourceFile",
    "content_hash",
    "doc_id_for",
    "file_key_for",
    "iter_source_files",
    "origin_of",
    "read_documents",
]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    root: Path
    # the path the run was given, when not the root (a file named directly)
    scope: Path | None = None

    @property
    def scope_path(self) -> Path:
        """What a re-index of this path covers: the directory given, or the file named."""
        return self.scope or self.root

    @property
    def uri(self) -> str:
        """The path relative to the root it was found under, POSIX style: stable across machines."""
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class SkippedFile:
    """A path under an ingested directory that is not read, and why (counted, reported, never fatal)."""

    path: Path
    root: Path
    reason: str
    # a directory that could not be listed: its files are unknown
    unlisted_directory: bool = False
    # meant to be read and could not be (a loop, an OS error), not left out by choice
    unreadable: bool = False

    @property
    def uri(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def error(self) -> str:
        return f"{self.uri}: {self.reason}"


@dataclass(frozen=True)
class SourceOrigin:
    """Where a document was read: keyed hashes of the path the run was given and of the file."""

    scope_key: str
    origin_key: str

    def keys(self) -> tuple[str, str]:
        return self.scope_key, self.origin_key


@dataclass(frozen=True)
class SourceDocument:
    """A readable document: raw text and metadata stay in memory and go to the masker only."""

    doc_id: str
    uri: str = field(repr=False)
    path: Path = field(repr=False)
    text: str = field(repr=False)
    metadata: dict[str, str] = field(repr=False)
    content_hash: str
    # keyed hash of the resolved path (+ record key): the same file under any root
    file_key: str = ""
    # where it was read (re-index: what vanished)
    origin: SourceOrigin | None = None


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


def source_words(uri: str) -> str:
    """The source URI as the masker sees it: "hr/Jane_Doe.txt#7" -> "hr / Jane Doe .txt #7". NER finds a
    name glued to its suffix ("Jane Doe.txt") only some of the time; as words it finds it reliably. This
    masked form is what the payload and the lineage keep as ``source`` (the raw URI only keys the doc id)."""
    path, hash_mark, record = uri.partition("#")
    parts = path.split("/")
    stem, dot, suffix = parts[-1].rpartition(".")
    parts[-1] = f"{stem} .{suffix}" if dot and stem else parts[-1]
    words = " / ".join(part.replace("_", " ") for part in parts)
    return f"{words} #{record}" if hash_mark else words


def resolved(path: Path) -> Path:
    """``path`` with its symlinks followed as far as they go: a looping or unreadable link stays as it is
    written (``Path.resolve`` raises RuntimeError on a loop, and a walk's bookkeeping must never raise)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def file_key_for(source_key: bytes, path: Path, record_key: str | None) -> str:
    """The file's identity on this machine, whatever root it was found under (a keyed hash: a path can
    name a person)."""
    identity = f"{resolved(path)}#{record_key or ''}"
    return hmac.new(source_key, b"file\x00" + identity.encode(), hashlib.sha256).hexdigest()


def origin_of(source_key: bytes, path: Path, scope: Path) -> SourceOrigin:
    """Keyed hashes of the path a run was given and of the file (a path can name a person)."""
    scope_key = hmac.new(source_key, b"scope\x00" + str(resolved(scope)).encode(), hashlib.sha256).hexdigest()
    return SourceOrigin(scope_key, file_key_for(source_key, path, None))


def content_hash(source_key: bytes, text: str, metadata: dict[str, str]) -> str:
    payload = json.dumps([text, metadata], sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(source_key, b"content\x00" + payload, hashlib.sha256).hexdigest()


def iter_source_files(
    paths: Iterable[Path], suffixes: frozenset[str] = SUPPORTED_SUFFIXES
) -> Iterator[SourceFile | SkippedFile]:
    """Files named directly, and files under directories (sorted, recursive, hidden names left out).

    A file named directly has its parent as root; files under a directory have that directory. What is
    not read comes out as a SkippedFile with its reason: unsupported types, symlinks that leave the tree
    or loop, special files, unreadable directories, and a file already met under another path or root
    (read once per run). A path that does not exist is a SourceError: the run cannot mean it.
    """
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            yield from _walk(path, path, suffixes, seen, {resolved(path)})
        elif path.is_file():
            yield _once(SourceFile(path, path.parent, scope=path), seen)
        else:
            raise SourceError(f"{path}: no such file or directory")


def _once(source: SourceFile, seen: set[Path]) -> SourceFile | SkippedFile:
    real = resolved(source.path)
    if real in seen:
        return SkippedFile(source.path, source.root, "the same file was already read under another path")
    seen.add(real)
    return source


def _walk(
    directory: Path, root: Path, suffixes: frozenset[str], seen: set[Path], open_dirs: set[Path]
) -> Iterator[SourceFile | SkippedFile]:
    """Depth first, sorted by name; ``open_dirs`` (resolved) are the directories on the current path. Every
    OS error or loop met is one skipped entry, never the end of the walk."""
    real_root = resolved(root)
    try:
        children = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as error:
        reason = f"cannot list directory ({error.strerror or type(error).__name__})"
        yield SkippedFile(directory, root, reason, unlisted_directory=True, unreadable=True)
        return
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            yield from _entry(child, root, real_root, suffixes, seen, open_dirs)
        except (OSError, RuntimeError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            yield SkippedFile(child, root, f"cannot read ({reason})", unreadable=True)


def _entry(
    child: Path, root: Path, real_root: Path, suffixes: frozenset[str], seen: set[Path], open_dirs: set[Path]
) -> Iterator[SourceFile | SkippedFile]:
    try:
        real = child.resolve(strict=True)
    except (OSError, RuntimeError):
        yield SkippedFile(child, root, "broken or looping symlink", unreadable=True)
        return
    if child.is_symlink() and not real.is_relative_to(real_root):
        yield SkippedFile(child, root, "symlink leads outside the ingested tree (not followed)")
    elif real.is_dir():
        if real in open_dirs:
            yield SkippedFile(child, root, "symlink loop (not followed)", unreadable=True)
        else:
            yield from _walk(child, root, suffixes, seen, open_dirs | {real})
    elif not real.is_file():
        yield SkippedFile(child, root, "not a regular file", unreadable=True)
    elif child.suffix.lower() not in suffixes:
        yield SkippedFile(child, root, f"unsupported file type {child.suffix or '(none)'!r}")
    else:
        yield _once(SourceFile(child, root), seen)


def read_documents(
    source: SourceFile, source_key: bytes, options: ReaderOptions | None = None
) -> Iterator[SourceDocument | SkippedDocument]:
    """The documents of one file (one, or one per JSON record); unreadable ones as SkippedDocument.

    Whatever a reader raises (a parser's own errors, RecursionError, MemoryError) is this file's
    failure, reported by exception type: the run's other files go on."""
    options = options or ReaderOptions()
    file_id = doc_id_for(source_key, source.uri)
    reader = READERS.get(source.path.suffix.lower())
    if reader is None:
        suffix = source.path.suffix or "(none)"
        yield SkippedDocument(file_id, source.uri, source.path, f"unsupported file type {suffix!r}")
        return
    # one file: once, not per record
    origin = origin_of(source_key, source.path, source.scope_path)
    try:
        for item in reader(source.path, options):
            yield _document(source, source_key, item, options, origin)
    except SourceError as error:
        yield SkippedDocument(file_id, source.uri, source.path, str(error))
    except Exception as error:
        # RecursionError and MemoryError included: one file, never the run
        yield SkippedDocument(file_id, source.uri, source.path, f"unreadable ({type(error).__name__})")


def _document(
    source: SourceFile,
    source_key: bytes,
    item: Record | RecordError,
    options: ReaderOptions,
    origin: SourceOrigin,
) -> SourceDocument | SkippedDocument:
    key = item.key
    uri = source.uri if key is None else f"{source.uri}#{key}"
    doc_id = doc_id_for(source_key, uri)
    if isinstance(item, RecordError):
        return SkippedDocument(doc_id, uri, source.path, item.reason)
    if not item.text.strip():
        return SkippedDocument(doc_id, uri, source.path, "empty document")
    if len(item.text) > options.max_document_chars:
        reason = (
            f"document too long ({len(item.text):,} characters > {options.max_document_chars:,}; "
            "RAGMASK_MAX_DOCUMENT_CHARS raises it)"
        )
        return SkippedDocument(doc_id, uri, source.path, reason)
    # the hash leaves the URI out: the same file met under another root is unchanged
    hashed = content_hash(source_key, item.text, item.metadata)
    metadata = {"source": source_words(uri), **item.metadata}
    file_key = file_key_for(source_key, source.path, key)
    return SourceDocument(doc_id, uri, source.path, item.text, metadata, hashed, file_key, origin)
