"""Single sign-on users (plantao.auth.sso_users) on both databases: just-in-time creation,
linking by verified e-mail, handle collisions, refusals, and the group mappings that set team
and global roles at every login, each change audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.auth import sso_settings, sso_users
from plantao.auth.oidc import OidcIdentity
from plantao.auth.oidc_claims import GroupMapping
from plantao.db import session_scope
from plantao.errors import Conflict, Unauthenticated
from plantao.people import directory, teams
from plantao.people.models import AuditEntry, Team, User

ISSUER = "https://idp.example.com"
MAPPINGS = (
    GroupMapping(group="payments-oncall", team="payments", role="responder"),
    GroupMapping(group="payments-leads", team="payments", role="manager"),
    GroupMapping(group="sre", team="platform", role="responder"),
    GroupMapping(group="plantao-admins", team=None, role="admin"),
)


def identity(
    subject: str = "sub-ana",
    *,
    email: str | None = "ana@example.com",
    verified: bool = True,
    handle: str | None = "ana",
    name: str | None = "Ana Souza",
    groups: Sequence[str] = (),
) -> OidcIdentity:
    return OidcIdentity(
        subject=subject,
        issuer=ISSUER,
        email=email,
        name=name,
        handle=handle,
        groups=tuple(groups),
        email_verified=verified,
    )


@pytest.fixture
def world(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Teams payments, platform and sre exist."""
    with session_scope(factory) as session:
        for slug in ("payments", "platform", "sre"):
            session.add(Team(slug=slug, name=slug.title()))
    return factory


def sign_in(
    factory: sessionmaker[Session],
    who: OidcIdentity,
    mappings: Sequence[GroupMapping] = MAPPINGS,
) -> tuple[str, str]:
    """One SSO login committed as the web callback commits it; (handle, outcome)."""
    with session_scope(factory) as session:
        signed = sso_users.sign_in(session, who, mappings, source="203.0.113.7")
        return signed.user.handle, signed.outcome


def roles(factory: sessionmaker[Session], handle: str) -> tuple[str, dict[str, str]]:
    with factory() as session:
        user = directory.get(session, handle)
        return user.global_role, {t.slug: r for t, r in teams.teams_of(session, user.id)}


def audit_rows(factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def count_users(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def local_user(factory: sessionmaker[Session], handle: str, **fields: Any) -> None:
    with session_scope(factory) as session:
        directory.create(session, handle=handle, name=handle.title(), **fields)


def test_first_login_creates_a_linked_user(world: sessionmaker[Session]) -> None:
    """An unknown identity becomes a user named from its username claim, linked to the
    issuer and subject, with creation and link audited as done via sso from the address."""
    handle, outcome = sign_in(world, identity(handle="Ana.Souza"))
    assert (handle, outcome) == ("ana.souza", "created")
    with world() as session:
        user = directory.get(session, "ana.souza")
        assert (user.name, user.email, user.kind) == ("Ana Souza", "ana@example.com", "user")
        assert (user.oidc_issuer, user.oidc_subject) == (ISSUER, "sub-ana")
        assert user.global_role == "viewer"
        assert user.password_hash is None
    created = audit_rows(world, "user.create")
    assert [(e.object_id, e.via, e.source) for e in created] == [
        ("ana.souza", "sso", "203.0.113.7")
    ]
    linked = audit_rows(world, "user.sso_link")
    assert linked[0].after is not None
    assert linked[0].after["subject"] == "sub-ana"
    assert linked[0].after["sso"] is True


def test_later_logins_find_the_user_by_subject(world: sessionmaker[Session]) -> None:
    """The same subject is the same user even after the e-mail and username changed."""
    sign_in(world, identity())
    again = identity(email="ana.new@example.com", handle="someone-else", name="Ana S.")
    assert sign_in(world, again) == ("ana", "known")
    assert count_users(world) == 1


def test_a_verified_email_links_the_existing_local_user(world: sessionmaker[Session]) -> None:
    """A local user with the same e-mail (case aside) and no SSO identity is linked, not
    duplicated, and keeps their handle."""
    local_user(world, "asouza", email="Ana@Example.com")
    assert sign_in(world, identity()) == ("asouza", "linked")
    assert count_users(world) == 1
    with world() as session:
        assert directory.get(session, "asouza").oidc_subject == "sub-ana"
    assert [e.object_id for e in audit_rows(world, "user.sso_link")] == ["asouza"]


def test_an_unverified_email_never_links(world: sessionmaker[Session]) -> None:
    """Without email_verified the local account is left alone and a new user is created,
    named with a suffix because the handle is taken."""
    local_user(world, "ana", email="ana@example.com")
    assert sign_in(world, identity(verified=False)) == ("ana-2", "created")
    with world() as session:
        assert directory.get(session, "ana").oidc_subject is None


def test_an_account_linked_to_another_subject_is_not_taken_over(
    world: sessionmaker[Session],
) -> None:
    """A second identity with the same e-mail gets its own user: links are never moved."""
    sign_in(world, identity("sub-1"))
    assert sign_in(world, identity("sub-2")) == ("ana-2", "created")
    with world() as session:
        assert directory.get(session, "ana").oidc_subject == "sub-1"


def test_handle_collisions_take_the_next_free_suffix(world: sessionmaker[Session]) -> None:
    """ana and ana-2 taken: the third Ana is ana-3; a 64-character name is cut to fit."""
    local_user(world, "ana")
    local_user(world, "ana-2")
    assert sign_in(world, identity(email=None))[0] == "ana-3"
    long = "x" * 64
    local_user(world, long)
    handle, _ = sign_in(world, identity("sub-long", email=None, handle=long))
    assert handle == "x" * 62 + "-2"


def test_handle_comes_from_email_then_subject(world: sessionmaker[Session]) -> None:
    """Without a username claim the e-mail's local part names the user."""
    who = identity("sub-b", email="Bruno.Lima@example.com", handle=None, name=None)
    assert sign_in(world, who) == ("bruno.lima", "created")
    with world() as session:
        assert directory.get(session, "bruno.lima").name == "bruno.lima"


def test_several_accounts_with_the_email_refuse_the_login(world: sessionmaker[Session]) -> None:
    """Two local accounts share the verified address: Conflict, and nothing is written."""
    local_user(world, "ana", email="ana@example.com")
    local_user(world, "ana-admin", email="ANA@example.com")
    with pytest.raises(Conflict, match="several"), session_scope(world) as session:
        sso_users.sign_in(session, identity(), MAPPINGS)
    assert count_users(world) == 2
    assert audit_rows(world, "user.sso_link") == []


def test_a_disabled_user_is_refused_found_either_way(world: sessionmaker[Session]) -> None:
    """Disabled, whether found by subject or by e-mail: Unauthenticated, no link, no roles."""
    sign_in(world, identity())
    local_user(world, "bruno", email="bruno@example.com")
    with session_scope(world) as session:
        directory.set_disabled(session, directory.get(session, "ana"), True)
        directory.set_disabled(session, directory.get(session, "bruno"), True)
    for who in (
        identity(groups=["plantao-admins"]),
        identity("sub-b", email="bruno@example.com", handle="bruno", groups=["plantao-admins"]),
    ):
        with pytest.raises(Unauthenticated, match="disabled"), session_scope(world) as session:
            sso_users.sign_in(session, who, MAPPINGS)
    assert roles(world, "ana") == ("viewer", {})
    with world() as session:
        assert directory.get(session, "bruno").oidc_subject is None


def test_groups_set_team_and_global_roles(world: sessionmaker[Session]) -> None:
    """Mapped groups give roles on their teams (the highest of several wins) and the global
    admin role (a new user is created with it); each grant is audited as done via sso."""
    who = identity(groups=["payments-oncall", "payments-leads", "sre", "plantao-admins", "x"])
    sign_in(world, who)
    assert roles(world, "ana") == ("admin", {"payments": "manager", "platform": "responder"})
    members = audit_rows(world, "team.member")
    assert {(e.object_id, (e.after or {})["role"], e.via) for e in members} == {
        ("payments", "manager", "sso"),
        ("platform", "responder", "sso"),
    }
    assert [(e.after or {})["global_role"] for e in audit_rows(world, "user.create")] == ["admin"]


def test_leaving_a_group_removes_the_role_at_the_next_login(
    world: sessionmaker[Session],
) -> None:
    """Groups removed at the provider take the mapped roles away; a role an admin gave on a
    team no mapping names is kept."""
    sign_in(world, identity(groups=["payments-oncall", "sre", "plantao-admins"]))
    with session_scope(world) as session:
        user = directory.get(session, "ana")
        teams.set_role(session, teams.get(session, "sre"), user, "manager")
    sign_in(world, identity(groups=["sre"]))
    assert roles(world, "ana") == ("viewer", {"platform": "responder", "sre": "manager"})
    removed = [e for e in audit_rows(world, "team.member") if (e.after or {})["role"] is None]
    assert [(e.object_id, (e.before or {})["role"]) for e in removed] == [("payments", "responder")]


def test_an_unchanged_login_writes_no_audit(world: sessionmaker[Session]) -> None:
    """Logging in again with the same groups changes nothing and records nothing more."""
    who = identity(groups=["payments-oncall", "plantao-admins"])
    sign_in(world, who)
    with world() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    sign_in(world, who)
    with world() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_without_global_mappings_the_global_role_is_left_alone(
    world: sessionmaker[Session],
) -> None:
    """Team-only mappings never touch a global role an admin set."""
    team_only = [m for m in MAPPINGS if m.team is not None]
    sign_in(world, identity(), team_only)
    with session_scope(world) as session:
        directory.change(session, directory.get(session, "ana"), {"global_role": "manager"})
    sign_in(world, identity(groups=["sre"]), team_only)
    assert roles(world, "ana") == ("manager", {"platform": "responder"})


def test_a_mapping_to_a_missing_team_grants_nothing(world: sessionmaker[Session]) -> None:
    """A mapping that outlived its team is skipped without failing the login."""
    mappings = [GroupMapping(group="ghosts", team="ghost-team", role="admin")]
    assert sign_in(world, identity(groups=["ghosts"]), mappings) == ("ana", "created")
    assert roles(world, "ana") == ("viewer", {})


def test_mappings_round_trip_in_order_beyond_one_setting_row(
    world: sessionmaker[Session],
) -> None:
    """Forty mappings (far more than one 500-character setting holds) are stored and read back
    in order; saving the same list again is no change and writes no audit entry."""
    many = [
        GroupMapping(group=f"team-{n:02d}-oncall-group-with-a-long-name", team="sre", role="viewer")
        for n in range(40)
    ] + [GroupMapping(group="admins", team=None, role="admin")]
    with session_scope(world) as session:
        assert sso_settings.save_mappings(session, many) is True
    with session_scope(world) as session:
        assert sso_settings.load_mappings(session) == many
        assert sso_settings.save_mappings(session, many) is False
    assert len(audit_rows(world, "settings.sso_group_mappings")) == 1
    with session_scope(world) as session:
        assert sso_settings.save_mappings(session, []) is True
    with world() as session:
        assert sso_settings.load_mappings(session) == []
