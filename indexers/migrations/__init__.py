"""Alembic migrations of the lineage store; run by indexers.lineage on open (upgrade to head)."""
