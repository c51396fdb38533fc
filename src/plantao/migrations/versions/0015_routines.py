"""oncall: shift checklists and their ticks, self test pages, recurring operational routines
and their tasks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 21:32:11.962058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oncall_routines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_pt", sa.String(length=200), nullable=False),
        sa.Column("recurrence", _JSON, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("remind_after_seconds", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_routines_schedule_id_oncall_schedules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_oncall_routines_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_routines")),
        sa.UniqueConstraint("slug", name=op.f("uq_oncall_routines_slug")),
    )
    op.create_table(
        "oncall_shift_checklists",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("items", _JSON, nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_shift_checklists_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_oncall_shift_checklists")),
    )
    op.create_table(
        "oncall_shift_ticks",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("shift_start", _WHEN, nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticked_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_shift_ticks_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_shift_ticks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "schedule_id", "shift_start", "item", name=op.f("pk_oncall_shift_ticks")
        ),
    )
    op.create_table(
        "oncall_test_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", _WHEN, nullable=False),
        sa.Column("delivery_keys", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_test_pages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_test_pages")),
    )
    with op.batch_alter_table("oncall_test_pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_test_pages_user_id"), ["user_id"], unique=False)

    op.create_table(
        "oncall_routine_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("routine_id", sa.Integer(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("reminded_at", _WHEN, nullable=True),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["users.id"],
            name=op.f("fk_oncall_routine_tasks_assignee_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["routine_id"],
            ["oncall_routines.id"],
            name=op.f("fk_oncall_routine_tasks_routine_id_oncall_routines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_routine_tasks")),
        sa.UniqueConstraint("routine_id", "due_at", name="uq_oncall_routine_tasks_occurrence"),
    )
    with op.batch_alter_table("oncall_routine_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_oncall_routine_tasks_due", ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oncall_routine_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_routine_tasks_due")

    op.drop_table("oncall_routine_tasks")
    with op.batch_alter_table("oncall_test_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_test_pages_user_id"))

    op.drop_table("oncall_test_pages")
    op.drop_table("oncall_shift_ticks")
    op.drop_table("oncall_shift_checklists")
    op.drop_table("oncall_routines")
