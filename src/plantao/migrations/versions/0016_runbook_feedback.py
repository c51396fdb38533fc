"""runbooks: responders' feedback on suggested runbooks (confirm, reject, link) per alert family

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runbook_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("runbook_id", sa.String(length=100), nullable=False),
        sa.Column("verdict", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint("verdict IN (1, -1)", name=op.f("ck_runbook_feedback_verdict_known")),
        sa.CheckConstraint(
            "kind IN ('confirm', 'reject', 'link')", name=op.f("ck_runbook_feedback_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_runbook_feedback_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_feedback")),
    )
    with op.batch_alter_table("runbook_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_runbook_feedback_family", ["family", "runbook_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_runbook_feedback_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("runbook_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runbook_feedback_incident_id"))
        batch_op.drop_index("ix_runbook_feedback_family")

    op.drop_table("runbook_feedback")
