"""HTML: visible text only (scripts, styles and templates dropped), the <title> as metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup

from indexers.readers.base import ReaderOptions, Record, RecordError, decode_text, read_bytes

INVISIBLE = ("script", "style", "noscript", "template", "head")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def read_html(path: Path, options: ReaderOptions) -> Iterator[Record | RecordError]:
    soup = BeautifulSoup(decode_text(read_bytes(path, options)), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(list(INVISIBLE)):
        element.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    yield Record(text, {"title": title} if title else {})
