"""plantao apply for people on both databases: team members with roles, users' global roles,
service accounts, SSO group mappings, and how the file and single sign-on share memberships."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.auth import sso_settings, sso_users
from plantao.auth.oidc import OidcIdentity
from plantao.auth.oidc_claims import GroupMapping
from plantao.db import session_scope
from plantao.errors import Conflict
from plantao.people import directory, teams
from plantao.people.models import AuditEntry
from tests.factories.config import apply_config

PEOPLE = """
version: 1
teams:
  - slug: payments
    name: Payments
    members: [ana, {user: bruno, role: manager}, {user: ci}]
  - slug: platform
    name: Platform
    members: [{user: carla, role: admin}]
users:
  - {handle: ana, name: Ana, email: ana@example.com, role: admin}
  - {handle: bruno, name: Bruno}
  - {handle: carla, name: Carla, role: none}
service_accounts:
  - {handle: ci, name: CI pipeline, role: responder}
sso:
  group_mappings:
    - {group: payments-oncall, team: payments, role: responder}
    - {group: plantao-admins, role: admin}
"""


def apply(factory: sessionmaker[Session], text: str, *, prune: bool = False) -> list[str]:
    return [str(change) for change in apply_config(factory, text, prune=prune)]


def people(factory: sessionmaker[Session]) -> dict[str, tuple[str, str]]:
    """Every user's (kind, global role)."""
    with factory() as session:
        return {u.handle: (u.kind, u.global_role) for u in directory.list_users(session)}


def members(factory: sessionmaker[Session], slug: str) -> dict[str, str]:
    with factory() as session:
        team = teams.get(session, slug)
        return {user.handle: role for user, role in teams.members(session, team.id)}


def sso_login(factory: sessionmaker[Session], subject: str, groups: list[str]) -> str:
    """A person signs in with SSO (as the web callback does) and gets their mapped roles."""
    who = OidcIdentity(
        subject=subject,
        issuer="https://idp.example.com",
        email=f"{subject}@example.com",
        name=subject.title(),
        handle=subject,
        groups=tuple(groups),
        email_verified=True,
    )
    with session_scope(factory) as session:
        mappings = sso_settings.load_mappings(session)
        return sso_users.sign_in(session, who, mappings).user.handle


def test_people_are_applied_with_their_roles(factory: sessionmaker[Session]) -> None:
    """Global roles, the service account, members with roles and the mappings are stored; the
    same file again changes nothing."""
    changes = apply(factory, PEOPLE)
    assert "+ service account ci" in changes
    assert "~ sso group mappings sso.group_mappings (2 in all)" in changes
    assert people(factory) == {
        "ana": ("user", "admin"),
        "bruno": ("user", "viewer"),
        "carla": ("user", "none"),
        "ci": ("service", "responder"),
    }
    assert members(factory, "payments") == {
        "ana": "responder",
        "bruno": "manager",
        "ci": "responder",
    }
    assert members(factory, "platform") == {"carla": "admin"}
    with factory() as session:
        assert sso_settings.load_mappings(session) == [
            GroupMapping("payments-oncall", "payments", "responder"),
            GroupMapping("plantao-admins", None, "admin"),
        ]
    assert apply(factory, PEOPLE) == []


def test_roles_follow_the_file_and_are_audited(factory: sessionmaker[Session]) -> None:
    """A role changed in the file is updated in place, a member dropped is removed, a global
    role changes; each change is one audit entry naming before and after."""
    apply(factory, PEOPLE)
    edited = (
        PEOPLE.replace("{user: bruno, role: manager}", "{user: bruno, role: viewer}")
        .replace("members: [ana, ", "members: [")
        .replace("name: Bruno}", "name: Bruno, role: responder}")
    )
    changes = apply(factory, edited)
    assert "~ team member payments/bruno (role)" in changes
    assert "- team member payments/ana" in changes
    assert "~ user bruno (global_role)" in changes
    assert members(factory, "payments") == {"bruno": "viewer", "ci": "responder"}
    assert people(factory)["bruno"] == ("user", "responder")
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "team.member", AuditEntry.object_id == "payments")
            .order_by(AuditEntry.id)
        ).all()
    assert [(e.before, e.after) for e in entries][-2:] == [
        ({"user": "bruno", "role": "manager"}, {"user": "bruno", "role": "viewer"}),
        ({"user": "ana", "role": "responder"}, {"user": "ana", "role": None}),
    ]


def test_a_person_is_never_turned_into_a_service_account(factory: sessionmaker[Session]) -> None:
    """Declaring an existing person under service_accounts (or the reverse) is refused and
    nothing of the file is applied."""
    apply(factory, PEOPLE)
    swapped = PEOPLE.replace("{handle: ci, name: CI pipeline", "{handle: bruno, name: CI pipeline")
    swapped = swapped.replace("  - {handle: bruno, name: Bruno}\n", "").replace(", {user: ci}", "")
    with pytest.raises(Conflict, match="'bruno' already exists as a person"):
        apply(factory, swapped)
    as_user = PEOPLE.replace(
        "service_accounts:\n  - {handle: ci, name: CI pipeline, role: responder}\n", ""
    ).replace(
        "  - {handle: bruno, name: Bruno}\n",
        "  - {handle: bruno, name: Bruno}\n  - {handle: ci, name: CI}\n",
    )
    with pytest.raises(Conflict, match="'ci' already exists as a service account"):
        apply(factory, as_user)
    assert people(factory)["bruno"] == ("user", "viewer")
    assert people(factory)["ci"] == ("service", "responder")


def test_mappings_change_and_clear_only_from_an_sso_section(
    factory: sessionmaker[Session],
) -> None:
    """A file without sso leaves the stored mappings; an empty list clears them."""
    apply(factory, PEOPLE)
    no_sso = PEOPLE[: PEOPLE.index("sso:")]
    assert not [c for c in apply(factory, no_sso) if "sso" in c]
    with factory() as session:
        assert len(sso_settings.load_mappings(session)) == 2
    assert "~ sso group mappings sso.group_mappings (0 in all)" in apply(
        factory, no_sso + "sso: {group_mappings: []}\n"
    )
    with factory() as session:
        assert sso_settings.load_mappings(session) == []


def test_a_mapping_to_a_team_that_does_not_exist_is_refused(
    factory: sessionmaker[Session],
) -> None:
    """Without a teams section the mapping's team is checked against the database."""
    with pytest.raises(LookupError, match=r"sso.group_mappings\[0\].team: unknown team 'ghost'"):
        apply(factory, "sso: {group_mappings: [{group: g, team: ghost, role: viewer}]}\n")
    with factory() as session:
        assert sso_settings.load_mappings(session) == []


def test_the_file_leaves_sso_memberships_of_mapped_teams_to_the_groups(
    factory: sessionmaker[Session],
) -> None:
    """Dora joins payments through her group: re-applying the file (which does not list her)
    keeps her there, while a membership on a team no mapping names follows the file."""
    apply(factory, PEOPLE)
    assert sso_login(factory, "dora", ["payments-oncall"]) == "dora"
    with session_scope(factory) as session:
        dora = directory.get(session, "dora")
        teams.set_role(session, teams.get(session, "platform"), dora, "viewer")
    changes = apply(factory, PEOPLE)
    assert changes == ["- team member platform/dora"]
    assert members(factory, "payments")["dora"] == "responder"
    assert "dora" not in members(factory, "platform")


def test_prune_keeps_sso_users_and_service_accounts_of_other_sections(
    factory: sessionmaker[Session],
) -> None:
    """--prune with a users section deletes undeclared local people only; SSO-created users
    stay, and service accounts go only when a service_accounts section omits them."""
    apply(factory, PEOPLE)
    sso_login(factory, "dora", [])
    fewer = PEOPLE.replace("  - {handle: carla, name: Carla, role: none}\n", "").replace(
        "members: [{user: carla, role: admin}]", "members: []"
    )
    no_accounts = fewer.replace(
        "service_accounts:\n  - {handle: ci, name: CI pipeline, role: responder}\n", ""
    ).replace(", {user: ci}", "")
    changes = apply(factory, no_accounts, prune=True)
    assert "- user carla" in changes
    assert set(people(factory)) == {"ana", "bruno", "ci", "dora"}
    empty_accounts = no_accounts.replace("sso:", "service_accounts: []\nsso:")
    assert "- service account ci" in apply(factory, empty_accounts, prune=True)
    assert set(people(factory)) == {"ana", "bruno", "dora"}
    with factory() as session:
        deleted = session.scalars(
            select(AuditEntry.object_type).where(
                AuditEntry.action == "user.delete", AuditEntry.object_id == "ci"
            )
        ).all()
    assert deleted == ["user"]
