"""The engine's reaction step: what on-call, notify and runbooks do when incidents change.

Incidents sit below those domains, so a change only records a marker
(:mod:`plantao.incidents.reactions`) and wakes the engines. This step, run right after the
inbox step and before the urgent jobs, claims a batch of markers (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL: engines running at once take disjoint batches) and reacts in one transaction with
a few set-based statements, from the incidents' state as it is now rather than the order the
markers were written in:

1. incidents opened → their escalation starts (policy snapshot, step 1 due now), one INSERT
   for the batch; an incident that already has one is never started twice;
2. incidents reopened and triggered now → start again from step 1 of the same snapshot;
3. incidents no longer triggered → their active escalation stops (one UPDATE: a new token
   makes pending timers stale) and pages queued before they left triggered are cancelled
   (one UPDATE);
4. alerts attached → one ``runbooks.link`` job per chunk of incidents, as intake did;
5. acknowledged by a person → they are its Incident Commander when it has none
   (``command.roles.ic_from_acknowledgements``, seed 002: "IC é o on-call até delegar");
   and a responder paged onto it (``command.responders``) answered their page;
6. opened, moved through the lifecycle or given another severity → the status-update cadence
   timer starts, stops, restarts or takes the new interval (``command.cadence``);
7. a Sev1 on a service feeding the status page, unpublished → its Comms Lead (else IC) is
   asked once to publish it (``statuspage.sev1_prompt``, seed 002);
8. the markers are deleted.

A failure rolls all of it back and the markers wait for the next cycle. Delivery checks the
pending markers when it leases a page, so a page made stale by an acknowledgement is never sent
even before this step has run. See docs/engine.md, "Reactions".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.command import cadence
from plantao.command import responders as command_responders
from plantao.command import roles as command_roles
from plantao.db import run_transaction
from plantao.incidents import reactions
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, IncidentReaction
from plantao.notify import delivery
from plantao.oncall import escalations, unresolved
from plantao.postmortems import starting as postmortem_starting
from plantao.runbooks import linking
from plantao.statuspage import sev1_prompt

#: Markers per transaction: a storm opening a thousand incidents a second is a few cycles.
BATCH = 1000


class ReactionStep:
    """The engine step; see the module docstring."""

    #: Runs before the cycle's jobs, right after the inbox step: an incident opened in this
    #: cycle has its step-1 timer due when the urgent jobs are claimed.
    before_jobs = True

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        return run_transaction(factory, lambda session: react(session, self.batch))


def react(session: Session, limit: int = BATCH) -> int:
    """React to up to ``limit`` pending markers in the caller's transaction; returns how many."""
    return react_to(session, reactions.claim(session, limit))


def react_to(session: Session, markers: Sequence[IncidentReaction]) -> int:
    """React to these markers (claimed rows, or transient ones a caller held in memory) in the
    caller's transaction; claimed rows are deleted. Returns how many."""
    if not markers:
        return 0
    incidents = {
        incident.id: incident
        for incident in session.scalars(
            select(Incident)
            .where(Incident.id.in_(sorted({m.incident_id for m in markers})))
            .order_by(Incident.id)
        )
    }
    opened = {m.incident_id for m in markers if m.kind == reactions.OPENED}
    reopened = {
        m.incident_id
        for m in markers
        if m.kind == reactions.STATUS and m.status == Status.TRIGGERED.value
    }
    left = [m for m in markers if m.kind == reactions.STATUS and m.status != Status.TRIGGERED.value]
    escalations.start_new(session, [incidents[i] for i in sorted(opened) if i in incidents])
    for incident_id in sorted(reopened - opened):
        incident = incidents.get(incident_id)
        if incident is not None and incident.status is Status.TRIGGERED:
            escalations.start(session, incident)
    # Only incidents that are not triggered now can have an escalation to stop (one opened and
    # acknowledged before this step ran, or one that left triggered): no statement otherwise.
    not_triggered = sorted(
        i
        for i in opened | {m.incident_id for m in left}
        if i in incidents and incidents[i].status is not Status.TRIGGERED
    )
    if not_triggered:
        escalations.stop_many(session, not_triggered)
    if left:
        delivery.cancel_stale_pages(
            session, sorted({m.incident_id for m in left}), [m.id for m in left]
        )
    # Acknowledged and still unresolved: escalate further later (mitigate/resolve stop it).
    acked_or_ended = sorted(opened | {m.incident_id for m in left})
    unresolved.follow(session, [incidents[i] for i in acked_or_ended if i in incidents])
    # The status-update cadence follows the status, then the severity, as they are now.
    moved = opened | {m.incident_id for m in markers if m.kind == reactions.STATUS}
    cadence.reconcile(session, [incidents[i] for i in sorted(moved) if i in incidents])
    resized = {m.incident_id for m in markers if m.kind == reactions.SEVERITY}
    cadence.resync(session, [incidents[i] for i in sorted(resized) if i in incidents])
    linking.schedule_linking_many(
        session,
        [
            (m.incident_id, [(a["labels"], a["annotations"]) for a in m.alerts or []])
            for m in markers
            if m.kind == reactions.ALERTS and m.incident_id in incidents
        ],
    )
    # 002 Paging: the on-call who acknowledges is IC until they delegate.
    command_roles.ic_from_acknowledgements(
        session,
        [
            (m.incident_id, m.actor or "")
            for m in markers
            if m.kind == reactions.STATUS
            and m.status == Status.ACKNOWLEDGED.value
            and m.incident_id in incidents
        ],
    )
    # A responder paged onto the incident who acknowledged it answered their page too.
    command_responders.answered_by_acknowledgement(
        session,
        [
            (m.incident_id, m.actor or "")
            for m in markers
            if m.kind == reactions.STATUS and m.status == Status.ACKNOWLEDGED.value
        ],
    )
    # 002: a Sev1 is published on the status page at once; ask who holds the hat (once).
    sev1_prompt.prompt_sev1(
        session, [incidents[i] for i in sorted({m.incident_id for m in markers}) if i in incidents]
    )
    # Resolved and owing a postmortem (Sev1–3) → a job starts it (postmortems.starting).
    postmortem_starting.schedule(
        session,
        [
            incidents[i]
            for i in sorted(
                {
                    m.incident_id
                    for m in markers
                    if m.kind == reactions.STATUS and m.status == Status.RESOLVED.value
                }
            )
            if i in incidents
        ],
    )
    reactions.forget(session, [m for m in markers if m.id is not None])
    return len(markers)
