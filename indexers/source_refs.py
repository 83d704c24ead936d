"""Sealed source references: how a CLI run hands its paths to a Prefect flow run without Prefect seeing them.

Prefect stores flow-run parameters verbatim, and file and folder names can be personal data
("Maria Gonzalez maria.gonzalez@example.com.txt"). So ``ragmask ingest`` with PREFECT_API_URL set
registers its paths here first, AES-GCM sealed under a key derived from the masking secret, and the
flow run gets the opaque ``src_...`` id: the same pattern as erasure requests. A Dask worker that
prepares a batch gets the batch's entries the same way (``register_batch``). A reference is discarded when
its run (or batch) ends and expires after a day in any case.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from indexers.errors import SourceError
from indexers.lineage import LineageStore, as_utc, utc_now
from indexers.lineage_schema import source_refs
from indexers.sources import SkippedFile, SourceFile
from masking import MaskingKeys
from masking.sealing import InvalidTag, open_sealed, seal

REFERENCE_TTL = timedelta(days=1)


class SourceRefs:
    """Registers, resolves and discards sealed path lists in the lineage store."""

    def __init__(self, lineage: LineageStore, keys: MaskingKeys) -> None:
        self.lineage = lineage
        self.keys = keys

    def register(self, paths: Sequence[Path]) -> str:
        """Seal the (absolute) paths; returns the reference id a flow run may be given."""
        return self._seal([str(p.expanduser().resolve()) for p in paths])

    def resolve(self, ref_id: str) -> list[Path]:
        return [Path(p) for p in self._open(ref_id)]

    def register_batch(self, entries: Sequence[SourceFile | SkippedFile]) -> str:
        """Seal one batch of a run's source entries, for a process that prepares it elsewhere (a Dask
        worker reading the same files); the reference is discarded once the batch is written."""
        return self._seal(
            [
                {"path": str(e.path), "root": str(e.root), "scope": str(e.scope) if e.scope else None}
                if isinstance(e, SourceFile)
                else {
                    "path": str(e.path),
                    "root": str(e.root),
                    "reason": e.reason,
                    "unlisted": e.unlisted_directory,
                }
                for e in entries
            ]
        )

    def resolve_batch(self, ref_id: str) -> list[SourceFile | SkippedFile]:
        entries: list[SourceFile | SkippedFile] = []
        for entry in self._open(ref_id):
            path, root = Path(entry["path"]), Path(entry["root"])
            if "reason" in entry:
                entries.append(SkippedFile(path, root, entry["reason"], entry["unlisted"]))
            else:
                entries.append(SourceFile(path, root, Path(entry["scope"]) if entry["scope"] else None))
        return entries

    def _seal(self, content: list[Any]) -> str:
        ref_id = f"src_{uuid.uuid4().hex}"
        now = utc_now()
        sealed = seal(self.keys.reference_key, json.dumps(content).encode(), ref_id.encode())
        with self.lineage.transaction() as tx:
            tx.execute(delete(source_refs).where(source_refs.c.expires_at < now))
            tx.execute(
                insert(source_refs).values(
                    ref_id=ref_id, created_at=now, expires_at=now + REFERENCE_TTL, sealed=sealed
                )
            )
        return ref_id

    def _open(self, ref_id: str) -> list[Any]:
        with self.lineage.transaction() as tx:
            row = tx.execute(
                select(source_refs.c.sealed, source_refs.c.expires_at).where(source_refs.c.ref_id == ref_id)
            ).first()
        if row is None or as_utc(row.expires_at) < utc_now():
            raise SourceError(f"no source reference {ref_id} (expired, used, or never registered)")
        try:
            content: list[Any] = json.loads(
                open_sealed(self.keys.reference_key, bytes(row.sealed), ref_id.encode())
            )
        except InvalidTag:
            raise SourceError(f"source reference {ref_id} does not open with this masking key") from None
        return content

    def discard(self, ref_id: str) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(delete(source_refs).where(source_refs.c.ref_id == ref_id))
