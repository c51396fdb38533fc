"""The people sections of plantao.yaml: team members with roles, users' global role, service
accounts and SSO group mappings load as declared, and each mistake is reported by its path."""

from __future__ import annotations

import pytest

from plantao.configfile.schema import ConfigError, load_text

PEOPLE = """
version: 1
teams:
  - slug: payments
    name: Payments
    members: [ana, {user: bruno, role: manager}, {user: ci}]
users:
  - {handle: ana, name: Ana, role: admin}
  - {handle: bruno, name: Bruno}
service_accounts:
  - {handle: ci, name: CI pipeline, role: responder}
sso:
  group_mappings:
    - {group: payments-oncall, team: payments, role: responder}
    - {group: plantao-admins, role: admin}
"""


ADMINS = "{group: plantao-admins, role: admin}"
ONCALL = "team: payments, role: responder"
CI = "name: CI pipeline, role: responder"
BRUNO = "  - {handle: bruno, name: Bruno}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_text(text)
    return refused.value.problems


def test_people_sections_load_with_their_defaults() -> None:
    """A bare member is a responder, a user without role a viewer, a mapping without team is
    global; service accounts keep their role."""
    config = load_text(PEOPLE)
    assert config.teams is not None and config.users is not None
    assert config.teams[0].roles == {"ana": "responder", "bruno": "manager", "ci": "responder"}
    assert [(u.handle, u.role) for u in config.users] == [("ana", "admin"), ("bruno", "viewer")]
    assert config.service_accounts is not None
    assert [(a.handle, a.role) for a in config.service_accounts] == [("ci", "responder")]
    assert config.sso is not None
    assert [(m.group, m.team, m.role) for m in config.sso.group_mappings] == [
        ("payments-oncall", "payments", "responder"),
        ("plantao-admins", None, "admin"),
    ]


def test_a_file_without_people_sections_still_loads() -> None:
    """Every people section is optional."""
    config = load_text("version: 1\n")
    assert (config.users, config.service_accounts, config.sso) == (None, None, None)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("{user: bruno, role: manager}", "{user: bruno, role: boss}"), "teams[0].members[1].role"),
        (("{user: ci}", "{user: ci, rol: viewer}"), "teams[0].members[2].rol: unknown field"),
        (("{user: ci}", "{role: viewer}"), "teams[0].members[2].user"),
        (("name: Ana, role: admin", "name: Ana, role: root"), "users[0].role"),
        (
            (CI, "name: CI, role: owner"),
            "service_accounts[0].role",
        ),
        (("{handle: ci,", "{handle: CI!,"), "service_accounts[0].handle"),
        (
            (ONCALL, "team: payments, role: oncall"),
            "sso.group_mappings[0].role",
        ),
        (
            (ADMINS, "{group: '', role: admin}"),
            "sso.group_mappings[1].group",
        ),
        ((ADMINS, "{group: x}"), "sso.group_mappings[1].role"),
        (
            ("group_mappings:", "issuer: x\n  group_mappings:"),
            "sso.issuer: unknown field",
        ),
    ],
)
def test_bad_values_are_named_by_path(change: tuple[str, str], expected: str) -> None:
    """Each invalid field is reported at its path in the file."""
    old, new = change
    assert old in PEOPLE
    found = problems(PEOPLE.replace(old, new))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("{user: ci}", "{user: zed}"), "teams[0].members[2]: unknown user 'zed'"),
        (("{user: ci}", "{user: ana, role: viewer}"), "teams[0].members[2]: 'ana' is listed twice"),
        (
            ("{handle: ci, name: CI pipeline", "{handle: bruno, name: CI pipeline"),
            "service_accounts[0].handle: 'bruno' is also in users",
        ),
        (
            (
                "  - {handle: bruno, name: Bruno}\n",
                "  - {handle: bruno, name: Bruno}\n  - {handle: bruno, name: B2}\n",
            ),
            "users[2].handle: duplicate 'bruno'",
        ),
        (
            (ONCALL, "team: nope, role: responder"),
            "sso.group_mappings[0].team: unknown team 'nope'",
        ),
        (
            (
                "{group: plantao-admins, role: admin}",
                "{group: payments-oncall, team: payments, role: manager}",
            ),
            "sso.group_mappings[1]: group 'payments-oncall' is mapped twice for team 'payments'",
        ),
    ],
)
def test_bad_references_are_named_by_path(change: tuple[str, str], expected: str) -> None:
    """Members, service accounts and mappings must name what the file declares, once."""
    old, new = change
    assert old in PEOPLE
    assert expected in problems(PEOPLE.replace(old, new))


def test_members_may_name_people_of_another_file_when_users_are_not_declared() -> None:
    """Without a users section the members are checked at apply time, against the database."""
    config = load_text("teams: [{slug: a, name: A, members: [someone]}]\n")
    assert config.teams is not None
    assert config.teams[0].roles == {"someone": "responder"}
