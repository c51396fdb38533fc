"""people: user kinds and roles, team roles, tokens owned by users with scopes and expiry,
user-bound sessions, login settings, incident responders, the append-only audit log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00

Existing tokens keep working: each becomes the token of a service account named after it, whose
global role is the token's old role. Browser sessions are ephemeral and are not carried over
(everyone logs in again once).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_AUDIT_SQLITE = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
)
_AUDIT_POSTGRES = (
    "CREATE FUNCTION plantao_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION plantao_audit_append_only()",
)
_SCOPE_OF_ROLE = {"admin": "admin", "responder": "respond", "viewer": "read"}


def _sessions_table(*, by_user: bool) -> None:
    owner = "user_id" if by_user else "token_id"
    target = "users.id" if by_user else "api_tokens.id"
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_hash", sa.String(length=64), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
    ]
    if by_user:
        columns += [
            sa.Column("previous_sid_hash", sa.String(length=64), nullable=True),
            sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("method", sa.String(length=16), nullable=False),
            sa.Column("source", sa.String(length=64), nullable=True),
        ]
    op.create_table(
        "web_sessions",
        *columns,
        sa.ForeignKeyConstraint(
            [owner],
            [target],
            name=op.f(f"fk_web_sessions_{owner}_{target.split('.', maxsplit=1)[0]}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("sid_hash", name=op.f("uq_web_sessions_sid_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_web_sessions_{owner}"), [owner], unique=False)
        if by_user:
            batch_op.create_index(
                batch_op.f("ix_web_sessions_previous_sid_hash"), ["previous_sid_hash"]
            )


def _service_handle(name: str, taken: set[str]) -> str:
    base = "svc-" + (re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "token")
    handle, n = base[:60], 1
    while handle in taken:
        n += 1
        handle = f"{base[:56]}-{n}"
    taken.add(handle)
    return handle


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="user", nullable=False)
        )
        batch_op.add_column(
            sa.Column("global_role", sa.String(length=16), server_default="viewer", nullable=False)
        )
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("login_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint("kind_known", "kind IN ('user', 'service')")
        batch_op.create_check_constraint(
            "global_role_known",
            "global_role IN ('none', 'viewer', 'responder', 'manager', 'admin')",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"]
        )
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), server_default="responder", nullable=False)
        )
        batch_op.create_check_constraint(
            "role_known", "role IN ('viewer', 'responder', 'manager', 'admin')"
        )

    op.drop_table("web_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scopes", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    taken = {row[0] for row in bind.execute(sa.text("SELECT handle FROM users"))}
    now = datetime.now(UTC)
    for token_id, name, role in bind.execute(
        sa.text("SELECT id, name, role FROM api_tokens ORDER BY id")
    ).all():
        handle = _service_handle(name, taken)
        user_id = bind.execute(
            sa.text(
                "INSERT INTO users (handle, name, time_zone, language, kind, global_role, "
                "login_failures, created_at) VALUES (:h, :n, 'UTC', 'en', 'service', :r, 0, :now) "
                "RETURNING id"
            ),
            {"h": handle, "n": name[:200], "r": role, "now": now},
        ).scalar_one()
        bind.execute(
            sa.text("UPDATE api_tokens SET user_id = :u, scopes = :s WHERE id = :t"),
            {"u": user_id, "s": _SCOPE_OF_ROLE.get(role, "read"), "t": token_id},
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.drop_column("role")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("scopes", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_user_id_users"),
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
    _sessions_table(by_user=True)

    op.create_table(
        "auth_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_settings")),
    )
    op.create_table(
        "incident_responders",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_responders_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_responders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "user_id", name=op.f("pk_incident_responders")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before", _JSON, nullable=True),
        sa.Column("after", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index("ix_audit_actor", ["actor"], unique=False)
    statements = _AUDIT_POSTGRES if bind.dialect.name == "postgresql" else _AUDIT_SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS plantao_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_actor")
        batch_op.drop_index("ix_audit_object")
        batch_op.drop_index("ix_audit_at")
    op.drop_table("audit_entries")
    op.drop_table("incident_responders")
    op.drop_table("auth_settings")
    op.drop_table("web_sessions")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=True))
    bind.execute(
        sa.text(
            "UPDATE api_tokens SET role = CASE "
            "WHEN scopes LIKE '%admin%' THEN 'admin' "
            "WHEN scopes LIKE '%respond%' THEN 'responder' ELSE 'viewer' END"
        )
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_user_id_users"), type_="foreignkey")
        batch_op.alter_column("role", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint("role_known", "role IN ('admin', 'responder', 'viewer')")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
        batch_op.drop_column("user_id")
    _sessions_table(by_user=False)
    # Service accounts existed only to own tokens; the old schema has no place for them.
    bind.execute(sa.text("DELETE FROM users WHERE kind = 'service'"))

    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.drop_column("role")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_oidc_issuer_oidc_subject"), type_="unique")
        batch_op.drop_constraint("global_role_known", type_="check")
        batch_op.drop_constraint("kind_known", type_="check")
        for column in (
            "created_at",
            "locked_until",
            "login_failures",
            "disabled_at",
            "oidc_subject",
            "oidc_issuer",
            "password_hash",
            "global_role",
            "kind",
        ):
            batch_op.drop_column(column)
