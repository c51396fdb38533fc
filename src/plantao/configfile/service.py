"""Applying ``plantao.yaml``: upsert what the file declares and report each change.

Idempotent: applying the same file twice reports no changes the second time. Objects missing
from the file are kept unless ``prune`` is asked for (deleting a service by omission is too easy
to do by accident). Routes are ordered and have no identity of their own, so the file's list
replaces the stored list. A dry run is the same call with the transaction rolled back by the
entry point.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog import service as catalog_service
from plantao.catalog.models import ConfigDocument, Integration, Route, Service
from plantao.catalog.service import SEVERITY_DOCUMENT
from plantao.configfile.common import Change, new_integration_key
from plantao.configfile.durations import parse_duration
from plantao.configfile.oncall_apply import apply_oncall, heartbeat_integration_ids
from plantao.configfile.schema import ConfigFile
from plantao.errors import Conflict
from plantao.people.models import Team, TeamMembership, User


def _diff(row: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed


def apply(session: Session, config: ConfigFile, *, prune: bool = False) -> list[Change]:
    changes: list[Change] = []
    teams = {t.slug: t for t in session.scalars(select(Team))}
    users = {u.handle: u for u in session.scalars(select(User))}
    services = {s.slug: s for s in session.scalars(select(Service))}
    integrations = {i.slug: i for i in session.scalars(select(Integration))}

    def upsert(
        kind: str, store: dict[str, Any], key: str, model: type, values: dict[str, Any]
    ) -> Any:
        row = store.get(key)
        if row is None:
            row = model(**values)
            session.add(row)
            store[key] = row
            changes.append(Change(kind, "create", key))
        else:
            changed = _diff(row, values)
            if changed:
                changes.append(Change(kind, "update", key, ", ".join(changed)))
        return row

    if config.teams is not None:
        for spec in config.teams:
            upsert("team", teams, spec.slug, Team, {"slug": spec.slug, "name": spec.name})
    if config.users is not None:
        for user_spec in config.users:
            upsert(
                "user",
                users,
                user_spec.handle,
                User,
                {
                    "handle": user_spec.handle,
                    "name": user_spec.name,
                    "email": user_spec.email,
                    "time_zone": user_spec.time_zone,
                    "language": user_spec.language,
                },
            )
    session.flush()
    if config.teams is not None:
        for spec in config.teams:
            team = teams[spec.slug]
            current = set(
                session.scalars(
                    select(User.handle)
                    .join(TeamMembership, TeamMembership.user_id == User.id)
                    .where(TeamMembership.team_id == team.id)
                )
            )
            wanted = set(spec.members)
            for handle in sorted(wanted - current):
                if handle not in users:
                    raise LookupError(f"teams: unknown user '{handle}'")
                session.add(TeamMembership(team_id=team.id, user_id=users[handle].id))
                changes.append(Change("team member", "create", f"{spec.slug}/{handle}"))
            for handle in sorted(current - wanted):
                session.execute(
                    delete(TeamMembership).where(
                        TeamMembership.team_id == team.id,
                        TeamMembership.user_id == users[handle].id,
                    )
                )
                changes.append(Change("team member", "delete", f"{spec.slug}/{handle}"))
    if config.services is not None:
        for svc in config.services:
            team_id = None
            if svc.team:
                if svc.team not in teams:
                    raise LookupError(f"services: unknown team '{svc.team}'")
                team_id = teams[svc.team].id
            upsert(
                "service",
                services,
                svc.slug,
                Service,
                {
                    "slug": svc.slug,
                    "name": svc.name,
                    "description": svc.description,
                    "team_id": team_id,
                },
            )
    session.flush()
    if config.integrations is not None:
        for integ in config.integrations:
            if integ.service not in services:
                raise LookupError(f"integrations: unknown service '{integ.service}'")
            values: dict[str, Any] = {
                "slug": integ.slug,
                "name": integ.name,
                "kind": integ.kind,
                "service_id": services[integ.service].id,
            }
            existing = integrations.get(integ.slug)
            if integ.key:
                values["key"] = integ.key
            elif existing is None:
                values["key"] = new_integration_key()
            row = upsert("integration", integrations, integ.slug, Integration, values)
            del row
    session.flush()
    if config.routes is not None:
        changes.extend(_replace_routes(session, config, services))
    if config.severity_matrix is not None:
        body = config.severity_matrix.document()
        doc = session.get(ConfigDocument, SEVERITY_DOCUMENT)
        if doc is None:
            session.add(ConfigDocument(name=SEVERITY_DOCUMENT, body=body, updated_at=clock.now()))
            changes.append(Change("severity matrix", "create", "severity_matrix"))
        elif doc.body != body:
            doc.body = body
            doc.updated_at = clock.now()
            changes.append(Change("severity matrix", "update", "severity_matrix"))
    changes.extend(apply_oncall(session, config, services, users, integrations))
    if prune:
        changes.extend(_prune(session, config, teams, users, services, integrations))
    if changes:
        catalog_service.bump_revision(session)
    session.flush()
    return changes


def _replace_routes(
    session: Session, config: ConfigFile, services: dict[str, Service]
) -> list[Change]:
    assert config.routes is not None
    wanted = [
        {
            "position": index,
            "name": spec.name,
            "matchers": list(spec.matchers),
            "service_id": services[spec.service].id,
            "group_by": list(spec.group_by),
            "group_window_seconds": int(parse_duration(spec.group_window).total_seconds()),
            "auto_resolve": spec.auto_resolve,
            "severity": spec.severity,
        }
        for index, spec in enumerate(config.routes)
    ]
    current = list(session.scalars(select(Route).order_by(Route.position)))
    changes: list[Change] = []
    # Positions are unique: move existing rows out of the way before renumbering.
    for row in current:
        row.position = -row.id
    session.flush()
    for index, values in enumerate(wanted):
        if index < len(current):
            row = current[index]
            changed = _diff(row, values)
            changed = [c for c in changed if c != "position"]
            if changed:
                changes.append(
                    Change("route", "update", f"#{index} {values['name']}", ", ".join(changed))
                )
        else:
            session.add(Route(**values))
            changes.append(Change("route", "create", f"#{index} {values['name']}"))
    for row in current[len(wanted) :]:
        changes.append(Change("route", "delete", f"{row.name}"))
        session.delete(row)
    return changes


def _prune(
    session: Session,
    config: ConfigFile,
    teams: dict[str, Team],
    users: dict[str, User],
    services: dict[str, Service],
    integrations: dict[str, Integration],
) -> list[Change]:
    changes: list[Change] = []
    monitors = heartbeat_integration_ids(session)
    for kind, section, store, key in (
        ("integration", config.integrations, integrations, "slug"),
        ("service", config.services, services, "slug"),
        ("user", config.users, users, "handle"),
        ("team", config.teams, teams, "slug"),
    ):
        if section is None:
            continue
        declared = {getattr(spec, key) for spec in section}
        for name, row in sorted(store.items()):
            if name not in declared and not (
                kind == "integration" and getattr(row, "id", None) in monitors
            ):
                _delete_unreferenced(session, kind, name, row)
                changes.append(Change(kind, "delete", name))
    return changes


def _delete_unreferenced(session: Session, kind: str, name: str, row: object) -> None:
    """Delete in a savepoint so that a row still in use fails with a message, not a traceback.

    Incidents, alerts and schedules keep references to services and users on purpose (history
    must survive); such an object cannot be pruned and the whole apply is refused.
    """
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"cannot prune {kind} '{name}': other objects (incidents, alerts, integrations or "
            "schedules) still refer to it; keep it in the file or remove those first"
        ) from None
