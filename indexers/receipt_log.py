"""The receipts' hash chain as stored: each receipt sealed onto the chain and signed, in one writer at a
time."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select

from indexers.lineage import LineageStore, utc_now
from indexers.lineage_schema import (
    receipts,
)
from indexers.receipts import GENESIS_HASH, ReceiptSigner, StoredReceipt


class ReceiptLog:
    """Appends receipts to the chain and reads it back.

    Usage::

        ReceiptLog(lineage)
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def append_receipt(self, body: dict[str, Any], signer: ReceiptSigner) -> tuple[dict[str, Any], int]:
        """Seal and sign ``body`` onto the chain and store it; returns the receipt and the chain's length."""
        with self.lineage.transaction() as tx:
            # one writer at a time extends the chain
            if tx.dialect.name == "postgresql":
                tx.exec_driver_sql("LOCK TABLE receipts IN EXCLUSIVE MODE")
            prev = tx.scalar(select(receipts.c.hash).order_by(receipts.c.seq.desc()).limit(1))
            length = int(tx.scalar(select(func.count()).select_from(receipts)) or 0) + 1
            sealed = signer.seal(body, prev or GENESIS_HASH)
            tx.execute(
                insert(receipts).values(
                    receipt_id=sealed["receipt_id"],
                    request_id=sealed["request"]["request_id"],
                    created_at=utc_now(),
                    body=json.dumps(sealed, sort_keys=True),
                    prev_hash=sealed["prev_hash"],
                    hash=sealed["hash"],
                )
            )
        return sealed, length

    def receipts(self) -> list[StoredReceipt]:
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(
                    receipts.c.receipt_id, receipts.c.body, receipts.c.prev_hash, receipts.c.hash
                ).order_by(receipts.c.seq)
            ).all()
        return [StoredReceipt(*row) for row in rows]
