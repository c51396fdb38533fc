"""The Learn step's suggested follow-ups for a postmortem (seed 002 lifecycle step 8: review the
runbook, the dashboard and the alert; write an ADR).

Each suggestion has a stable ``key`` — the same incident gives the same keys on every read — so
adding one is ``POST /api/v1/postmortems/{id}/actions`` with ``origin`` = its key, and a
suggestion already added as an action is not offered again. Keys fit the action's ``origin``
column (32 characters): a runbook by its link's row id, an alert by a digest of its name.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.postmortems.models import CorrectiveAction, Postmortem
from plantao.runbooks.linking import LINKED_SOURCES
from plantao.runbooks.models import RunbookLink

KIND = "follow_up"
#: Alert names suggested at most (the ones that fired most).
TOP_ALERTS = 3
#: Alerts read to count names: a storm incident's newest ones are enough to rank them.
ALERTS_READ = 2000
RUNBOOKS_MAX = 5


@dataclass(frozen=True)
class Suggestion:
    key: str
    kind: str
    title_en: str
    title_pt_br: str

    def title(self, language: str) -> str:
        return self.title_pt_br if language == "pt-BR" else self.title_en


def _alert_key(name: str) -> str:
    return "alert-" + hashlib.sha256(name.encode()).hexdigest()[:16]


def _runbooks(session: Session, incident_id: int) -> list[Suggestion]:
    rows = session.scalars(
        select(RunbookLink)
        .where(
            RunbookLink.incident_id == incident_id,
            or_(RunbookLink.source.in_(LINKED_SOURCES), RunbookLink.confirmed_at.is_not(None)),
        )
        .order_by(RunbookLink.id)
        .limit(RUNBOOKS_MAX)
    )
    return [
        Suggestion(
            f"runbook-{row.id}",
            KIND,
            f"Review runbook {row.title}",
            f"Revisar o runbook {row.title}",
        )
        for row in rows
    ]


def _alerts(session: Session, incident_id: int) -> list[Suggestion]:
    labels = session.scalars(
        select(Alert.labels)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.id.desc())
        .limit(ALERTS_READ)
    )
    names = Counter(
        str(lab.get("alertname"))[:200] for lab in labels if lab and lab.get("alertname")
    )
    return [
        Suggestion(
            _alert_key(name),
            KIND,
            f"Review the alert {name}",
            f"Revisar o alerta {name}",
        )
        for name, _ in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ALERTS]
    ]


def every(session: Session, incident: Incident) -> list[Suggestion]:
    """Every follow-up the Learn step offers for this incident, added or not."""
    service = session.get(Service, incident.service_id)
    name = service.name if service is not None else "?"
    return [
        *_runbooks(session, incident.id),
        *_alerts(session, incident.id),
        Suggestion(
            "dashboard",
            KIND,
            f"Review the dashboard for {name}",
            f"Revisar o dashboard de {name}",
        ),
        Suggestion(
            "adr",
            KIND,
            "Write an ADR if a design decision changed",
            "Escrever um ADR se uma decisão de design mudou",
        ),
    ]


def pending(session: Session, postmortem: Postmortem, incident: Incident) -> list[Suggestion]:
    """The suggestions not yet added as actions of ``postmortem``."""
    taken = set(
        session.scalars(
            select(CorrectiveAction.origin).where(
                CorrectiveAction.postmortem_id == postmortem.id,
                CorrectiveAction.origin.is_not(None),
            )
        )
    )
    return [s for s in every(session, incident) if s.key not in taken]


def find(session: Session, incident: Incident, key: str) -> Suggestion | None:
    return next((s for s in every(session, incident) if s.key == key), None)
