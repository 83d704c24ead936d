"""Token-safe chunking of masked text with langchain-text-splitters, measured in the embedder's tokens.

Two guarantees, both property-tested:
- no chunk starts or ends inside a masking token (``<PERSON_1a2b3c4d>`` stays whole): the splitter's
  separators are paragraph, line, sentence, word, then the edges of tokens, and only a run with no
  token left in it is ever cut character by character;
- no chunk is longer than ``max_tokens`` word pieces (the model's max_seq_length less its special
  tokens), so the embedder never truncates. The splitter adds up the lengths of pieces, which can
  undercount their concatenation; every chunk is counted again and re-split if it is too long.

Tables (Markdown pipe tables: what the readers make of CSV, spreadsheets, HTML and Word tables) are cut
between rows, never inside one, and every chunk of a table's rows carries the table's header: a chunk that
does not start at the header is headed by a copy of it (``Chunk.heading``), a short caption line above the
table included (a sheet's name), so a retriever and an audit of the chunk know each column's name. ``text`` is
``heading`` followed by the masked text's [start, end).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from masking.tokens import TOKEN_PATTERN

TokenCounter = Callable[[str], int]

TOKEN_EDGE = r"(?=<[A-Z][A-Z0-9_]*>)|(?=<[A-Z][A-Z0-9_]*?_[0-9a-f]{8,64}>)|(?<=>)"
SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?])\s", r"\s", TOKEN_EDGE, ""]
MIN_CHUNK_TOKENS = 8
_TABLE_ROW = re.compile(r"[ \t]*\|[^\n]*\|[ \t]*")
_TABLE_SEPARATOR = re.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*")
# A table whose header takes more than this share of a chunk is chunked as text.
MAX_HEADER_SHARE = 0.5
MAX_CAPTION_CHARS = 120


@dataclass(frozen=True)
class Chunk:
    index: int
    # ``heading`` + the masked text's [start, end)
    text: str
    # character offsets in the masked text
    start: int
    end: int
    # word pieces of the embedding model, counted once here
    token_count: int
    # a table's header lines above a chunk of its rows (not in [start, end))
    heading: str = ""


@dataclass(frozen=True)
class _Table:
    # the header line, or a caption line above it
    start: int
    # the first row below the separator
    body: int
    # after the last row (its line break included)
    end: int


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of text[start:end], its line break included."""
    while start < end:
        stop = text.find("\n", start, end)
        stop = end if stop == -1 else stop + 1
        yield start, stop
        start = stop


def _matches(pattern: re.Pattern[str], text: str, line: tuple[int, int]) -> bool:
    start, end = line
    return pattern.fullmatch(text, start, end - (text[end - 1 : end] == "\n")) is not None


def find_tables(text: str) -> list[_Table]:
    """Pipe tables: a header row, a separator row, then at least one row."""
    tables: list[_Table] = []
    lines = list(_lines(text, 0, len(text)))
    index = 0
    while index + 2 < len(lines):
        if not (
            _matches(_TABLE_ROW, text, lines[index]) and _matches(_TABLE_SEPARATOR, text, lines[index + 1])
        ):
            index += 1
            continue
        last = index + 2
        while last < len(lines) and _matches(_TABLE_ROW, text, lines[last]):
            last += 1
        if last > index + 2:
            start = _caption(text, lines, index, tables[-1].end if tables else 0)
            tables.append(_Table(start, lines[index + 2][0], lines[last - 1][1]))
        index = max(last, index + 1)
    return tables


def _caption(text: str, lines: list[tuple[int, int]], header: int, floor: int) -> int:
    """Where a table starts, a short line above it included (a sheet's name, "The roster:"), one blank line
    between them allowed: the header that heads each chunk of rows carries it."""
    above = header - 1
    if above >= 0 and not text[lines[above][0] : lines[above][1]].strip():
        above -= 1
    if above < 0 or lines[above][0] < floor:
        return lines[header][0]
    raw = text[lines[above][0] : lines[above][1]]
    line = raw.strip()
    if not line or "|" in line or len(line) > MAX_CAPTION_CHARS:
        return lines[header][0]
    before = above - 1
    if before >= 0 and text[lines[before][0] : lines[before][1]].strip():
        # the line is the end of a paragraph, not a caption
        return lines[header][0]
    # from the caption's first character: a chunk never starts with white space
    return lines[above][0] + len(raw) - len(raw.lstrip())


class Chunker:
    """Splits masked text into chunks of at most ``max_tokens`` word pieces with ``overlap_tokens`` overlap."""

    def __init__(self, count_tokens: TokenCounter, max_tokens: int, overlap_tokens: int = 32) -> None:
        if max_tokens < MIN_CHUNK_TOKENS:
            raise ValueError(f"chunk size must be at least {MIN_CHUNK_TOKENS} tokens")
        if not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError("chunk overlap must be at least 0 and less than half the chunk size")
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def _splitter(self, size: int, count: TokenCounter) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            is_separator_regex=True,
            keep_separator="start",
            chunk_size=size,
            chunk_overlap=min(self.overlap_tokens, size // 4),
            length_function=count,
        )

    def _split(self, text: str, size: int, count: TokenCounter) -> list[tuple[str, int]]:
        """(piece, token count) pairs, each piece re-split until its real count fits."""
        pieces: list[tuple[str, int]] = []
        for piece in self._splitter(size, count).split_text(text):
            tokens = count(piece)
            if tokens <= self.max_tokens or size <= MIN_CHUNK_TOKENS:
                pieces.append((piece, tokens))
            else:
                pieces.extend(self._split(piece, max(MIN_CHUNK_TOKENS, size * 3 // 4), count))
        return pieces

    def chunk(self, text: str) -> list[Chunk]:
        count = remembered(self.count_tokens)
        chunks: list[Chunk] = []
        position = 0
        for table in find_tables(text):
            self._chunk_text(text, position, table.start, count, chunks)
            if not self._chunk_table(text, table, count, chunks):
                self._chunk_text(text, table.start, table.end, count, chunks)
            position = table.end
        self._chunk_text(text, position, len(text), count, chunks)
        return chunks

    def _chunk_text(self, text: str, start: int, end: int, count: TokenCounter, chunks: list[Chunk]) -> None:
        """text[start:end] in chunks of the splitter's making, appended to ``chunks``."""
        segment = text[start:end]
        if not segment.strip():
            return
        search_from = previous_end = 0
        for piece, tokens in self._split(segment, self.max_tokens, count):
            at = self._locate(segment, piece, search_from, previous_end, count)
            chunks.append(Chunk(len(chunks), piece, start + at, start + at + len(piece), tokens))
            search_from, previous_end = at + 1, at + len(piece)

    def _chunk_table(self, text: str, table: _Table, count: TokenCounter, chunks: list[Chunk]) -> bool:
        """A table's rows in chunks that fit, each after the header (the first one's is its own); False
        when the header leaves too little room, so the table is chunked as text."""
        heading = text[table.start : table.body]
        if count(heading) > self.max_tokens * MAX_HEADER_SHARE:
            return False
        # the first group starts with the header itself
        group_start, group_end = table.start, table.body
        for line_start, line_end in _lines(text, table.body, table.end):
            head = "" if group_start == table.start else heading
            if count(head + text[group_start:line_end].rstrip("\n")) <= self.max_tokens:
                group_end = line_end
                continue
            if group_end > group_start and group_end > table.body:
                self._table_chunk(text, head, group_start, group_end, count, chunks)
            group_start = group_end = line_start
            if count(heading + text[line_start:line_end].rstrip("\n")) > self.max_tokens:
                # one row too long: as text
                self._chunk_text(text, line_start, line_end, count, chunks)
                group_start = group_end = line_end
                continue
            group_end = line_end
        if group_end > group_start and group_end > table.body:
            self._table_chunk(
                text, "" if group_start == table.start else heading, group_start, group_end, count, chunks
            )
        return True

    @staticmethod
    def _table_chunk(
        text: str, heading: str, start: int, end: int, count: TokenCounter, chunks: list[Chunk]
    ) -> None:
        body = text[start:end].rstrip("\n")
        chunks.append(
            Chunk(len(chunks), heading + body, start, start + len(body), count(heading + body), heading)
        )

    def _locate(self, text: str, piece: str, search_from: int, previous_end: int, count: TokenCounter) -> int:
        """Where ``piece`` sits in ``text``: after the previous chunk's start, ending after its end, and
        overlapping it by no more than the overlap allows. Repeated text has several candidates ("<T_1>\n<"
        twice); the first that fits is the splitter's, else the first after the previous start."""
        first = start = text.find(piece, max(search_from, previous_end - len(piece) + 1))
        while start >= 0:
            if start >= previous_end or count(text[start:previous_end]) <= self.overlap_tokens:
                return start
            start = text.find(piece, start + 1)
        # the splitter returns substrings; anything else is a bug, not bad input
        if first < 0:
            raise RuntimeError("chunk not found in its text")
        return first


def remembered(count: TokenCounter) -> TokenCounter:
    """``count`` with each text's answer kept for one document: the splitter measures every split twice
    (once to split, once to merge) and its separators each time."""
    known: dict[str, int] = {}

    def counted(text: str) -> int:
        if text not in known:
            known[text] = count(text)
        return known[text]

    return counted


def tokens_in(text: str) -> list[str]:
    """The masking tokens in a chunk, in order of first appearance, each once."""
    return list(dict.fromkeys(match.group() for match in TOKEN_PATTERN.finditer(text)))
