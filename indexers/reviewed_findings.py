"""Reviewed audit findings: what an operator accepted as a false positive, in the lineage store.

An audit that fails closed on a finding in filler prose ("Aperiam" read as a name) would fail every scrub
and nightly rebuild of the collection. ``ragmask audit accept FINGERPRINT... --reason TEXT`` records the
finding's keyed fingerprint (masking.fingerprints.finding_fingerprint: never the value) with the reason,
who and when; later audits, scrubs and full re-indexes of the collection pass over it and list it with
its record, so nothing is hidden.

Usage::

    accept_findings(lineage, "docs", ["3f0c9a..."], "Latin filler, no person", "alice")
    accepted_findings(lineage, "docs")  # {"3f0c9a...": {"reason": ..., "accepted_by": ..., "accepted_at": ...}}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from indexers.errors import LineageError
from indexers.lineage import LineageStore, utc_now
from indexers.lineage_schema import accepted_findings as table
from masking.fingerprints import FINDING_LENGTH

FINGERPRINT = re.compile(rf"[0-9a-f]{{{FINDING_LENGTH}}}")


class FindingReviewError(LineageError):
    """An acceptance that cannot be recorded as asked; one line, no values."""


def accept_findings(
    lineage: LineageStore, collection: str, fingerprints: Sequence[str], reason: str, accepted_by: str
) -> int:
    """Record the fingerprints as reviewed false positives of ``collection`` (again: the newest reason
    wins); returns how many."""
    if not reason.strip():
        raise FindingReviewError("--reason is required: say why the finding is no personal data")
    wrong = [f for f in fingerprints if not FINGERPRINT.fullmatch(f)]
    if wrong or not fingerprints:
        raise FindingReviewError(
            f"not a finding fingerprint ({FINDING_LENGTH} hex characters, as `ragmask "
            f"audit --json` lists them): {wrong[0] if wrong else '(none given)'!r}"
        )
    now = utc_now()
    with lineage.transaction() as tx:
        tx.execute(
            delete(table).where(table.c.collection == collection, table.c.fingerprint.in_(fingerprints))
        )
        tx.execute(
            insert(table),
            [
                {
                    "collection": collection,
                    "fingerprint": f,
                    "reason": reason.strip(),
                    "accepted_by": accepted_by,
                    "accepted_at": now,
                }
                for f in dict.fromkeys(fingerprints)
            ],
        )
    return len(set(fingerprints))


def accepted_findings(lineage: LineageStore, collection: str) -> dict[str, dict[str, Any]]:
    """The collection's accepted fingerprints with their records (reason, who, when as ISO 8601)."""
    with lineage.transaction() as tx:
        rows = tx.execute(select(table).where(table.c.collection == collection)).all()
    return {
        row.fingerprint: {
            "reason": row.reason,
            "accepted_by": row.accepted_by,
            "accepted_at": row.accepted_at.isoformat(),
        }
        for row in rows
    }
