"""What every reader returns, and the checks every reader shares (size limit, readable bytes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024


class SourceError(Exception):
    """A file that cannot be read; the message is one line and quotes no content."""


@dataclass(frozen=True)
class ReaderOptions:
    """Options for record files (JSON/JSONL): which field holds the text, the id, the metadata."""

    text_field: str = "text"
    id_field: str = "id"
    metadata_fields: tuple[str, ...] = ()
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass(frozen=True)
class Record:
    """One document's raw text and metadata; ``key`` tells records of one file apart (None: the file)."""

    text: str = field(repr=False)
    metadata: dict[str, str] = field(default_factory=dict, repr=False)
    key: str | None = None


@dataclass(frozen=True)
class RecordError:
    """A record that cannot be used; ``key`` says which, ``reason`` why (no content)."""

    key: str
    reason: str


def read_bytes(path: Path, options: ReaderOptions) -> bytes:
    """The file's bytes, after the size check; SourceError with the OS reason otherwise."""
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            raise SourceError(f"file too large ({size} bytes > {options.max_file_bytes})")
        return path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read ({error.strerror or type(error).__name__})") from None


def decode_text(data: bytes) -> str:
    """UTF-8 text (BOM allowed); SourceError for binary or undecodable bytes."""
    if b"\x00" in data[:8192]:
        raise SourceError("binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not valid UTF-8 (byte offset {error.start})") from None
