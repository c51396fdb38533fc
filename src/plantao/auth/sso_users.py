"""Who a single sign-on login is in Plantão's directory, and what the provider's groups let them do.

``sign_in`` runs once per successful SSO login, inside the login's transaction (the web entry
point commits it together with the new browser session, so a refused login leaves nothing):

1. the user already linked to this identity (issuer and subject: the only stable pair; e-mail
   addresses and user names change) is the one who signed in;
2. else a person with the same e-mail address and no SSO identity yet is linked, when the
   provider says the address is verified (an unverified address would let anyone who can type
   an address into their IdP profile take over that account);
3. else a user is created just in time, named by ``oidc_claims.handle_from`` and a ``-2``,
   ``-3``... suffix when that handle is taken.

A disabled user is refused whichever way they were found. Then the operator's group mappings
(``plantao.auth.sso_settings``) are applied: every team named by a mapping gets the role the
person's groups grant now, and losing the group removes the membership; teams no mapping names
are left as an admin set them. When the mappings grant global roles at all, the global role is
the mapped one too (``viewer`` without a matching group), so leaving ``plantao-admins`` at the
provider ends admin rights at the next login. Each change goes through ``people.directory`` and
``people.teams`` and so lands in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.auth.oidc import OidcIdentity
from plantao.auth.oidc_claims import HANDLE_MAX, GroupMapping, handle_from, map_groups
from plantao.errors import Conflict, Unauthenticated
from plantao.people import audit, directory, teams
from plantao.people.actor import AuditActor
from plantao.people.models import Team, User

#: The global role of a person whose groups grant none while mappings manage global roles, and
#: of a person created just in time without a global mapping: reading is open to them.
DEFAULT_GLOBAL_ROLE = "viewer"
#: Suffixes tried after the handle itself before giving up (``ana-2`` ... ``ana-999``).
_MAX_SUFFIX = 999

Outcome = Literal["known", "linked", "created"]


@dataclass(frozen=True)
class SignedIn:
    """The user who signed in and how they were found."""

    user: User
    outcome: Outcome


def _identity_fields(identity: OidcIdentity) -> dict[str, Any]:
    return {"issuer": identity.issuer, "subject": identity.subject}


def _by_identity(session: Session, identity: OidcIdentity) -> User | None:
    return session.scalars(
        select(User).where(
            User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject
        )
    ).one_or_none()


def _by_verified_email(session: Session, identity: OidcIdentity) -> User | None:
    if not identity.email or not identity.email_verified:
        return None
    candidates = list(
        session.scalars(
            select(User).where(
                func.lower(User.email) == identity.email.lower(),
                User.kind == "user",
                User.oidc_subject.is_(None),
            )
        )
    )
    if len(candidates) > 1:
        raise Conflict(
            "several Plantão accounts share this e-mail address; an admin must give them "
            "distinct addresses before single sign-on can pick one"
        )
    return candidates[0] if candidates else None


def _link(session: Session, user: User, identity: OidcIdentity, actor: AuditActor) -> None:
    before = directory.snapshot(user)
    user.oidc_issuer = identity.issuer
    user.oidc_subject = identity.subject
    session.flush()
    audit.record(
        session,
        actor,
        "user.sso_link",
        "user",
        user.handle,
        before=before,
        after={**directory.snapshot(user), **_identity_fields(identity)},
    )


def free_handle(session: Session, wanted: str) -> str:
    """``wanted``, or the first of ``wanted-2``, ``wanted-3``... that nobody uses."""
    if directory.by_handle(session, wanted) is None:
        return wanted
    for number in range(2, _MAX_SUFFIX + 1):
        suffix = f"-{number}"
        candidate = wanted[: HANDLE_MAX - len(suffix)].rstrip("._-") + suffix
        if directory.by_handle(session, candidate) is None:
            return candidate
    raise Conflict(f"no free user name left for '{wanted}'; an admin must create this user")


def _create(session: Session, identity: OidcIdentity, global_role: str, source: str | None) -> User:
    handle = free_handle(session, handle_from(identity))
    actor = AuditActor(handle=handle, via="sso", source=source)
    user = directory.create(
        session,
        handle=handle,
        name=(identity.name or handle)[:200],
        email=identity.email,
        global_role=global_role,
        actor=actor,
    )
    _link(session, user, identity, AuditActor(handle, user.id, "sso", source))
    return user


def _global_role_of(groups: Sequence[str], mappings: Sequence[GroupMapping]) -> str | None:
    """The global role the mappings decide, or None when no mapping grants a global role."""
    if not any(mapping.team is None for mapping in mappings):
        return None
    return map_groups(groups, mappings).global_role or DEFAULT_GLOBAL_ROLE


def sync_roles(
    session: Session,
    user: User,
    groups: Sequence[str],
    mappings: Sequence[GroupMapping],
    *,
    actor: AuditActor,
) -> None:
    """Set the roles the mappings manage from ``groups``; leave everything else. Flushes."""
    wanted_global = _global_role_of(groups, mappings)
    if wanted_global is not None and user.global_role != wanted_global:
        directory.change(session, user, {"global_role": wanted_global}, actor=actor)
    granted = map_groups(groups, mappings).team_roles
    slugs = sorted({mapping.team for mapping in mappings if mapping.team is not None})
    if not slugs:
        return
    found = {t.slug: t for t in session.scalars(select(Team).where(Team.slug.in_(slugs)))}
    for slug in slugs:
        team = found.get(slug)
        if team is not None:  # a mapping may outlive its team: nothing to grant then
            teams.set_role(session, team, user, granted.get(slug), actor=actor)


def sign_in(
    session: Session,
    identity: OidcIdentity,
    mappings: Sequence[GroupMapping],
    *,
    source: str | None = None,
) -> SignedIn:
    """The user behind a verified SSO identity, found, linked or created, with the roles the
    mappings give their groups. Raises Unauthenticated for a disabled user and Conflict when
    the e-mail address matches several accounts. Flushes; the caller commits."""
    outcome: Outcome = "known"
    user = _by_identity(session, identity)
    if user is None:
        user = _by_verified_email(session, identity)
        outcome = "linked"
    if user is not None and user.disabled_at is not None:
        raise Unauthenticated("this account is disabled")
    if user is None:
        role = _global_role_of(identity.groups, mappings) or DEFAULT_GLOBAL_ROLE
        user = _create(session, identity, role, source)
        outcome = "created"
    actor = AuditActor(handle=user.handle, user_id=user.id, via="sso", source=source)
    if outcome == "linked":
        _link(session, user, identity, actor)
    sync_roles(session, user, identity.groups, mappings, actor=actor)
    return SignedIn(user=user, outcome=outcome)
