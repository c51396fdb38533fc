"""A scripted year of incidents for "Similar past incidents": eight alert families on their
services, five resolved incidents each, with resolution notes, confirmed runbooks and
postmortems, plus the distractors a real history holds (open incidents, a private one, one
older than a year, one of a family on another service).

Rows are written directly (not through intake) because the point is a history with
resolutions spread over months, which the intake path would only reach by replaying a year.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.command.models import StatusUpdate
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, TimelineEntry
from plantao.people import teams
from plantao.postmortems.models import Postmortem
from plantao.runbooks.models import RunbookLink


@dataclass(frozen=True)
class Family:
    """One recurring problem: its alert rule, where it fires, what it says, what fixed it."""

    alertname: str
    service: str
    labels: dict[str, str]
    summary: str
    fix: str
    runbook: str


FAMILIES = (
    Family(
        "NodeFilesystemAlmostOutOfSpace",
        "storage",
        {"job": "node-exporter", "mountpoint": "/var/lib/postgresql", "cluster": "prod"},
        "Filesystem on {host} has only 4% available space left",
        "Removed old WAL archives and grew the volume",
        "node-disk-full",
    ),
    Family(
        "KubePodCrashLooping",
        "checkout",
        {"job": "kube-state-metrics", "namespace": "checkout", "container": "api"},
        "Pod checkout/{host} is in CrashLoopBackOff, restarting",
        "Rolled back the config map that broke start-up",
        "container-not-starting",
    ),
    Family(
        "HighHttpErrorRate",
        "checkout",
        {"job": "checkout-api", "namespace": "checkout", "route": "/pay"},
        "5xx error rate on checkout /pay above 5%",
        "Reverted release 2.3 of the payment client",
        "api-error-spike",
    ),
    Family(
        "PostgresqlTooManyConnections",
        "orders",
        {"job": "postgres-exporter", "datname": "orders", "cluster": "prod"},
        "PostgreSQL orders database uses 95% of max_connections",
        "Killed sessions idle in transaction and lowered the pool size",
        "db-connection-saturation",
    ),
    Family(
        "KafkaConsumerGroupLag",
        "events",
        {"job": "kafka-exporter", "consumergroup": "billing", "topic": "invoices"},
        "Consumer group billing lags behind on topic invoices",
        "Scaled the billing consumers from 3 to 6",
        "kafka-consumer-lag",
    ),
    Family(
        "CertificateExpiringSoon",
        "edge",
        {"job": "blackbox", "probe": "https"},
        "TLS certificate of api.example.com expires in 7 days",
        "Renewed the certificate through cert-manager",
        "certificate-expiry",
    ),
    Family(
        "RedisDown",
        "cache",
        {"job": "redis-exporter", "role": "master"},
        "Redis on {host} is down",
        "Restarted Redis after an out-of-memory kill and set maxmemory",
        "redis-down",
    ),
    Family(
        "RabbitmqQueueMessagesReady",
        "messaging",
        {"job": "rabbitmq-exporter", "queue": "orders.created", "vhost": "/"},
        "Queue orders.created holds 50000 ready messages",
        "Restarted the stuck consumers of orders.created",
        "rabbitmq-queues-node-down",
    ),
)
SERVICES = sorted({f.service for f in FAMILIES})
PER_FAMILY = 5
_serial = count(1)


@dataclass
class History:
    """What the history holds, by family index: the resolved incidents' ids, and the ids of
    the distractors."""

    resolved: dict[int, list[int]] = field(default_factory=dict)
    open_ids: list[int] = field(default_factory=list)
    private_id: int = 0
    too_old_id: int = 0
    other_service_id: int = 0


def service_ids(session: Session) -> dict[str, int]:
    """Create the families' services (team sre) once; their ids by slug."""
    team = teams.get(session, "sre")
    found = {s.slug: s.id for s in session.scalars(select(Service))}
    for slug in SERVICES:
        if slug not in found:
            row = Service(slug=slug, name=slug.title(), team_id=team.id)
            session.add(row)
            session.flush()
            found[slug] = row.id
    return found


def add_incident(
    session: Session,
    *,
    service_id: int,
    title: str,
    alerts: list[dict[str, str]],
    triggered_at: datetime,
    minutes: int | None,
    note: str | None = None,
    runbook: str | None = None,
    postmortem: bool = False,
    private: bool = False,
    update_fix: str | None = None,
) -> Incident:
    """One incident with its alerts; resolved ``minutes`` after it triggered (None: open),
    with the note written when resolving, a confirmed runbook, a postmortem, and a resolution
    update when asked."""
    n = next(_serial)
    ended = None if minutes is None else triggered_at + timedelta(minutes=minutes)
    incident = Incident(
        human_id=f"INC-SIM-{n}",
        title=title,
        status=Status.TRIGGERED if ended is None else Status.RESOLVED,
        severity="sev2",
        service_id=service_id,
        group_key=f"sim-{n}",
        detected_at=triggered_at,
        triggered_at=triggered_at,
        resolved_at=ended,
        last_alert_at=triggered_at,
        created_by="test",
        private=private,
    )
    session.add(incident)
    session.flush()
    integration_id = session.scalars(select(Integration.id).order_by(Integration.id)).first()
    assert integration_id is not None
    for k, labels in enumerate(alerts):
        identity = hashlib.sha256(f"{n}-{k}".encode()).hexdigest()[:32]
        session.add(
            Alert(
                integration_id=integration_id,
                service_id=service_id,
                incident_id=incident.id,
                identity=identity,
                source="alertmanager",
                status="firing" if ended is None else "resolved",
                summary=title,
                severity="sev2",
                labels=labels,
                annotations={"summary": title},
                details={},
                content_hash=identity,
                starts_at=triggered_at,
                first_seen_at=triggered_at,
                last_seen_at=triggered_at,
                resolved_at=ended,
            )
        )
    entries: list[tuple[str, str, dict[str, Any]]] = []
    if ended is not None:
        entries.append(("incident.resolved", "Resolved", {"from": "triggered", "to": "resolved"}))
        if note:
            entries.append(("note", note, {"kind": "fact"}))
    for kind, message, data in entries:
        session.add(
            TimelineEntry(
                incident_id=incident.id,
                at=ended,
                kind=kind,
                actor="ana",
                message=message,
                data=data,
            )
        )
    if runbook:
        session.add(
            RunbookLink(
                incident_id=incident.id,
                ref=runbook,
                runbook_id=runbook,
                title=runbook.replace("-", " ").capitalize(),
                source="suggestion",
                why="",
                created_at=triggered_at,
                confirmed_at=triggered_at + timedelta(minutes=2),
                confirmed_by="ana",
            )
        )
        session.add(
            RunbookLink(
                incident_id=incident.id,
                ref="high-memory",
                runbook_id="high-memory",
                title="High memory",
                source="suggestion",
                why="",
                created_at=triggered_at,
            )
        )
    if update_fix and ended is not None:
        session.add(
            StatusUpdate(
                incident_id=incident.id,
                kind="resolution",
                status="resolved",
                impact="none left",
                next_steps=[],
                resolution={"fix": update_fix, "root_cause": "capacity"},
                posted_by="ana",
                posted_at=ended,
            )
        )
    if postmortem and ended is not None:
        session.add(
            Postmortem(
                incident_id=incident.id,
                status="published",
                required=True,
                language="en",
                markdown="# Postmortem",
                version=1,
                created_by="ana",
                created_at=ended,
                updated_at=ended,
            )
        )
    session.flush()
    return incident


def alert_labels(family: Family, host: str) -> dict[str, str]:
    return {
        "alertname": family.alertname,
        "severity": "critical",
        "instance": f"{host}:9100",
        "pod": f"{host}-7d9f8-x2k4q",
        **family.labels,
    }


def build(session: Session, now: datetime) -> History:
    """The scripted history, relative to ``now``."""
    services = service_ids(session)
    history = History()
    for f_index, family in enumerate(FAMILIES):
        ids = []
        for k in range(PER_FAMILY):
            host = f"{family.service}-{k}"
            at = now - timedelta(days=20 + 60 * k + f_index)
            incident = add_incident(
                session,
                service_id=services[family.service],
                title=family.summary.format(host=host),
                alerts=[alert_labels(family, host)],
                triggered_at=at,
                minutes=30 + 7 * k + f_index,
                note=family.fix if k % 2 == 0 else None,
                update_fix=family.fix if k % 2 == 1 else None,
                runbook=family.runbook,
                postmortem=k == 0,
            )
            ids.append(incident.id)
        history.resolved[f_index] = ids
    disk = FAMILIES[0]
    history.private_id = add_incident(
        session,
        service_id=services[disk.service],
        title="Secret: disk filled by the LGPD export on storage-9",
        alerts=[alert_labels(disk, "storage-9")],
        triggered_at=now - timedelta(days=3),
        minutes=15,
        note="Deleted the leaked export",
        private=True,
    ).id
    history.too_old_id = add_incident(
        session,
        service_id=services[disk.service],
        title=disk.summary.format(host="storage-old"),
        alerts=[alert_labels(disk, "storage-old")],
        triggered_at=now - timedelta(days=400),
        minutes=20,
    ).id
    history.other_service_id = add_incident(
        session,
        service_id=services["cache"],
        title=disk.summary.format(host="cache-7"),
        alerts=[{**alert_labels(disk, "cache-7"), "mountpoint": "/data"}],
        triggered_at=now - timedelta(days=8),
        minutes=25,
    ).id
    for family in FAMILIES[:2]:
        history.open_ids.append(
            add_incident(
                session,
                service_id=services[family.service],
                title=family.summary.format(host="still-open"),
                alerts=[alert_labels(family, "still-open")],
                triggered_at=now - timedelta(hours=5),
                minutes=None,
            ).id
        )
    return history


def probe(session: Session, family_index: int, now: datetime) -> Incident:
    """A new, open incident of one family (another host, so per-instance labels differ)."""
    family = FAMILIES[family_index]
    return add_incident(
        session,
        service_id=service_ids(session)[family.service],
        title=family.summary.format(host="probe-host"),
        alerts=[alert_labels(family, "probe-host")],
        triggered_at=now - timedelta(minutes=10),
        minutes=None,
    )
