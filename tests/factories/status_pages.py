"""Status page rows for tests: a component, and a maintenance window shown on a page, written
through the models (what ``plantao apply`` or the admin API would store)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from plantao import clock
from plantao.oncall.models import Silence
from plantao.statuspage.models import StatusComponent, StatusMaintenance


def component(
    session: Session,
    page_id: int,
    slug: str,
    services: Sequence[str] = (),
    *,
    created: datetime | None = None,
) -> int:
    """A component named after ``slug``, fed by ``services``, operational since ``created``."""
    at = created or clock.now()
    row = StatusComponent(
        page_id=page_id,
        slug=slug,
        name=slug.title(),
        description="",
        group_name=None,
        position=0,
        services=list(services),
        status="operational",
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return row.id


def window(
    session: Session,
    *,
    starts: datetime | None,
    ends: datetime | None,
    name: str = "db upgrade",
    recurrence: dict[str, Any] | None = None,
    services: Sequence[str] = ("checkout",),
) -> int:
    """A maintenance window made through the API (not shown on any page by itself)."""
    row = Silence(
        name=name,
        origin="api",
        starts_at=starts,
        ends_at=ends,
        recurrence=recurrence,
        services=list(services),
        matchers=[],
        comment="",
        created_by="ana",
        created_at=clock.now(),
        ended_at=None,
    )
    session.add(row)
    session.flush()
    return row.id


def shown_window(
    session: Session,
    page_id: int,
    *,
    starts: datetime,
    ends: datetime,
    components: Sequence[str] = ("api",),
    body: str = "",
) -> int:
    """A one-off window shown on the page as "Database upgrade" for ``components``."""
    silence_id = window(session, starts=starts, ends=ends)
    session.add(
        StatusMaintenance(
            silence_id=silence_id,
            page_id=page_id,
            title="Database upgrade",
            body=body,
            components=list(components),
            created_at=clock.now(),
            notified={},
        )
    )
    session.flush()
    return silence_id
