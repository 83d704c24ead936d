"""How bench/layouts.py reads a document back through ragmask's readers and scores what was masked against
its gold spans."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.layout_families import Document
from bench.layout_names import PARTICLES, TITLES, Gold


def read_text(document: Document, folder: Path) -> str:
    """The document's text as ragmask's readers give it."""
    from indexers.sources import SourceFile, read_documents

    path = folder / document.file_name
    path.write_bytes(document.data)
    found = list(read_documents(SourceFile(path, folder), b"bench-layouts-source-key"))
    texts = [d.text for d in found if hasattr(d, "text")]
    if len(texts) != 1:
        reasons = [getattr(d, "reason", "") for d in found]
        raise RuntimeError(f"{document.file_name}: the reader gave {len(texts)} documents {reasons}")
    return texts[0]


def locate(text: str, gold: Sequence[Gold]) -> list[tuple[int, int, str]]:
    """Gold values found in reading order (a value is a whole word sequence, not part of a longer word)."""
    spans, position = [], 0
    for item in gold:
        pattern = re.compile(rf"(?<![\w@.]){re.escape(item.value)}(?![\w@])")
        match = pattern.search(text, position)
        if match is None:
            raise RuntimeError(f"a gold {item.kind} value was not found in the read text")
        spans.append((match.start(), match.end(), item.kind))
        position = match.end()
    return spans


def name_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The given names and surnames inside a PERSON span: words, without particles, titles, initials."""
    parts = []
    for word in re.finditer(r"[^\s,\"'’()\-]+(?:['’\-][^\s,\"()\-]+)*", text[start:end]):
        bare = word.group().strip(".").casefold()
        if bare in PARTICLES or bare in TITLES or len(bare) <= 1:
            continue
        parts.append((start + word.start(), start + word.end()))
    return parts


@dataclass
class Tally:
    full_names: int = 0
    full_names_masked: int = 0
    parts: int = 0
    parts_masked: int = 0
    spans: int = 0
    spans_in_gold: int = 0
    other: int = 0
    other_hit: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "full_names",
            "full_names_masked",
            "parts",
            "parts_masked",
            "spans",
            "spans_in_gold",
            "other",
            "other_hit",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses
        self.false_positives += other.false_positives

    def result(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0

        return {
            "full_name_recall": ratio(self.full_names_masked, self.full_names),
            "full_names_left_raw": self.full_names - self.full_names_masked,
            "name_part_recall": ratio(self.parts_masked, self.parts),
            "span_precision": ratio(self.spans_in_gold, self.spans),
            "other_recall": ratio(self.other_hit, self.other),
            "full_names": self.full_names,
            "name_parts": self.parts,
            "masked_spans": self.spans,
        }


def tally(text: str, gold: Sequence[tuple[int, int, str]], masked: Sequence[tuple[int, int]]) -> Tally:
    covered = bytearray(len(text))
    for start, end in masked:
        covered[start:end] = b"\x01" * (end - start)
    result = Tally()
    for start, end, kind in gold:
        if kind != "PERSON":
            result.other += 1
            result.other_hit += any(covered[start:end])
            continue
        parts = name_parts(text, start, end)
        hit = [all(covered[a:b]) for a, b in parts]
        result.parts += len(parts)
        result.parts_masked += sum(hit)
        if len(parts) >= 2:
            result.full_names += 1
            result.full_names_masked += all(hit)
        if not all(hit):
            result.misses.append(text[start:end])
    for start, end in masked:
        result.spans += 1
        if any(s < end and start < e for s, e, _ in gold):
            result.spans_in_gold += 1
        else:
            result.false_positives.append(text[start:end])
    return result


class Masking(Protocol):
    def __call__(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]: ...


def ragmask_masking(model: str) -> Masking:
    """What ragmask replaced in each text (original offsets), with the default policy."""
    from masking import Masker, MaskingKeys, TextDocument
    from masking.detector_config import DetectorConfig

    masker = Masker(
        MaskingKeys(b"bench-layouts-key-not-secret-00000"), detector_config=DetectorConfig(model=model)
    )

    def mask(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        results = masker.mask_many([TextDocument(f"layout-{i}", t) for i, t in enumerate(texts)])
        return [[(start, end) for start, end, _ in r.edits] for r in results]

    return mask


def evaluate(documents: Sequence[Document], mask: Masking) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ragmask-layouts-") as folder:
        texts = [read_text(d, Path(folder)) for d in documents]
    golds = [
        d.offsets if d.offsets is not None else locate(t, d.gold)
        for d, t in zip(documents, texts, strict=True)
    ]
    masked: list[list[tuple[int, int]]] = []
    for index in range(0, len(texts), 16):
        masked += mask(texts[index : index + 16])
    by_family: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    for document, text, gold, spans in zip(documents, texts, golds, masked, strict=True):
        found = tally(text, gold, spans)
        by_family[document.family].add(found)
        overall.add(found)
    return {
        "overall": overall.result(),
        "by_family": {name: block.result() for name, block in sorted(by_family.items())},
        "misses": overall.misses,
        "false_positives": overall.false_positives,
    }


def ingest_and_audit(documents: Sequence[Document], folder: Path) -> dict[str, Any]:
    """Write the documents as files, ``ragmask ingest`` them into a fresh data directory and ``ragmask audit``
    the collection: what a user's audit would find in what ragmask wrote."""
    sources = folder / "sources"
    for index, document in enumerate(documents):
        (sources / f"{index:04d}").mkdir(parents=True)
        (sources / f"{index:04d}" / document.file_name).write_bytes(document.data)
    env = {
        **os.environ,
        "RAGMASK_KEY_FILE": str(folder / "bench.key"),
        "RAGMASK_DATA_DIR": str(folder / "data"),
    }
    env.pop("PREFECT_API_URL", None)
    command = [str(Path(sys.executable).parent / "ragmask")]
    ingest = subprocess.run(
        [*command, "ingest", str(sources), "--json"], env=env, capture_output=True, text=True, check=False
    )
    if ingest.returncode not in (0, 3):
        raise RuntimeError(f"ragmask ingest failed ({ingest.returncode}): {ingest.stderr.strip()[-300:]}")
    audit = subprocess.run(
        [*command, "audit", "--json"], env=env, capture_output=True, text=True, check=False
    )
    if audit.returncode not in (0, 1):
        raise RuntimeError(f"ragmask audit failed ({audit.returncode}): {audit.stderr.strip()[-300:]}")
    ingested, audited = json.loads(ingest.stdout), json.loads(audit.stdout)
    keys = (
        "documents_seen",
        "documents_indexed",
        "documents_quarantined",
        "documents_failed",
        "chunks_indexed",
    )
    return {
        **{k: ingested[k] for k in keys},
        "points_scanned": audited["points_scanned"],
        "suspected": audited["suspected"],
        "by_type": audited["by_type"],
    }


def iter_rows(results: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from results["by_family"].items()
    yield "overall", results["overall"]
