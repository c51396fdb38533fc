"""Learning from responders: votes on runbooks, stored per alert family, read back as the
ranker's ``adjust`` map.

A confirmation of a suggested runbook is a +1 ``confirm``, a runbook confirmed that nobody
suggested is a +1 ``link`` (the responder had to find it), a "not relevant" is a -1 ``reject``
that also hides the runbook on that incident. Votes are cast for every alert family the
incident holds (``tokens.family_key`` of its alerts' labels): the next alert of such a family
sees the runbook moved up or down by :mod:`plantao.runbooks.feedback_weights`.

One incident, one runbook, one family: at most one vote. Clicking twice, or rejecting then
confirming, replaces the earlier vote instead of adding to it, so a single incident can never
weigh more than one vote however often its page is clicked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.models import Alert
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.service import TimelineItem
from plantao.people import audit
from plantao.people.actor import AuditActor
from plantao.runbooks.document import Runbook
from plantao.runbooks.feedback_models import RunbookFeedback
from plantao.runbooks.feedback_weights import HALF_LIFE_DAYS, Vote, adjustments
from plantao.runbooks.models import RunbookLink
from plantao.runbooks.tokens import family_key

#: Votes older than this many half-lives weigh under 0.4 % of a fresh one: not read at all.
HORIZON = timedelta(days=HALF_LIFE_DAYS * 8)
#: The newest votes read per family; far more than any adjustment needs before it saturates.
MAX_VOTES = 2000
#: Alerts of an incident read to find its families (the first ones opened it).
MAX_ALERTS = 200
REASON_LENGTH = 500
FAMILY_LENGTH = 200


def family_of(labels: Mapping[str, Any]) -> str:
    """The feedback family of an alert's labels (values of any JSON type), as stored."""
    return family_key({str(k): str(v) for k, v in labels.items()})[:FAMILY_LENGTH]


def families_of(session: Session, incident_id: int) -> list[str]:
    """The alert families of an incident, in the order its alerts arrived (none for an
    incident declared by hand: there is nothing to learn against)."""
    rows = session.scalars(
        select(Alert.labels)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.id)
        .limit(MAX_ALERTS)
    )
    found: dict[str, None] = {}
    for labels in rows:
        key = family_of(labels or {})
        if key:
            found[key] = None
    return list(found)


def _vote(
    session: Session,
    incident: Incident,
    runbook_id: str,
    *,
    verdict: int,
    kind: str,
    actor: str,
    reason: str | None = None,
) -> list[str]:
    """Replace this incident's vote on the runbook (per family) with a new one; returns the
    families voted for."""
    # An incident with no alert family still keeps its vote (family ""): the ranker never
    # reads it, but a rejection must hide the runbook on the incident all the same.
    families = families_of(session, incident.id) or [""]
    session.execute(  # the earlier vote, also one cast before the incident had any alert
        delete(RunbookFeedback).where(
            RunbookFeedback.incident_id == incident.id,
            RunbookFeedback.runbook_id == runbook_id,
            RunbookFeedback.family.in_([*families, ""]),
        )
    )
    now = clock.now()
    session.add_all(
        RunbookFeedback(
            family=family,
            runbook_id=runbook_id[:100],
            verdict=verdict,
            kind=kind,
            incident_id=incident.id,
            actor=actor[:200],
            reason=(reason or None) and reason[:REASON_LENGTH],
            created_at=now,
        )
        for family in families
    )
    session.flush()
    return [f for f in families if f]


def record_confirmation(
    session: Session, incident: Incident, runbook_id: str, *, shown: bool, actor: str
) -> list[str]:
    """A responder confirmed a runbook: +1 ``confirm`` when the incident showed it (suggested,
    or linked by a matcher or annotation), +1 ``link`` when the responder brought it in by
    hand. Returns the families voted for."""
    kind = "confirm" if shown else "link"
    return _vote(session, incident, runbook_id, verdict=1, kind=kind, actor=actor)


def reject(
    session: Session,
    incident: Incident,
    runbook: Runbook,
    *,
    actor: str,
    audit_actor: AuditActor | None = None,
    reason: str | None = None,
) -> RunbookLink | None:
    """A responder says a runbook is not relevant to the incident: -1 ``reject`` for the
    incident's families and the runbook hidden on this incident (a confirmation of it is
    withdrawn), with a timeline entry and an audit entry (the vote changes what every later
    incident of the family is shown). A runbook the incident does not show can be rejected
    too (it keeps it from being suggested later); the link, if any, is returned."""
    link = session.scalars(
        select(RunbookLink).where(
            RunbookLink.incident_id == incident.id, RunbookLink.runbook_id == runbook.id
        )
    ).first()
    before: dict[str, object] = {}
    if link is not None:
        before = {"source": link.source, "score": link.score, "confirmed_by": link.confirmed_by}
        link.confirmed_at = link.confirmed_by = link.confirmed_version = None
    note = (reason or "").strip()[:REASON_LENGTH]
    families = _vote(
        session, incident, runbook.id, verdict=-1, kind="reject", actor=actor, reason=note
    )
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "runbook.rejected",
                actor,
                f"Runbook marked not relevant: {runbook.id}" + (f" ({note})" if note else ""),
                {"runbook": runbook.id, "families": families, "reason": note},
            )
        ],
    )
    audit.record(
        session,
        audit_actor or AuditActor(handle=actor, via="unknown"),
        "runbook.reject",
        "incident",
        incident.id,
        before=before or None,
        after={"runbook": runbook.id, "families": families, "reason": note},
    )
    return link


def rejected_on(session: Session, incident_id: int) -> set[str]:
    """Runbook ids a responder marked not relevant on this incident (hidden from its list)."""
    return set(
        session.scalars(
            select(RunbookFeedback.runbook_id).where(
                RunbookFeedback.incident_id == incident_id, RunbookFeedback.kind == "reject"
            )
        )
    )


def _votes(session: Session, families: Iterable[str], now: datetime) -> dict[str, list[Vote]]:
    wanted = sorted({f for f in families if f})
    found: dict[str, list[Vote]] = {f: [] for f in wanted}
    if not wanted:
        return found
    rows = session.execute(
        select(
            RunbookFeedback.family,
            RunbookFeedback.runbook_id,
            RunbookFeedback.verdict,
            RunbookFeedback.created_at,
        )
        .where(RunbookFeedback.family.in_(wanted), RunbookFeedback.created_at >= now - HORIZON)
        .order_by(RunbookFeedback.created_at.desc())
        .limit(MAX_VOTES * len(wanted))
    )
    for family, runbook_id, verdict, created_at in rows:
        if len(found[family]) < MAX_VOTES:
            found[family].append(Vote(runbook_id, verdict, created_at))
    return found


def weights_for_many(session: Session, families: Iterable[str]) -> dict[str, dict[str, float]]:
    """Family → (runbook id → score adjustment), with one query for all the families."""
    now = clock.now()
    return {
        family: adjustments(votes, now) for family, votes in _votes(session, families, now).items()
    }


def weights_for(session: Session, family: str) -> dict[str, float]:
    """Runbook id → score adjustment for alerts of ``family`` (empty for no family)."""
    return weights_for_many(session, [family]).get(family, {})


def adjust_for(
    weights: Mapping[str, Mapping[str, float]], labels: Mapping[str, Any]
) -> Mapping[str, float] | None:
    """The ``adjust`` map for one alert, picked from :func:`weights_for_many`'s answer."""
    return weights.get(family_of(labels)) or None
