"""Sample incidents a template must render before it is accepted: every severity, once with
every optional fact set and once with none of them (no update yet, no roles, no notes).

An override is saved only when it renders for all of these (``comms.overrides``), and the
tests render every shipped template with them, so a template that names a variable the facts
do not have, or assumes an optional one is there, is refused before anyone receives it. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plantao.comms.facts import (
    DataLoss,
    EscalationAsk,
    IncidentFacts,
    NextStep,
    Note,
    UpdateFacts,
)

SEVERITIES = (("sev1", "P0", 15), ("sev2", "P1", 30), ("sev3", "P2", 120), ("sev4", "P3", None))
_START = datetime(2026, 3, 14, 13, 5, tzinfo=UTC)


def _update(kind: str, status: str, start: datetime) -> UpdateFacts:
    resolution = kind == "resolution"
    return UpdateFacts(
        kind=kind,
        status=status,
        impact="About 12% of checkout requests fail for customers in the EU",
        posted_by="ana",
        posted_at=start + timedelta(minutes=25),
        symptoms="HTTP 5xx around 12%, p95 latency 1.4 s",
        mitigation="feature flag checkout.new_tax off; canary at 0%",
        next_steps=(
            NextStep("Drain the payments DLQ", "bruno", start + timedelta(minutes=55)),
            NextStep("Add two database replicas", None, None),
            NextStep("Check the tax provider's status", "carla", None),
        ),
        next_update_due_at=None if resolution else start + timedelta(minutes=40),
        duration_minutes=38 if resolution else None,
        root_cause="a connection leak in the tax client" if resolution else None,
        fix="rolled back to v1.2.0" if resolution else None,
        monitoring="the next 2 hours" if resolution else None,
        postmortem_at=start + timedelta(days=1, hours=2) if resolution else None,
    )


def full(severity: str, priority: str, every: int | None, *, resolved: bool) -> IncidentFacts:
    """An incident with every optional fact filled in (resolved or still open)."""
    start = _START
    latest = _update(
        "resolution" if resolved else "update", "resolved" if resolved else "identified", start
    )
    return IncidentFacts(
        ref="INC-20260314-3",
        title="Checkout fails for some EU customers",
        severity=severity,
        priority=priority,
        status="resolved" if resolved else "mitigated",
        service="checkout-api",
        url="https://plantao.example.com/incidents/INC-20260314-3",
        detected_at=start - timedelta(minutes=2),
        triggered_at=start,
        description="Customer support reports failed payments since 13:00.",
        private=True,
        commander="ana",
        comms_lead="bruno",
        roles=(("incident_commander", "ana"), ("comms_lead", "bruno"), ("sme", "carla")),
        rca_due_at=start + timedelta(hours=48),
        update_every_minutes=every,
        status_page_url="https://status.example.com",
        resolved_at=start + timedelta(minutes=38) if resolved else None,
        latest=latest,
        history=(_update("initial", "investigating", start), latest),
        acknowledged_at=start + timedelta(minutes=3),
        mitigated_at=start + timedelta(minutes=20),
        as_of=start + timedelta(minutes=45),
        notes=(
            Note("fact", "Errors started with the 13:00 deploy", "ana", start),
            Note("inference", "The new tax client leaks connections", "carla", start),
            Note("action", "Restarted the checkout pods: no change", "bruno", start),
            Note("decision", "Roll back instead of patching forward", "ana", start),
        ),
        risk="high",
        risk_rationale="payments and personal data involved",
        organisation="ACME Payments",
        escalation=EscalationAsk(
            "Root cause unknown; the errors are intermittent",
            "Put checkout in maintenance mode",
            15,
        ),
        data_loss=DataLoss(start - timedelta(hours=6), start - timedelta(hours=6), start, "orders"),
    )


def bare(severity: str, priority: str, every: int | None) -> IncidentFacts:
    """A just-opened incident: no update, no roles, no notes, no optional fact at all."""
    return IncidentFacts(
        ref="INC-20260314-4",
        title="High error rate on search",
        severity=severity,
        priority=priority,
        status="triggered",
        service="search",
        url="https://plantao.example.com/incidents/INC-20260314-4",
        detected_at=_START,
        triggered_at=_START,
        update_every_minutes=every,
    )


def samples() -> list[tuple[str, IncidentFacts]]:
    """``(label, facts)`` for every severity: full and open, full and resolved, bare."""
    out: list[tuple[str, IncidentFacts]] = []
    for severity, priority, every in SEVERITIES:
        out.append((f"{severity} with every fact", full(severity, priority, every, resolved=False)))
        out.append((f"{severity} resolved", full(severity, priority, every, resolved=True)))
        out.append((f"{severity} just opened", bare(severity, priority, every)))
    return out
