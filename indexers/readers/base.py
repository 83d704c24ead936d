"""What every reader returns, and the bounds every reader shares.

A source file is untrusted input: a few kilobytes can expand to gigabytes (a zip bomb in a DOCX, a
deflate bomb in a PDF) or nest deeper than a parser's stack (JSON). Each bound below turns such a file
into that file's one-line failure before it can cost the run its memory or its other documents.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from indexers.errors import SourceError

# bytes read from disk per file
MIB = 1024 * 1024
MAX_FILE_BYTES = 64 * MIB
# bytes a DOCX (a zip) may declare once decompressed
MAX_EXPANDED_BYTES = 128 * 1024 * 1024
# parts of a DOCX or XLSX
MAX_ARCHIVE_MEMBERS = 10_000
# nesting of objects and arrays in a JSON record file
MAX_JSON_DEPTH = 64
MAX_PDF_PAGES = 5_000
# characters of text per document (about 8 minutes of detection here)
MAX_DOCUMENT_CHARS = 10_000_000
# rows of a CSV, TSV or workbook (all its sheets)
MAX_TABLE_ROWS = 500_000
MAX_TABLE_CELLS = 5_000_000


@dataclass(frozen=True)
class ReaderOptions:
    """Which record fields hold the text, the id, the metadata; and the bounds on what a file may expand to."""

    text_field: str = "text"
    id_field: str = "id"
    metadata_fields: tuple[str, ...] = ()
    max_file_bytes: int = MAX_FILE_BYTES
    max_expanded_bytes: int = MAX_EXPANDED_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    max_pdf_pages: int = MAX_PDF_PAGES
    max_document_chars: int = MAX_DOCUMENT_CHARS
    max_table_rows: int = MAX_TABLE_ROWS
    max_table_cells: int = MAX_TABLE_CELLS


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
            raise SourceError(
                f"file too large ({size / MIB:.1f} MiB > {options.max_file_bytes / MIB:g} MiB; --max-file-mib or "
                "RAGMASK_MAX_FILE_MIB raises it)"
            )
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


def check_archive(data: bytes, options: ReaderOptions, kind: str) -> None:
    """Refuse a zip container (DOCX, XLSX) whose parts declare more than the bound once decompressed.

    zipfile never yields more than a member's declared size (a lie fails its CRC), so the declared
    total bounds what a parser can be made to hold."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise SourceError(f"malformed {kind} ({type(error).__name__})") from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise SourceError(f"{kind} has {len(members):,} parts (> {MAX_ARCHIVE_MEMBERS:,})")
    expanded = sum(member.file_size for member in members)
    if expanded > options.max_expanded_bytes:
        raise SourceError(
            f"{kind} expands to {expanded:,} bytes (> {options.max_expanded_bytes:,}): a decompression bomb?"
        )
