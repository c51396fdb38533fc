"""The responder's risk posture and the assumptions they write down during triage, both kept
on the incident's timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plantao.errors import ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.service import TimelineItem
from plantao.runbooks import triage


def record_risk(
    session: Session,
    incident: Incident,
    *,
    level: str,
    rationale: str,
    actor: str,
    lang: str = "en",
) -> None:
    """The responder's risk posture (triage): low / medium / high with the reason, on the
    timeline, because the posture decides how much caution every later step gets."""
    postures = {r.level: r for r in triage.triage_checklist(lang).risks}
    posture = postures.get(level)
    if posture is None:
        raise ValidationFailed(f"level: use one of {', '.join(postures)}")
    text = rationale.strip()
    if not text:
        raise ValidationFailed("rationale: say why this posture")
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "risk.posture",
                actor,
                f"Risk posture: {posture.label}. {text[:2000]}",
                {"level": level, "rationale": text[:2000], "posture": posture.posture},
            )
        ],
    )


def latest_risk(session: Session, incident_id: int) -> dict[str, Any] | None:
    entries = [
        e for e in incident_service.timeline(session, incident_id) if e.kind == "risk.posture"
    ]
    if not entries:
        return None
    last = entries[-1]
    return {
        "level": last.data.get("level"),
        "rationale": last.data.get("rationale"),
        "by": last.actor,
        "at": last.at,
    }


def record_assumption(
    session: Session,
    incident: Incident,
    *,
    actor: str,
    assumption: str,
    evidence: str,
    signal: str,
    fallback: str,
    lang: str = "en",
) -> str:
    """An inference note written with the assumption template (all four parts required)."""
    try:
        text = triage.format_assumption(assumption, evidence, signal, fallback, lang)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    incident_service.add_note(session, incident, actor=actor, text=text, kind="inference")
    return text
