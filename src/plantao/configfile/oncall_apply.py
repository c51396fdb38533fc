"""Applying the on-call sections of ``plantao.yaml`` (called by :func:`service.apply`, which
composes it with the shared parts; this module imports only those)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.catalog.models import Integration, Service
from plantao.configfile.common import Change, new_integration_key
from plantao.configfile.durations import parse_duration
from plantao.configfile.schema import ConfigFile
from plantao.notify import contacts as notify_contacts
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec, ThrottleSpec
from plantao.oncall import default_policies, heartbeats, settings, window_store
from plantao.oncall import service as oncall_service
from plantao.people.actor import AuditActor
from plantao.people.models import User

_SIGNS = {"+": "create", "~": "update", "-": "delete", "=": "keep"}
APPLY = AuditActor(handle="config", via="config")
"""Who the audit log names for ``plantao apply`` unless the entry point says who ran it."""


def apply_oncall(
    session: Session,
    config: ConfigFile,
    services: dict[str, Service],
    users: dict[str, User],
    integrations: dict[str, Integration],
    *,
    actor: AuditActor = APPLY,
) -> list[Change]:
    """Schedules, policies and maintenance windows changed here are audited (with ``actor``)
    by the on-call verbs, like the same changes made from the API or the web UI."""
    changes: list[Change] = []

    def note(kind: str, action: str, name: str) -> None:
        if action != "keep":
            changes.append(Change(kind, action, name))

    for schedule in config.schedules or []:
        action = oncall_service.put_schedule(
            session,
            slug=schedule.slug,
            name=schedule.name,
            time_zone=schedule.time_zone,
            layers=[layer.stored() for layer in schedule.layers],
            actor=actor,
        )
        note("schedule", action, schedule.slug)
    for policy in config.escalation_policies or []:
        body = policy.snapshot().to_dict()
        note(
            "escalation policy",
            oncall_service.put_policy(
                session, slug=policy.slug, name=policy.name, body=body, actor=actor
            ),
            policy.slug,
        )
    for svc in config.services or []:
        action = oncall_service.set_service_policy(
            session, services[svc.slug], svc.escalation_policy, actor=actor
        )
        note("service policy", action, f"{svc.slug} → {svc.escalation_policy or 'none'}")
    if config.teams is not None or config.defaults is not None:
        global_slug, team_slugs = default_policies.stored(session)
        if config.defaults is not None:
            global_slug = config.defaults.escalation_policy
        if config.teams is not None:
            team_slugs = {t.slug: t.escalation_policy for t in config.teams if t.escalation_policy}
        action = default_policies.put(session, global_slug, team_slugs)
        note("default escalation policies", action, "defaults")
    changes.extend(_contacts(session, config, users))
    if config.working_hours is not None:
        body = config.working_hours.stored()
        note("working hours", settings.put(session, settings.WORKING_HOURS, body), "working_hours")
    if config.maintenance_windows is not None:
        stored = [w.stored() for w in config.maintenance_windows]
        for action, name in window_store.put_config_windows(session, stored, actor=actor):
            note("maintenance window", action, name)
    for hb in config.heartbeats or []:
        service = services[hb.service]
        integration = _heartbeat_integration(session, hb.slug, service, integrations)
        action = heartbeats.put(
            session,
            slug=hb.slug,
            name=hb.name,
            service_id=service.id,
            integration_id=integration.id,
            interval_seconds=int(parse_duration(hb.interval).total_seconds()),
            grace_seconds=int(parse_duration(hb.grace).total_seconds()),
            key=hb.key,
        )
        note("heartbeat", action, hb.slug)
    return changes


def _heartbeat_integration(
    session: Session, slug: str, service: Service, integrations: dict[str, Integration]
) -> Integration:
    """Each monitor raises its alerts through a generic integration of its own."""
    name = f"heartbeat-{slug}"[:64]
    row = integrations.get(name)
    if row is None:
        row = Integration(
            slug=name,
            name=f"Heartbeat {slug}",
            kind="generic",
            key=new_integration_key(),
            service_id=service.id,
        )
        session.add(row)
        session.flush()
        integrations[name] = row
    elif row.service_id != service.id:
        row.service_id = service.id
        session.flush()
    return row


def heartbeat_integration_ids(session: Session) -> set[int]:
    return heartbeats.integration_ids(session)


def _contacts(session: Session, config: ConfigFile, users: dict[str, User]) -> list[Change]:
    changes: list[Change] = []
    declared = [
        u
        for u in config.users or []
        if u.contact_methods is not None
        or u.notification_rules is not None
        or u.throttle is not None
    ]
    if not declared:
        return changes
    for spec in declared:
        methods = [
            ContactMethodSpec(m.name, m.type, m.address, m.secret)
            for m in spec.contact_methods or []
        ]
        rules = [
            NotificationRuleSpec(r.contact, parse_duration(r.after), r.urgency)
            for r in spec.notification_rules or []
        ]
        throttle = (
            None
            if spec.throttle is None
            else ThrottleSpec(spec.throttle.limit, parse_duration(spec.throttle.window))
        )
        for line in notify_contacts.set_contact_methods(
            session, users[spec.handle].id, methods, rules, throttle
        ):
            sign, _, rest = str(line).partition(" ")
            kind, _, name = rest.partition(" ")
            changes.append(Change(kind, _SIGNS.get(sign, "update"), name))
    return changes
