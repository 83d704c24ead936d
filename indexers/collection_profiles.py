"""What a lineage store knows of each collection as a whole: the settings it was indexed with (its profile)
and the physical collections a full re-index replaced, kept for a rollback until they are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from indexers.lineage import LineageStore, as_utc, utc_now
from indexers.lineage_schema import collection_profiles, retired_collections


class CollectionProfiles:
    """Profiles and retired collections.

    Usage::

        CollectionProfiles(lineage).profile("docs")  # None for a collection never written
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def profile(self, collection: str) -> dict[str, Any] | None:
        with self.lineage.transaction() as tx:
            found = tx.scalar(
                select(collection_profiles.c.profile).where(collection_profiles.c.collection == collection)
            )
        return dict(found) if found is not None else None

    def set_profile(self, collection: str, profile: dict[str, Any]) -> None:
        with self.lineage.transaction() as tx:
            key = collection_profiles.c.collection == collection
            if tx.scalar(select(func.count()).select_from(collection_profiles).where(key)):
                tx.execute(
                    update(collection_profiles).where(key).values(profile=profile, updated_at=utc_now())
                )
            else:
                tx.execute(
                    insert(collection_profiles).values(
                        collection=collection, profile=profile, updated_at=utc_now()
                    )
                )

    def retire(self, name: str, collection: str, keep: timedelta) -> None:
        now = utc_now()
        with self.lineage.transaction() as tx:
            tx.execute(
                insert(retired_collections).values(
                    name=name, collection=collection, retired_at=now, delete_after=now + keep
                )
            )

    def retired(self, collection: str, due_only: bool = False) -> list[str]:
        """The retired physical collections of ``collection`` (``due_only``: those past their time)."""
        query = select(retired_collections.c.name, retired_collections.c.delete_after).where(
            retired_collections.c.collection == collection
        )
        with self.lineage.transaction() as tx:
            rows = tx.execute(query).all()
        now = utc_now()
        return sorted(row.name for row in rows if not due_only or as_utc(row.delete_after) <= now)

    def forget_retired(self, names: Sequence[str]) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(delete(retired_collections).where(retired_collections.c.name.in_(list(names))))
