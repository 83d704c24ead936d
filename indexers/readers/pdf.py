"""PDF through pypdf: the text of every page, pages separated by a blank line; the title as metadata."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from indexers.readers.base import ReaderOptions, Record, RecordError, SourceError, read_bytes


def read_pdf(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    data = read_bytes(path, options)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise SourceError(f"malformed PDF ({type(error).__name__})") from None
    yield Record("\n\n".join(p.strip() for p in pages if p.strip()), {"title": str(title)} if title else {})
