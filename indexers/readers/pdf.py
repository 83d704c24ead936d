"""PDF through pypdf: the text of every page, pages separated by a blank line; the title as metadata.

pypdf bounds each decompressed stream itself (75 MB, LimitReachedError); the page count and the text
gathered are bounded here, and any parser error is this file's failure. pypdf's own log records can
quote the file's bytes: flows/runtime/logging_setup.py withholds them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader

from indexers.errors import SourceError
from indexers.readers.base import ReaderOptions, Record, RecordError, read_bytes


def read_pdf(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("encrypted PDF")
        if len(reader.pages) > options.max_pdf_pages:
            raise SourceError(f"PDF has {len(reader.pages):,} pages (> {options.max_pdf_pages:,})")
        pages: list[str] = []
        gathered = 0
        for page in reader.pages:
            text = (page.extract_text() or "").strip()
            gathered += len(text)
            if gathered > options.max_document_chars:
                raise SourceError(f"PDF text exceeds {options.max_document_chars:,} characters")
            pages.append(text)
        title = (reader.metadata.title if reader.metadata else None) or ""
    except SourceError:
        raise
    except Exception as error:
        # pypdf raises many types on hostile input; none is fatal to the run
        raise SourceError(f"malformed PDF ({type(error).__name__})") from None
    yield Record("\n\n".join(p for p in pages if p), {"title": str(title)} if title else {})
