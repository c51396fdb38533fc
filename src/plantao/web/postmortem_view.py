"""What the postmortem pages show, assembled once for the page, the editor and the print view:
the postmortem as the API presents it, its text rendered as safe HTML (the runbooks' renderer:
raw HTML off, ``javascript:`` links refused), due dates relative and absolute in the reader's
zone, the blameless lint's warnings in the reader's language, and what the reader may do."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.changes.models import ChangeEvent
from plantao.incidents.models import Incident
from plantao.postmortems import access, reading
from plantao.postmortems.models import ROOT_CAUSES, Postmortem
from plantao.runbooks.render import to_html
from plantao.web.oncall_times import Moment, moment, zone

#: Changes of the incident's service offered as "the cause" (the newest first).
CHANGES_OFFERED = 30


@lru_cache(maxsize=64)
def rendered(markdown: str) -> str:
    """The text as safe HTML, kept per text: up to 200,000 characters of brackets or emphasis
    take markdown-it seconds, and the same version is read many times."""
    return to_html(markdown)


def when(principal: Principal, at: datetime | None) -> Moment | None:
    return None if at is None else moment(at, zone(principal.time_zone))


def changes_offered(session: Session, incident: Incident) -> list[ChangeEvent]:
    return list(
        session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.service_id == incident.service_id)
            .order_by(ChangeEvent.occurred_at.desc())
            .limit(CHANGES_OFFERED)
        )
    )


def page_context(
    session: Session,
    principal: Principal,
    pm: Postmortem,
    incident: Incident,
    language: str,
) -> dict[str, Any]:
    detail = reading.detail(session, pm, incident)
    mine = next((r for r in detail.reviews if r.reviewer == principal.handle), None)
    can_edit = access.may_edit(session, principal, incident)
    return {
        "pm": detail,
        "html": rendered(pm.markdown),
        "lint": reading.lint(pm.markdown, language),
        "due": when(principal, pm.due_at),
        "published": when(principal, pm.published_at),
        "moment": lambda at: when(principal, at),
        "can_edit": can_edit,
        "my_review": mine if mine is not None and pm.status == "in_review" else None,
        "root_causes": ROOT_CAUSES,
        "changes": changes_offered(session, incident) if can_edit else [],
        "typed": {},
        "banner": None,
    }
