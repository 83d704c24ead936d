"""Scrub: an existing collection that holds raw text, masked and re-embedded into a new collection in the
same payload format, so the application that reads it keeps working.

Per document (the points that share a document key, indexers/payload_formats.py): every content string
of every point, nested metadata and JSON-in-strings included, is masked as one document (one value, one
token; names propagate across chunks; the leak check runs); ids and raw-content hashes are re-keyed with
a keyed HMAC (consistently, so references between points hold, and unlinkably: a hash of raw text
would confirm a guess); raw bytes are dropped; structure strings are kept. The chunk text is embedded
again with the configured model: no source vector, dense or sparse, is copied. The target's points are
written through the write protocol (indexers/index_writer.py) with lineage and entity fingerprints, so
an erasure finds subjects in scrubbed collections, a killed run is rolled back and finished by the next,
and a second run finds every document unchanged. Nothing is deduplicated by text. The grouping of points
by document waits on disk (indexers/scrub_plan.py): memory is bounded by a page and a batch of documents.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import islice
from typing import Any

from qdrant_client import models

from indexers.chunking import tokens_in
from indexers.document_catalog import DocumentCatalog
from indexers.embedding import Embedder
from indexers.index_writer import IndexWriter, VersionWrite
from indexers.lineage import QUARANTINED, LineageStore
from indexers.payload_formats import (
    PayloadFormat,
    labelled,
    leaves,
    path_matches,
    rewrite,
    typed_leaves,
    unlabelled,
    value_at,
)
from indexers.qdrant_store import Point, VectorStore
from indexers.rebuilt_document import Piece, cut, rebuild
from indexers.scrub_plan import ScrubPlan
from indexers.version_ledger import ChunkRow, VersionLedger
from indexers.write_behind import WriteBehind
from masking import MaskedDocument, Masker, MaskingKeys, TextDocument
from masking.entities import MaskedEntity
from masking.masker import MaskMany

SCRUB_NAMESPACE = uuid.UUID("0b6d2f61-4f0e-5a8e-9a43-5c9d0e1f2a3b")
# A batch closes at whichever comes first. A batch of 100,000 characters is worth splitting over the
# masking processes (flows/pipeline/masking_workers.py), where a batch of a few short documents would be
# masked in one process while the other cores sat idle.
DOCUMENTS_PER_BATCH = 64
# of payload JSON
BATCH_CHARS = 100_000
# points read at a time while planning
PLAN_PAGE = 1024
# (documents done, documents in all)
Progress = Callable[[int, int], None]
# what becomes of a leaf: kept, masked, masked read after its field's name (a bare number), re-keyed
KEEP, MASK, LABELLED, ID, HASH = "keep", "mask", "labelled", "id", "hash"


@dataclass
class ScrubCounts:
    points_read: int = 0
    points_written: int = 0
    points_quarantined: int = 0
    documents: int = 0
    # (doc id, reason): the masker refused
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    documents_unchanged: int = 0
    # rebuilt from their chunks' offsets and masked as one text
    documents_masked_whole: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    # dry run: a few masked chunk texts
    samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourcePoint:
    id: str
    payload: dict[str, Any] = field(repr=False)


@dataclass
class DocumentWork:
    """One source document on its way: its points, the masked result, the embedded texts."""

    doc_id: str
    points: list[SourcePoint] = field(repr=False)
    content_hash: str
    # of its points' payload JSON: what a batch is measured in
    chars: int = 0
    # per point, per leaf: keep | mask | id | hash
    kinds: list[list[str]] = field(default_factory=list)
    # chunk texts cut from the whole
    pieces: dict[str, Piece] = field(default_factory=dict, repr=False)
    masked: MaskedDocument | None = None


class Scrubber:
    """Scrubs ``source`` into ``target`` (both Qdrant collections) in ``fmt``."""

    def __init__(
        self,
        source: VectorStore,
        target: VectorStore,
        fmt: PayloadFormat,
        masker: Masker,
        embedder: Embedder,
        lineage: LineageStore,
        keys: MaskingKeys,
        run_id: str,
        *,
        doc_key: str | None = None,
        mask_many: MaskMany | None = None,
    ) -> None:
        """``mask_many``: how a batch of documents is masked, in input order, told whether more batches
        follow (default: ``masker`` here; the scrub flow passes masking split over worker processes)."""
        self.source, self.target, self.fmt = source, target, fmt
        self.masker, self.embedder, self.lineage, self.keys = masker, embedder, lineage, keys
        self.mask_many: MaskMany = mask_many or masker.masked
        self.run_id = run_id
        self.doc_keys = (doc_key,) if doc_key else fmt.doc_keys
        self.writer = IndexWriter(lineage, target, f"scrub {fmt.name}")
        self.key = hmac.new(keys.source_key, f"scrub|{target.collection}".encode(), hashlib.sha256).digest()

    # --- keys --------------------------------------------------------------------------------------

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def rekey_id(self, value: str, version: int) -> str:
        return str(uuid.uuid5(SCRUB_NAMESPACE, self._mac(f"id|{version}|{value}")))

    def document_key(self, point: SourcePoint) -> str:
        for path in self.doc_keys:
            value = value_at(point.payload, path)
            if isinstance(value, str | int) and str(value):
                return str(value)
        # no key: each point is its own document
        return f"point:{point.id}"

    # --- plan --------------------------------------------------------------------------------------

    def doc_id(self, point: SourcePoint) -> str:
        """The target's doc id of the document a point belongs to (a keyed hash of its document key)."""
        return "doc_" + self._mac(f"doc|{self.source.collection}|{self.document_key(point)}")[:24]

    def plan(self) -> ScrubPlan:
        """Point ids grouped by doc id, on disk (memory bounded by a page, not the collection)."""
        plan = ScrubPlan()
        records = self.source.scroll()
        while page := list(islice(records, PLAN_PAGE)):
            plan.add((self.doc_id(SourcePoint(str(r.id), dict(r.payload or {}))), r.id) for r in page)
        return plan

    def delete_source_except(self, kept: set[str]) -> int:
        """Delete the source's points but those of the documents in ``kept`` (quarantined: the only copy of
        a document that did not go live is not deleted); the number of points kept."""
        records, kept_points = self.source.scroll(), 0
        while page := list(islice(records, PLAN_PAGE)):
            doomed = [
                r.id for r in page if self.doc_id(SourcePoint(str(r.id), dict(r.payload or {}))) not in kept
            ]
            kept_points += len(page) - len(doomed)
            # ids sort before the scroll's next offset: deleting a page read does not move the scroll
            self.source.delete(doomed)
        return kept_points

    # --- the work ----------------------------------------------------------------------------------

    def run(self, dry_run: bool = False, progress: Progress | None = None) -> ScrubCounts:
        """Each batch's writes go to a writer thread while the next batch is read, masked and embedded
        (indexers/write_behind.py); ``progress`` counts the documents handed to it."""
        with self.plan() as plan, WriteBehind[None]() as writer:
            total = plan.documents()
            counts = ScrubCounts(documents=total)
            batch: list[DocumentWork] = []
            done = 0
            for doc_id, ids in plan:
                batch.append(self._load(doc_id, ids, counts))
                if len(batch) == DOCUMENTS_PER_BATCH or sum(w.chars for w in batch) >= BATCH_CHARS:
                    self._process(batch, counts, dry_run, writer, more_after=done + len(batch) < total)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, total)
            if batch:
                self._process(batch, counts, dry_run, writer, more_after=False)
            writer.wait()
            if batch and progress:
                progress(total, total)
        return counts

    def _load(self, doc_id: str, ids: list[models.ExtendedPointId], counts: ScrubCounts) -> DocumentWork:
        records = self.source.records(ids)
        points = sorted((SourcePoint(str(r.id), dict(r.payload or {})) for r in records), key=lambda p: p.id)
        counts.points_read += len(points)
        content = json.dumps([[p.id, p.payload] for p in points], sort_keys=True)
        return DocumentWork(doc_id, points, self._mac(f"content|{content}"), len(content))

    def _classify(self, path: str) -> str:
        fmt = self.fmt
        if path_matches(path, fmt.ids):
            return ID
        if path_matches(path, fmt.hashes):
            return HASH
        if path_matches(path, fmt.structure):
            return KEEP
        return MASK

    def _process(
        self,
        batch: list[DocumentWork],
        counts: ScrubCounts,
        dry_run: bool,
        writer: WriteBehind[None],
        more_after: bool,
    ) -> None:
        committed = DocumentCatalog(self.lineage).committed_hashes(
            self.target.collection, [w.doc_id for w in batch]
        )
        work = [w for w in batch if committed.get(w.doc_id) != w.content_hash]
        counts.documents_unchanged += len(batch) - len(work)
        documents = []
        for item in work:
            fields: dict[str, str] = {}
            # the chunk texts, where the format records their offsets
            pieces: dict[str, Piece] = {}
            for number, point in enumerate(item.points):
                kinds = []
                for leaf, (path, value, leaf_type) in enumerate(typed_leaves(point.payload)):
                    kind = MASK if leaf_type == "key" else self._classify(path)
                    if kind == MASK and leaf_type == "number":
                        kind = LABELLED
                    kinds.append(kind)
                    if kind in (MASK, LABELLED):
                        fields[f"{number}.{leaf}"] = labelled(path, value) if kind == LABELLED else value
                        if path == self.fmt.text_path and self.fmt.offsets:
                            start, end = (value_at(point.payload, name) for name in self.fmt.offsets)
                            pieces[f"{number}.{leaf}"] = (start, end, value)
                item.kinds.append(kinds)
            whole = rebuild(list(pieces.values())) if len(pieces) == len(item.points) else None
            # masked whole, the chunks cut back out of it after
            if whole is not None:
                item.pieces = pieces
                fields = {key: value for key, value in fields.items() if key not in pieces}
            documents.append(TextDocument(item.doc_id, whole or "", fields))
        for item, document, masked in zip(
            work, documents, self.mask_many(documents, more_after), strict=True
        ):
            item.masked = masked
            if item.pieces and not masked.quarantined:
                counts.documents_masked_whole += 1
                for key, (start, end, _text) in item.pieces.items():
                    masked.masked_fields[key] = cut(document.text, masked.edits, start, end)
        writable = []
        for item in work:
            assert item.masked is not None
            if item.masked.quarantined:
                counts.points_quarantined += len(item.points)
                reason = item.masked.report.quarantine_reason or "quarantined"
                counts.quarantined.append((item.doc_id, reason))
                VersionLedger(self.lineage).record_outcome(
                    self.target.collection, item.doc_id, QUARANTINED, self.run_id, reason
                )
                continue
            writable.append(item)
        payloads = {
            item.doc_id: [self._payload(item, n, version=0) for n in range(len(item.points))]
            for item in writable
        }
        texts = [
            str(value_at(p, self.fmt.text_path) or "") for item in writable for p in payloads[item.doc_id]
        ]
        if dry_run:
            counts.samples += texts[: max(0, 3 - len(counts.samples))]
            for item in writable:
                counts.entities.update(item.masked.report.entity_counts if item.masked else {})
            return
        vectors = iter(self.embedder.embed(texts))
        names = self._vector_names
        writes = []
        for item in writable:
            assert item.masked is not None
            vectors_of = [next(vectors) for _ in item.points]
            writes.append(
                VersionWrite(
                    item.doc_id,
                    item.content_hash,
                    item.masked.report.to_dict(),
                    partial(self._build, item, vectors=vectors_of, names=names),
                    source_masked=self._masked_key(item),
                )
            )
        writer.hand_over(partial(self._write, writable, writes, counts))

    @cached_property
    def _vector_names(self) -> list[str] | None:
        """The target's dense vector names, read once, before the first write: they do not change during a
        scrub, and a read of the collection while the writer thread upserts into it races in local mode."""
        return self.target.vector_names()

    def _write(self, writable: list[DocumentWork], writes: list[VersionWrite], counts: ScrubCounts) -> None:
        """A batch's versions written together (on the writer thread); only it counts what was written."""
        for item, outcome in zip(writable, self.writer.write_versions(writes, self.run_id), strict=True):
            if isinstance(outcome, Exception):
                # a store that refuses writes stops the scrub; a rerun resumes after the last batch
                raise outcome
            counts.points_written += len(item.points)
            assert item.masked is not None
            counts.entities.update(item.masked.report.entity_counts)

    def _payload(self, item: DocumentWork, number: int, version: int) -> dict[str, Any]:
        """Point ``number`` of the document rewritten: masked strings, re-keyed ids and hashes, bytes dropped."""
        assert item.masked is not None
        masked_fields = item.masked.masked_fields
        kinds = iter(enumerate(item.kinds[number]))

        def change(path: str, value: str) -> str:
            leaf, kind = next(kinds)
            if kind == MASK:
                return masked_fields[f"{number}.{leaf}"]
            if kind == LABELLED:
                return unlabelled(path, masked_fields[f"{number}.{leaf}"])
            if kind == ID:
                return self.rekey_id(value, version)
            if kind == HASH:
                return self._mac(f"hash|{value}")
            return value

        payload: dict[str, Any] = rewrite(item.points[number].payload, change)
        for name in self.fmt.dropped:
            if name in payload:
                payload[name] = None
        return payload

    def _build(
        self, item: DocumentWork, version: int, *, vectors: Sequence[list[float]], names: list[str] | None
    ) -> tuple[list[ChunkRow], list[Point]]:
        assert item.masked is not None
        by_token: dict[str, MaskedEntity] = {e.token: e for e in item.masked.entities}
        rows, points = [], []
        for number, (point, vector) in enumerate(zip(item.points, vectors, strict=True)):
            payload = self._payload(item, number, version)
            pid = self.fmt.point_id(payload, self.rekey_id(point.id, version))
            tokens = [t for t in dict.fromkeys(tokens_in(json.dumps(payload))) if t in by_token]
            entities = [
                (fp, by_token[t].entity_type, t, position > 0)
                for t in tokens
                for position, fp in enumerate(by_token[t].fingerprints)
            ]
            rows.append(ChunkRow(pid, number, 0, entities))
            points.append(Point(pid, vector if names is None else dict.fromkeys(names, vector), payload))
        return rows, points

    def _masked_key(self, item: DocumentWork) -> str:
        """The document key as masked (for the lineage's source column), or its keyed hash."""
        for leaf_path in self.doc_keys:
            for leaf, (path, _value) in enumerate(leaves(item.points[0].payload)):
                if path == leaf_path and item.masked is not None:
                    return item.masked.masked_fields.get(f"0.{leaf}", "")
        return ""
