"""Stakeholders: who is *Informed* (seed 002's RACI) of a service's, a team's or every incident.

A stakeholder is a person (reached through their contact methods, like a page), an e-mail list,
a Slack/Teams/Mattermost channel's incoming webhook, or a generic signed webhook. Each status
update reaches every stakeholder of its incident once, in the stakeholder's language, through
the outbox (the engine's fan-out step, ``plantao.engine.comms_fanout``).

Rows come from ``plantao.yaml`` (``origin='config'``, made exactly what the file declares by
:func:`declare`) or from the API/web (``origin='api'``, which ``plantao apply`` leaves alone).
Validation happens here, once, for both: an input that fails changes nothing.

:func:`audience_for` answers "who hears about this incident": global stakeholders, those of the
incident's team (the team owning its service) and of its service, at the stakeholder's
``min_severity`` or worse. A private incident (seed 002 security/LGPD, 003 §8.4) reaches only
``user`` stakeholders who may see it (its responders and admins), never a list or a channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from plantao import clock, urls
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog.models import Service
from plantao.command.models import STAKEHOLDER_KINDS, STAKEHOLDER_SCOPES, Stakeholder
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents.models import Incident, IncidentResponder
from plantao.incidents.severity import SEVERITY_NAMES, normalize
from plantao.people import audit
from plantao.people.actor import AuditActor
from plantao.people.models import Team, User

__all__ = [
    "CHANNEL_KINDS",
    "LANGUAGES",
    "StakeholderSpec",
    "audience_for",
    "create",
    "declare",
    "delete",
    "get",
    "list_stakeholders",
    "require_manage",
    "scope_team_id",
    "shown_address",
    "validate",
    "webhook_secrets",
]

LANGUAGES = ("en", "pt-BR")
#: Kinds that post to an address (a URL or an e-mail list) that belongs to nobody.
CHANNEL_KINDS = ("email", "slack", "teams", "mattermost", "webhook")
_URL_KINDS = ("slack", "teams", "mattermost", "webhook")
# One address, no display name, no spaces: what an SMTP RCPT TO accepts without quoting.
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class StakeholderSpec:
    """A stakeholder as declared (API body, web form or ``plantao.yaml``), before validation.

    ``user`` is a handle (kind ``user``); ``address`` an e-mail address (``email``) or an
    http(s) URL (chat webhooks, ``webhook``); ``secret`` signs a generic ``webhook``.
    """

    scope: str
    scope_slug: str
    name: str
    kind: str
    user: str | None = None
    address: str | None = None
    secret: str | None = None
    language: str = "en"
    min_severity: str = "sev4"


@dataclass(frozen=True)
class _Valid:
    spec: StakeholderSpec
    user_id: int | None
    address: str | None
    min_severity: str


def _where(spec: StakeholderSpec) -> str:
    scope = spec.scope if spec.scope == "global" else f"{spec.scope} {spec.scope_slug}"
    return f"stakeholder {spec.name!r} ({scope})"


def scope_team_id(session: Session, scope: str, scope_slug: str) -> int | None:
    """The team that owns a scope: the team itself, or the service's team; None for global
    (and for a service of no team). Raises NotFound for an unknown slug."""
    if scope == "global":
        return None
    if scope == "team":
        team_id = session.scalar(select(Team.id).where(Team.slug == scope_slug))
        if team_id is None:
            raise NotFound(f"team {scope_slug!r} does not exist")
        return team_id
    service = session.scalar(select(Service).where(Service.slug == scope_slug))
    if service is None:
        raise NotFound(f"service {scope_slug!r} does not exist")
    return service.team_id


def validate(session: Session, spec: StakeholderSpec) -> _Valid:
    """Check every field; raises ValidationFailed naming the first wrong one."""
    where = _where(spec)
    if spec.scope not in STAKEHOLDER_SCOPES:
        raise ValidationFailed(f"{where}: scope must be one of {', '.join(STAKEHOLDER_SCOPES)}")
    if spec.scope == "global" and spec.scope_slug:
        raise ValidationFailed(f"{where}: a global stakeholder names no team or service")
    if spec.scope != "global":
        try:
            scope_team_id(session, spec.scope, spec.scope_slug)
        except NotFound as exc:
            raise ValidationFailed(f"{where}: {exc}") from exc
    if not spec.name.strip() or len(spec.name) > 200:
        raise ValidationFailed(f"{where}: name must be 1-200 characters")
    if spec.kind not in STAKEHOLDER_KINDS:
        raise ValidationFailed(f"{where}: kind must be one of {', '.join(STAKEHOLDER_KINDS)}")
    if spec.language not in LANGUAGES:
        raise ValidationFailed(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    try:
        min_severity = normalize(spec.min_severity)
    except ValueError as exc:
        raise ValidationFailed(f"{where}: min_severity: {exc}") from exc
    user_id: int | None = None
    address: str | None = None
    if spec.kind == "user":
        if spec.address:
            raise ValidationFailed(f"{where}: a user stakeholder has no address")
        user_id = session.scalar(select(User.id).where(User.handle == (spec.user or "")))
        if user_id is None:
            raise ValidationFailed(f"{where}: user {spec.user!r} does not exist")
    else:
        if spec.user:
            raise ValidationFailed(f"{where}: only a user stakeholder names a user")
        address = (spec.address or "").strip()
        if not address or len(address) > urls.MAX_URL_LENGTH:
            raise ValidationFailed(f"{where}: address is empty or too long")
        if spec.kind == "email" and not _EMAIL.match(address):
            raise ValidationFailed(f"{where}: {address!r} is not an e-mail address")
        if spec.kind in _URL_KINDS and not (
            urls.safe_link(address) and not address.startswith("/")
        ):
            raise ValidationFailed(f"{where}: address must be an absolute http(s) URL")
    if spec.kind == "webhook" and not spec.secret:
        raise ValidationFailed(f"{where}: a generic webhook needs a signing secret")
    if spec.kind != "webhook" and spec.secret:
        raise ValidationFailed(f"{where}: only a generic webhook has a signing secret")
    if spec.secret and not 16 <= len(spec.secret) <= 512:
        raise ValidationFailed(f"{where}: the signing secret must be 16-512 characters")
    return _Valid(spec, user_id, address, min_severity)


def _fill(row: Stakeholder, valid: _Valid) -> None:
    spec = valid.spec
    row.kind, row.user_id, row.address = spec.kind, valid.user_id, valid.address
    row.secret, row.language, row.min_severity = spec.secret, spec.language, valid.min_severity


def create(
    session: Session,
    spec: StakeholderSpec,
    *,
    actor: str,
    origin: str = "api",
    audit_actor: AuditActor | None = None,
) -> Stakeholder:
    """Add a stakeholder; 409 when the scope already has one of that name. Flushes. With
    ``audit_actor`` (a person through the API or the web) the audit log records it."""
    valid = validate(session, spec)
    taken = session.scalar(
        select(
            exists().where(
                Stakeholder.scope == spec.scope,
                Stakeholder.scope_slug == spec.scope_slug,
                Stakeholder.name == spec.name,
            )
        )
    )
    if taken:
        raise Conflict(f"{_where(spec)} already exists")
    row = Stakeholder(
        scope=spec.scope,
        scope_slug=spec.scope_slug,
        name=spec.name,
        origin=origin,
        created_by=actor,
        created_at=clock.now(),
    )
    _fill(row, valid)
    session.add(row)
    session.flush()
    if audit_actor is not None:
        audit.record(
            session, audit_actor, "stakeholder.create", "stakeholder", row.id, after=_shown(row)
        )
    return row


def _shown(row: Stakeholder) -> dict[str, object]:
    """What the audit log keeps: never the secret, a webhook URL only up to its host."""
    return {
        "scope": row.scope,
        "scope_slug": row.scope_slug,
        "name": row.name,
        "kind": row.kind,
        "user_id": row.user_id,
        "address": shown_address(row),
        "language": row.language,
        "min_severity": row.min_severity,
    }


def get(session: Session, stakeholder_id: int) -> Stakeholder:
    row = session.get(Stakeholder, stakeholder_id)
    if row is None:
        raise NotFound(f"stakeholder {stakeholder_id} does not exist")
    return row


def list_stakeholders(session: Session) -> list[Stakeholder]:
    return list(
        session.scalars(
            select(Stakeholder).order_by(
                Stakeholder.scope, Stakeholder.scope_slug, Stakeholder.name
            )
        )
    )


def delete(session: Session, row: Stakeholder, *, audit_actor: AuditActor | None = None) -> None:
    """Remove a stakeholder; deliveries already written for them stay (they are history)."""
    if audit_actor is not None:
        audit.record(
            session, audit_actor, "stakeholder.delete", "stakeholder", row.id, before=_shown(row)
        )
    session.delete(row)
    session.flush()


def declare(
    session: Session, specs: Sequence[StakeholderSpec], *, actor: str
) -> list[tuple[str, str, str]]:
    """Make the ``origin='config'`` stakeholders exactly ``specs``; returns what changed as
    ``(action, name, detail)`` with action ``create``/``update``/``delete`` and name
    ``<scope>/<slug>/<name>`` (``global/<name>``).

    Stakeholders added through the API are left alone; a config entry that names one of them
    is refused (the API's row would silently become the file's). Applying the same input twice
    returns ``[]``. Every spec is validated before anything is written.
    """
    valids = [validate(session, spec) for spec in specs]
    keys = [(v.spec.scope, v.spec.scope_slug, v.spec.name) for v in valids]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("stakeholders: names must be unique within a scope")
    existing = {(r.scope, r.scope_slug, r.name): r for r in list_stakeholders(session)}
    changes: list[tuple[str, str, str]] = []
    for valid, key in zip(valids, keys, strict=True):
        label = "/".join(k for k in key if k)
        row = existing.get(key)
        if row is not None and row.origin != "config":
            raise ValidationFailed(f"{_where(valid.spec)} was added through the API; rename one")
        if row is None:
            create(session, valid.spec, actor=actor, origin="config")
            changes.append(("create", label, ""))
            continue
        before = _fields(row)
        _fill(row, valid)
        changed = [name for name, value in _fields(row).items() if before[name] != value]
        if changed:
            changes.append(("update", label, ", ".join(changed)))
    wanted = set(keys)
    for key, row in existing.items():
        if row.origin == "config" and key not in wanted:
            session.delete(row)
            changes.append(("delete", "/".join(k for k in key if k), ""))
    session.flush()
    return changes


def _fields(row: Stakeholder) -> dict[str, object]:
    return {
        "kind": row.kind,
        "user": row.user_id,
        "address": row.address,
        "secret": row.secret,
        "language": row.language,
        "min_severity": row.min_severity,
    }


def _at_least(severity: str) -> list[str]:
    """The ``min_severity`` values an incident of ``severity`` satisfies (sev2 → sev2..sev4)."""
    return list(SEVERITY_NAMES[SEVERITY_NAMES.index(severity) :])


def audience_for(session: Session, incident: Incident) -> list[Stakeholder]:
    """Who hears about ``incident`` (see the module docstring), ordered by id."""
    service = session.get(Service, incident.service_id)
    team_slug = None
    if service is not None and service.team_id is not None:
        team_slug = session.scalar(select(Team.slug).where(Team.id == service.team_id))
    scopes = [Stakeholder.scope == "global"]
    if service is not None:
        scopes.append((Stakeholder.scope == "service") & (Stakeholder.scope_slug == service.slug))
    if team_slug is not None:
        scopes.append((Stakeholder.scope == "team") & (Stakeholder.scope_slug == team_slug))
    query = select(Stakeholder).where(
        or_(*scopes), Stakeholder.min_severity.in_(_at_least(incident.severity))
    )
    if incident.private:
        responder = exists().where(
            IncidentResponder.incident_id == incident.id,
            IncidentResponder.user_id == Stakeholder.user_id,
        )
        admin = exists().where(User.id == Stakeholder.user_id, User.global_role == "admin")
        query = query.where(Stakeholder.kind == "user", or_(responder, admin))
    return list(session.scalars(query.order_by(Stakeholder.id)))


def webhook_secrets(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """The signing secret of the generic-webhook stakeholder at each of these URLs (the delivery
    step signs a message to a stakeholder's webhook with it); the newest wins if two share one."""
    wanted = sorted(set(addresses))
    if not wanted:
        return {}
    rows = session.execute(
        select(Stakeholder.address, Stakeholder.secret)
        .where(
            Stakeholder.kind == "webhook",
            Stakeholder.address.in_(wanted),
            Stakeholder.secret.is_not(None),
        )
        .order_by(Stakeholder.id)
    )
    return {a: s for a, s in rows if a and s}


def shown_address(row: Stakeholder) -> str | None:
    """The address as lists show it: an e-mail list in full, a webhook URL only up to its
    host, because a chat's incoming-webhook URL is itself the credential to post there."""
    if row.address is None or row.kind == "email":
        return row.address
    scheme, _, rest = row.address.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…"


def require_manage(session: Session, who: Principal, scope: str, scope_slug: str) -> None:
    """Managing a team's or service's stakeholders needs the manager role on that team; the
    global ones (and those of a service of no team) need an admin."""
    team_id = scope_team_id(session, scope, scope_slug)
    if team_id is None:
        who.require(Need.ADMIN)
    else:
        who.require(Need.MANAGE, team_id)
