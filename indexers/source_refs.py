"""Sealed source references: how a CLI run hands its paths to a Prefect flow run without Prefect seeing them.

Prefect stores flow-run parameters verbatim, and file and folder names can be personal data
("Maria Gonzalez maria.gonzalez@example.com.txt"). So ``ragmask ingest`` with PREFECT_API_URL set
registers its paths here first, AES-GCM sealed under a key derived from the masking secret, and the
flow run gets the opaque ``src_...`` id: the same pattern as erasure requests. A reference is
discarded when its run ends and expires after a day in any case.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from indexers.lineage import LineageStore, as_utc, utc_now
from indexers.lineage_schema import source_refs
from indexers.readers.base import SourceError
from masking import MaskingKeys
from masking.sealing import InvalidTag, open_sealed, seal

REFERENCE_TTL = timedelta(days=1)


class SourceRefs:
    """Registers, resolves and discards sealed path lists in the lineage store."""

    def __init__(self, lineage: LineageStore, keys: MaskingKeys) -> None:
        self.engine = lineage.engine
        self.keys = keys

    def register(self, paths: Sequence[Path]) -> str:
        """Seal the (absolute) paths; returns the reference id a flow run may be given."""
        ref_id = f"src_{uuid.uuid4().hex}"
        now = utc_now()
        plaintext = json.dumps([str(p.expanduser().resolve()) for p in paths]).encode()
        sealed = seal(self.keys.reference_key, plaintext, ref_id.encode())
        with self.engine.begin() as tx:
            tx.execute(delete(source_refs).where(source_refs.c.expires_at < now))
            tx.execute(insert(source_refs).values(ref_id=ref_id, created_at=now, expires_at=now + REFERENCE_TTL,
                                                  sealed=sealed))  # fmt: skip
        return ref_id

    def resolve(self, ref_id: str) -> list[Path]:
        with self.engine.begin() as tx:
            row = tx.execute(select(source_refs.c.sealed, source_refs.c.expires_at)
                             .where(source_refs.c.ref_id == ref_id)).first()  # fmt: skip
        if row is None or as_utc(row.expires_at) < utc_now():
            raise SourceError(f"no source reference {ref_id} (expired, used, or never registered)")
        try:
            paths = json.loads(open_sealed(self.keys.reference_key, bytes(row.sealed), ref_id.encode()))
        except InvalidTag:
            raise SourceError(f"source reference {ref_id} does not open with this masking key") from None
        return [Path(p) for p in paths]

    def discard(self, ref_id: str) -> None:
        with self.engine.begin() as tx:
            tx.execute(delete(source_refs).where(source_refs.c.ref_id == ref_id))
