"""A scrub's plan: the source's point ids grouped by document, spilled to a private temporary SQLite file.

A scrub masks a document's points together (one person, one token across its chunks), so it has to know
every point of a document before it starts on it, and a collection's points come in no useful order. The
plan holds that grouping on disk, so memory stays bounded by a page of points and a batch of documents,
not by the collection. It holds doc ids (keyed hashes of the document keys: a key can be a file name,
which is personal data) and point ids, never a key or a payload, and is deleted when the scrub ends.

Usage::

    with ScrubPlan() as plan:
        plan.add([("doc_1", 7), ("doc_2", "3f0c..."), ("doc_1", 9)])
        for doc_id, point_ids in plan:  # ("doc_1", [7, 9]), ("doc_2", ["3f0c..."])
            ...
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from qdrant_client import models


class ScrubPlan:
    """Point ids by document, in the order documents first appear; a context manager that cleans up."""

    def __init__(self) -> None:
        # mkdtemp: mode 0700
        self._folder = tempfile.TemporaryDirectory(prefix="ragmask-scrub-")
        self.path = Path(self._folder.name) / "plan.db"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE plan (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, point_id TEXT NOT NULL)"
        )

    def add(self, rows: Iterable[tuple[str, models.ExtendedPointId]]) -> None:
        """Record (doc id, point id) pairs; ids keep their type (Qdrant has integer and uuid ids)."""
        with self._db:
            self._db.executemany(
                "INSERT INTO plan (doc_id, point_id) VALUES (?, ?)",
                ((doc, json.dumps(pid)) for doc, pid in rows),
            )

    def documents(self) -> int:
        return int(self._db.execute("SELECT COUNT(DISTINCT doc_id) FROM plan").fetchone()[0])

    def __iter__(self) -> Iterator[tuple[str, list[models.ExtendedPointId]]]:
        cursor = self._db.execute(
            "SELECT doc_id, '[' || group_concat(point_id, ',') || ']' FROM plan GROUP BY doc_id ORDER BY min(seq)"
        )
        for doc_id, ids in cursor:
            yield doc_id, json.loads(ids)

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def __enter__(self) -> ScrubPlan:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
