"""Reviewed audit findings: a finding an operator accepted as a false positive (by its keyed fingerprint,
with a reason, who and when), which later audits, scrubs and full re-indexes of the collection pass over
and list.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accepted_findings",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.String(128), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("accepted_findings")
