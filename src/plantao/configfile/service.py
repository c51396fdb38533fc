"""Applying ``plantao.yaml``: upsert what the file declares and report each change.

Idempotent: applying the same file twice reports no changes the second time. Objects missing
from the file are kept unless ``prune`` is asked for (deleting a service by omission is too easy
to do by accident). Routes are ordered and have no identity of their own, so the file's list
replaces the stored list. A dry run is the same call with the transaction rolled back by the
entry point.

Audited in the same transaction: one ``config.apply`` entry per apply that changed something
(the change list as ``after``, naming who ran it), plus one entry per user, team and team
member created, changed or deleted, like the same changes made from the API or the web UI.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, InternalError
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog import service as catalog_service
from plantao.catalog.models import ConfigDocument, Integration, Route, Service
from plantao.catalog.service import SEVERITY_DOCUMENT
from plantao.configfile import people_apply
from plantao.configfile.calendar_apply import apply_business_calendars
from plantao.configfile.common import Change, new_integration_key
from plantao.configfile.durations import parse_duration
from plantao.configfile.gate_apply import apply_gate_settings
from plantao.configfile.handoff_apply import apply_handoffs
from plantao.configfile.oncall_apply import APPLY, apply_oncall, heartbeat_integration_ids
from plantao.configfile.review_apply import apply_operational_review
from plantao.configfile.routine_apply import apply_routines
from plantao.configfile.schema import ConfigFile
from plantao.configfile.stakeholder_apply import apply_stakeholders
from plantao.configfile.status_apply import apply_status_pages, follow_services
from plantao.configfile.window_notice_apply import apply_window_notices
from plantao.errors import Conflict
from plantao.people import audit, directory
from plantao.people.actor import AuditActor
from plantao.people.models import Team, TeamMembership, User


def _diff(row: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed


def _team(team: Team) -> dict[str, Any]:
    return {"slug": team.slug, "name": team.name}


def _audit_people(
    session: Session,
    actor: AuditActor,
    kind: str,
    before: dict[str, dict[str, Any] | None],
    rows: dict[str, Any],
) -> None:
    """One entry per user or team of the file that was created or changed (after a flush)."""
    snap = directory.snapshot if kind == "user" else _team
    for key, was in before.items():
        now = snap(rows[key])
        if was is None:
            audit.record(session, actor, f"{kind}.create", kind, key, after=now)
        elif now != was:
            audit.record(session, actor, f"{kind}.update", kind, key, before=was, after=now)


def apply(
    session: Session, config: ConfigFile, *, prune: bool = False, actor: AuditActor = APPLY
) -> list[Change]:
    """Apply the file; ``actor`` is who ran it (``plantao apply`` passes ``cli:<os user>``)."""
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

    team_before = {
        s.slug: _team(teams[s.slug]) if s.slug in teams else None for s in config.teams or []
    }
    people_apply.check_kinds(config, users)
    user_before = {
        u.handle: directory.snapshot(users[u.handle]) if u.handle in users else None
        for u in people_apply.declared_people(config)
    }
    if config.teams is not None:
        for spec in config.teams:
            upsert("team", teams, spec.slug, Team, {"slug": spec.slug, "name": spec.name})
    for user_spec in config.users or []:
        upsert("user", users, user_spec.handle, User, people_apply.user_values(user_spec))
    for account in config.service_accounts or []:
        machine = people_apply.service_account_values(account)
        upsert("service account", users, account.handle, User, machine)
    session.flush()
    _audit_people(session, actor, "team", team_before, teams)
    _audit_people(session, actor, "user", user_before, users)
    changes.extend(people_apply.apply_sso(session, config, teams, actor))
    idp_teams = people_apply.idp_teams(session, config)
    if config.teams is not None:
        for spec in config.teams:
            team = teams[spec.slug]
            rows = session.execute(
                select(User.handle, TeamMembership.role)
                .join(TeamMembership, TeamMembership.user_id == User.id)
                .where(TeamMembership.team_id == team.id)
            ).tuples()
            current = dict(rows.all())
            wanted = spec.roles
            for handle, role in sorted(wanted.items()):
                if handle not in users:
                    raise LookupError(f"teams: unknown user '{handle}'")
                if handle not in current:
                    session.add(
                        TeamMembership(team_id=team.id, user_id=users[handle].id, role=role)
                    )
                    changes.append(Change("team member", "create", f"{spec.slug}/{handle}"))
                elif current[handle] != role:
                    session.execute(
                        update(TeamMembership)
                        .where(
                            TeamMembership.team_id == team.id,
                            TeamMembership.user_id == users[handle].id,
                        )
                        .values(role=role)
                    )
                    changes.append(Change("team member", "update", f"{spec.slug}/{handle}", "role"))
                else:
                    continue
                _audit_member(session, actor, team, handle, current.get(handle), role)
            for handle in sorted(set(current) - set(wanted)):
                if people_apply.keeps_membership(users[handle], spec.slug, idp_teams):
                    continue  # their groups at the identity provider decide
                session.execute(
                    delete(TeamMembership).where(
                        TeamMembership.team_id == team.id,
                        TeamMembership.user_id == users[handle].id,
                    )
                )
                changes.append(Change("team member", "delete", f"{spec.slug}/{handle}"))
                _audit_member(session, actor, team, handle, current[handle], None)
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
    changes.extend(apply_oncall(session, config, services, users, integrations, actor=actor))
    changes.extend(apply_stakeholders(session, config, actor=actor.handle))
    changes.extend(apply_gate_settings(session, config, services))
    changes.extend(apply_business_calendars(session, config.business_calendars, teams))
    changes.extend(apply_operational_review(session, config.operational_review))
    changes.extend(apply_status_pages(session, config))
    # After the windows and the status pages: it names both.
    changes.extend(apply_window_notices(session, config))
    changes.extend(apply_handoffs(session, config.handoffs))
    changes.extend(apply_routines(session, config, prune=prune))
    if prune:
        changes.extend(_prune(session, config, teams, users, services, integrations, actor))
        changes.extend(follow_services(session))  # the default components of pruned services
    if changes:
        catalog_service.bump_revision(session)
        real = [str(c) for c in changes if c.action != "keep"]
        if real:
            audit.record(
                session,
                actor,
                "config.apply",
                "config",
                "plantao.yaml",
                after={"changes": real, "prune": prune},
            )
    session.flush()
    return changes


def _audit_member(
    session: Session,
    actor: AuditActor,
    team: Team,
    handle: str,
    before: str | None,
    after: str | None,
) -> None:
    """The same entry as ``people.teams.set_role`` writes, so a role's history reads alike."""
    audit.record(
        session,
        actor,
        "team.member",
        "team",
        team.slug,
        before={"user": handle, "role": before},
        after={"user": handle, "role": after},
    )


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
    actor: AuditActor,
) -> list[Change]:
    changes: list[Change] = []
    monitors = heartbeat_integration_ids(session)
    for kind, section, store, key in (
        ("integration", config.integrations, integrations, "slug"),
        ("service", config.services, services, "slug"),
        ("user", config.users, people_apply.prunable_people(users, "user"), "handle"),
        (
            "service account",
            config.service_accounts,
            people_apply.prunable_people(users, "service"),
            "handle",
        ),
        ("team", config.teams, teams, "slug"),
    ):
        if section is None:
            continue
        declared = {getattr(spec, key) for spec in section}
        for name, row in sorted(store.items()):
            if name not in declared and not (
                kind == "integration" and getattr(row, "id", None) in monitors
            ):
                gone = _gone(kind, row)
                _delete_unreferenced(session, kind, name, row)
                changes.append(Change(kind, "delete", name))
                if gone is not None:
                    audited = "user" if isinstance(row, User) else kind  # service accounts too
                    audit.record(session, actor, f"{audited}.delete", audited, name, before=gone)
    return changes


def _gone(kind: str, row: object) -> dict[str, Any] | None:
    """What the audit log keeps of a pruned user or team (other kinds: the change list)."""
    if isinstance(row, User):
        return directory.snapshot(row)
    if isinstance(row, Team):
        return _team(row)
    return None


def _delete_unreferenced(session: Session, kind: str, name: str, row: object) -> None:
    """Delete in a savepoint so that a row still in use fails with a message, not a traceback.

    Incidents, alerts and schedules keep references to services and users on purpose (history
    must survive); such an object cannot be pruned and the whole apply is refused.
    """
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except (IntegrityError, InternalError):
        # InternalError: a PostgreSQL trigger refusing the cascade (e.g. the timeline's
        # append-only trigger under an incident); SQLite reports refusals as IntegrityError.
        raise Conflict(
            f"cannot prune {kind} '{name}': other objects (incidents, alerts, integrations, "
            "or schedules) still refer to it; keep it in the file or remove "
            "those first"
        ) from None
