"""Who may read or change a postmortem: whoever may read or act on its incident.

A postmortem has no permissions of its own. Reading it is reading the incident (a private
incident's postmortem is "not found" for whoever may not see the incident, with the same words
as a postmortem that does not exist); changing it is acting on the incident, which also locks
the incident row, so two saves of one postmortem queue instead of racing past the version check.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import NotFound
from plantao.incidents import access as incident_access
from plantao.incidents.models import Incident
from plantao.postmortems.models import Postmortem

#: Postmortem ids are a PostgreSQL ``integer``: a larger number is no postmortem, not a query.
MAX_ID = 2**31 - 1


def missing(pm_id: int | str) -> NotFound:
    return NotFound(f"postmortem '{pm_id}' does not exist")


def _load(session: Session, pm_id: int, *, for_update: bool = False) -> Postmortem:
    if not 1 <= pm_id <= MAX_ID:
        raise missing(pm_id)
    stmt = select(Postmortem).where(Postmortem.id == pm_id)
    if for_update:
        # The row was read before the lock: refresh it, or a save would check a stale version.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise missing(pm_id)
    return found


def to_read(session: Session, pm_id: int, who: Principal) -> tuple[Postmortem, Incident]:
    """The postmortem and its incident, once ``who`` may see the incident."""
    pm = _load(session, pm_id)
    try:
        incident = incident_access.get_to_read(session, pm.incident_id, who)
    except NotFound:
        raise missing(pm_id) from None
    return pm, incident


def to_act(
    session: Session, pm_id: int, who: Principal, need: Need = Need.RESPOND
) -> tuple[Postmortem, Incident]:
    """The postmortem and its incident, both locked, once ``who`` may act on the incident."""
    pm = _load(session, pm_id)
    try:
        incident = incident_access.get_to_read(session, pm.incident_id, who, for_update=True)
    except NotFound:
        raise missing(pm_id) from None
    incident_access.require(session, who, incident, need)
    return _load(session, pm_id, for_update=True), incident


def to_review(session: Session, pm_id: int, who: Principal) -> tuple[Postmortem, Incident]:
    """The postmortem and its incident, both locked, once ``who`` may see the incident: a
    reviewer needs no role on its team (whether they were asked is the review's own check)."""
    pm = _load(session, pm_id)
    try:
        incident = incident_access.get_to_read(session, pm.incident_id, who, for_update=True)
    except NotFound:
        raise missing(pm_id) from None
    return _load(session, pm_id, for_update=True), incident


def may_edit(session: Session, who: Principal, incident: Incident) -> bool:
    return incident_access.allowed(session, who, incident)
