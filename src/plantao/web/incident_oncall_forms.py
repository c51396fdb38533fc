"""The "Who's on it" panel's forms: escalate now, snooze, and create a silence from the
incident's alerts (adding responders is ``plantao.web.responder_forms``).

Each goes through :func:`plantao.web.incident_pages.change_incident`, so it has the same
session, CSRF and role checks, error pages and expired-session handling as every incident form.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.oncall import service as oncall_service
from plantao.oncall import snooze as oncall_snooze
from plantao.oncall import window_store
from plantao.web.incident_pages import SILENCE_HOURS, FormPost, change_incident

router = APIRouter(include_in_schema=False)


@router.post("/incidents/{ref}/escalate", response_model=None)
def escalate_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: oncall_service.escalate_now(session, inc.id, who.actor),
        post=FormPost("escalate", {}, pending),
    )


def _whole(value: str, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed(f"{name}: give a whole number, not '{value[:20]}'") from None


@router.post("/incidents/{ref}/snooze", response_model=None)
def snooze_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    minutes: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: oncall_snooze.snooze(
            session, inc, _whole(minutes, "minutes"), actor=who.actor
        ),
        post=FormPost("snooze", {"minutes": minutes}, pending),
    )


def silence_alerts(
    session: Session, incident: Incident, who: Principal, matchers: str, hours: str, comment: str
) -> None:
    """A silence of the given matchers for ``hours``, audited by the silence use case and
    noted on the incident's timeline (the reader of the incident must see it was silenced)."""
    lines = [line.strip() for line in matchers.splitlines() if line.strip()]
    if not lines:
        raise ValidationFailed('matchers: give at least one, e.g. alertname="HighErrorRate"')
    duration = _whole(hours, "hours")
    if duration not in SILENCE_HOURS:
        raise ValidationFailed(f"hours: choose one of {', '.join(map(str, SILENCE_HOURS))}")
    ends_at = clock.now() + timedelta(hours=duration)
    row = window_store.create(
        session,
        name=incident.human_id,
        starts_at=None,
        ends_at=ends_at,
        services=[],
        matchers=lines,
        comment=comment.strip()[:2000],
        actor=who.audit_actor,
    )
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                "silence.created",
                who.actor,
                f"Silence {row.id} created until {ends_at:%Y-%m-%d %H:%M} UTC: {', '.join(lines)}",
                {"silence": row.id, "until": ends_at.isoformat(), "matchers": lines},
            )
        ],
    )


@router.post("/incidents/{ref}/silence", response_model=None)
def silence_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    matchers: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: silence_alerts(session, inc, who, matchers, hours, comment),
        post=FormPost(
            "silence", {"matchers": matchers, "hours": hours, "comment": comment}, pending
        ),
        need=Need.MANAGE,
    )
