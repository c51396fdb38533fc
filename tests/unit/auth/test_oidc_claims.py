"""Single sign-on claims: groups mapped to a global role and per-team roles (highest wins), and
a valid handle made from the username, the e-mail or the subject."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from plantao.auth.oidc_claims import (
    HANDLE_PATTERN,
    GroupMapping,
    MappedAccess,
    handle_from,
    map_groups,
    normalize_handle,
)

MAPPINGS = [
    GroupMapping(group="sre", team="sre", role="responder"),
    GroupMapping(group="sre-leads", team="sre", role="manager"),
    GroupMapping(group="payments", team="payments", role="viewer"),
    GroupMapping(group="payments-oncall", team="payments", role="responder"),
    GroupMapping(group="plantao-admins", team=None, role="admin"),
    GroupMapping(group="everyone", team=None, role="viewer"),
]


@dataclass(frozen=True)
class _Identity:
    subject: str
    handle: str | None = None
    email: str | None = None


def test_each_team_gets_the_highest_role_of_the_persons_groups() -> None:
    """Two groups granting the same team: the higher role wins, whatever the order."""
    access = map_groups(["sre-leads", "sre", "payments"], MAPPINGS)
    assert access == MappedAccess(
        global_role=None, team_roles={"payments": "viewer", "sre": "manager"}
    )
    assert map_groups(["sre", "sre-leads"], reversed(MAPPINGS)).team_roles["sre"] == "manager"


def test_a_mapping_without_team_grants_a_global_role() -> None:
    """team None + admin makes an installation admin; a lower global grant never lowers it."""
    access = map_groups(["everyone", "plantao-admins"], MAPPINGS)
    assert access.global_role == "admin"
    assert access.team_roles == {}
    assert map_groups(["everyone"], MAPPINGS).global_role == "viewer"


def test_unmapped_or_differently_cased_groups_grant_nothing() -> None:
    """Only exact group names map; a person in no mapped group gets no access at all."""
    access = map_groups(["SRE", "marketing", "Plantao-Admins"], MAPPINGS)
    assert access == MappedAccess(global_role=None, team_roles={})
    assert not access.grants_anything
    assert map_groups(["sre"], MAPPINGS).grants_anything


def test_a_mapping_refuses_an_unknown_role_or_an_empty_group() -> None:
    """A typo in the configured role fails where the mapping is made, not at someone's login."""
    with pytest.raises(ValueError, match="role must be one of"):
        GroupMapping(group="sre", team="sre", role="owner")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="group"):
        GroupMapping(group="", team="sre", role="viewer")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana.souza", "ana.souza"),
        ("Ana Souza", "ana-souza"),
        ("João_Gonçalves", "joao_goncalves"),
        ("ana.souza@example.com", "ana.souza"),
        ("--_.weird..Name!!", "weird..name"),
        ("x" * 100, "x" * 64),
        ("日本語", None),
        ("@example.com", None),
        ("", None),
    ],
)
def test_normalize_handle(raw: str, expected: str | None) -> None:
    """Accents dropped, lowercase, other characters become '-', 64 at most, None when empty."""
    assert normalize_handle(raw) == expected


def test_the_handle_comes_from_the_username_claim_first() -> None:
    """preferred_username wins over the e-mail when both are there."""
    assert (
        handle_from(_Identity("s1", handle="Ana.Souza", email="asouza@example.com")) == "ana.souza"
    )


def test_the_handle_falls_back_to_the_email_local_part_then_the_subject() -> None:
    """No usable username: the e-mail's local part; no e-mail either: the subject."""
    assert (
        handle_from(_Identity("s1", handle="日本", email="Bruno.Lima@example.com")) == "bruno.lima"
    )
    assert handle_from(_Identity("auth0|5f8a", handle=None, email=None)) == "auth0-5f8a"


def test_an_unusable_identity_still_gets_a_valid_stable_handle() -> None:
    """Nothing readable anywhere: 'user-' plus a digest of the subject, the same each login."""
    first = handle_from(_Identity("ユーザー"))
    assert first.startswith("user-")
    assert first == handle_from(_Identity("ユーザー"))
    assert first != handle_from(_Identity("別のユーザー"))


@pytest.mark.parametrize(
    "raw", ["Ana", "a" * 200, "ü-ber", "...", "x@y", "UPPER_lower-09", "  spaced  out  "]
)
def test_every_handle_made_is_valid(raw: str) -> None:
    """Whatever the claims hold, the handle matches the handle rule."""
    assert HANDLE_PATTERN.match(handle_from(_Identity(raw, handle=raw, email=raw)))
