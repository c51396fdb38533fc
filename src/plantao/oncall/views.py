"""On-call API: schedules (who, shifts, overrides, feeds), silences, heartbeats, escalate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plantao import clock
from plantao.api.deps import Admin, Responder, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.incidents import access as incident_access
from plantao.oncall import service as oncall_service
from plantao.oncall import unresolved as oncall_unresolved
from plantao.oncall import window_store
from plantao.oncall.models import ScheduleOverride, Silence
from plantao.oncall.schemas import (
    EscalationOut,
    FeedOut,
    HeartbeatOut,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleOut,
    ShiftOut,
    ShiftsOut,
    SilenceIn,
    SilenceOut,
)
from plantao.oncall.window_rules import Window

router = APIRouter(tags=["on-call"], responses=problem_responses())
schedules = oncall_service.schedules


def _when(at: datetime | None) -> datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        from plantao.errors import ValidationFailed

        raise ValidationFailed("at: give a time zone, e.g. 2026-11-22T12:00:00Z")
    return at


@router.get("/api/v1/schedules", response_model=list[ScheduleOut])
def list_schedules(session: SessionDep, _who: Viewer) -> list[ScheduleOut]:
    now = clock.now()
    return [
        ScheduleOut(
            slug=row.slug,
            name=row.name,
            time_zone=row.time_zone,
            layers=[layer["name"] for layer in row.layers],
            on_call_now=schedules.who_is_on_call(session, row.slug, now),
        )
        for row in schedules.list_schedules(session)
    ]


@router.get("/api/v1/schedules/{slug}/oncall", response_model=OnCallOut)
def on_call(slug: str, session: SessionDep, _who: Viewer, at: datetime | None = None) -> OnCallOut:
    when = _when(at)
    return OnCallOut(schedule=slug, at=when, users=schedules.who_is_on_call(session, slug, when))


@router.get("/api/v1/schedules/{slug}/shifts", response_model=ShiftsOut)
def next_shifts(
    slug: str,
    session: SessionDep,
    _who: Viewer,
    n: Annotated[int, Query(ge=1, le=200)] = 10,
    at: datetime | None = None,
) -> ShiftsOut:
    found = schedules.next_shifts(session, slug, n, _when(at))
    return ShiftsOut(
        schedule=slug,
        shifts=[ShiftOut(user=s.user, start=s.start, end=s.end, layer=s.layer) for s in found],
    )


def _override(row: ScheduleOverride) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        kind=row.kind,
        start=row.starts_at,
        end=row.ends_at,
        user=row.user,
        replaces=row.replaces,
        layer=row.layer,
        created_by=row.created_by,
    )


@router.get("/api/v1/schedules/{slug}/overrides", response_model=list[OverrideOut])
def list_overrides(slug: str, session: SessionDep, _who: Viewer) -> list[OverrideOut]:
    return [_override(r) for r in schedules.list_overrides(session, slug)]


@router.post("/api/v1/schedules/{slug}/overrides", status_code=201, response_model=OverrideOut)
def add_override(slug: str, body: OverrideIn, session: SessionDep, who: Responder) -> OverrideOut:
    """Putting yourself on call needs a responder of a team the schedule pages; anything else
    (someone else, taking people off call) a manager of one."""
    oncall_service.require_override(session, who, slug, kind=body.kind, user=body.user)
    row = oncall_service.add_override(
        session,
        slug,
        kind=body.kind,
        start=body.start,
        end=body.end,
        user=body.user,
        replaces=body.replaces,
        layer=body.layer,
        actor=who.audit_actor,
    )
    session.commit()
    return _override(row)


@router.delete("/api/v1/schedules/{slug}/overrides/{override_id}", status_code=204)
def delete_override(slug: str, override_id: Id, session: SessionDep, who: Responder) -> Response:
    found = session.get(ScheduleOverride, override_id)
    kind, user = (found.kind, found.user) if found is not None else ("remove", None)
    oncall_service.require_override(session, who, slug, kind=kind, user=user)
    oncall_service.delete_override(session, slug, override_id, actor=who.audit_actor)
    session.commit()
    return Response(status_code=204)


@router.get("/api/v1/schedules/{slug}/feed", response_model=FeedOut)
def schedule_feed_url(
    slug: str, session: SessionDep, settings: SettingsDep, _who: Admin
) -> FeedOut:
    row = schedules.get(session, slug)
    return FeedOut(url=f"{settings.base_url.rstrip('/')}/ical/{row.ical_secret}.ics")


@router.get("/api/v1/users/{handle}/feed", response_model=FeedOut)
def user_feed_url(handle: str, session: SessionDep, settings: SettingsDep, _who: Admin) -> FeedOut:
    secret = schedules.user_feed_secret(session, handle)
    session.commit()
    return FeedOut(url=f"{settings.base_url.rstrip('/')}/ical/{secret}.ics")


@router.get("/ical/{secret}.ics")
def ical_feed(secret: str, session: SessionDep) -> Response:
    body = schedules.feed(session, secret)
    return Response(body, media_type="text/calendar; charset=utf-8")


def _silence(row: Silence, window: Window, now: datetime) -> SilenceOut:
    return SilenceOut(
        id=row.id,
        name=row.name,
        origin=row.origin,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        recurring=row.recurrence is not None,
        services=list(row.services),
        matchers=list(row.matchers),
        comment=row.comment,
        created_by=row.created_by,
        ended_at=row.ended_at,
        active=row.ended_at is None and window.active_until(now) is not False,
    )


@router.get("/api/v1/silences", response_model=list[SilenceOut])
def list_silences(session: SessionDep, _who: Viewer, active: bool = False) -> list[SilenceOut]:
    now = clock.now()
    return [
        _silence(r, window_store.to_window(r), now)
        for r in window_store.list_silences(session, active_only=active)
    ]


@router.post("/api/v1/silences", status_code=201, response_model=SilenceOut)
def create_silence(body: SilenceIn, session: SessionDep, who: Responder) -> SilenceOut:
    """Silences need a manager of every team whose services they name (any team otherwise)."""
    oncall_service.require_window(session, who, body.services)
    row = window_store.create(
        session,
        name=body.name,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        services=body.services,
        matchers=body.matchers,
        comment=body.comment,
        actor=who.audit_actor,
    )
    session.commit()
    return _silence(row, window_store.to_window(row), clock.now())


@router.post("/api/v1/silences/{silence_id}/end", response_model=SilenceOut)
def end_silence(silence_id: Id, session: SessionDep, who: Responder) -> SilenceOut:
    found = session.get(Silence, silence_id)
    oncall_service.require_window(session, who, found.services if found is not None else [])
    row = window_store.end(session, silence_id, who.audit_actor)
    session.commit()
    return _silence(row, window_store.to_window(row), clock.now())


@router.post("/api/v1/heartbeats/{key}", response_model=HeartbeatOut)
def heartbeat(key: str, session: SessionDep) -> HeartbeatOut:
    """A beat; the key in the URL authenticates (like an intake key)."""
    row = oncall_service.beat(session, key)
    session.commit()
    return HeartbeatOut(
        slug=row.slug, state=row.state, last_beat_at=row.last_beat_at, due_at=row.due_at
    )


def _escalation(session: SessionDep, ref: str, who: Principal) -> EscalationOut:
    incident = incident_access.get_to_read(session, ref, who)
    esc = oncall_service.escalations.get(session, incident.id)
    pages = [
        {"firing": f, "step": label, "user": user, "urgency": urgency, "at": at.isoformat()}
        for f, label, user, urgency, at in oncall_service.pages(session, incident.id)
    ]
    pending = oncall_unresolved.next_level(esc) if esc else None
    return EscalationOut(
        incident=incident.human_id,
        policy=esc.policy_slug if esc else "",
        state=esc.state if esc else "none",
        next_due_at=esc.due_at if esc else None,
        pages=pages,
        unresolved_level=pending[0] if pending else None,
        unresolved_due_at=pending[1] if pending else None,
    )


@router.get("/api/v1/incidents/{ref}/escalation", response_model=EscalationOut)
def get_escalation(ref: str, session: SessionDep, who: Viewer) -> EscalationOut:
    return _escalation(session, ref, who)


@router.post("/api/v1/incidents/{ref}/escalate", response_model=EscalationOut)
def escalate(ref: str, session: SessionDep, who: Responder) -> EscalationOut:
    incident = incident_access.get_to_act(session, ref, who)
    oncall_service.escalate_now(session, incident.id, who.actor)
    session.commit()
    return _escalation(session, ref, who)
