"""The incident page's "recent changes" panel with, next to each change, the runbook step that
reverts it when a runbook declares one (:mod:`plantao.runbooks.rollback_match`).

The link opens the incident's step-run page on that step with the change's values filled in
(``/incidents/{ref}/runs?runbook=..&action=..&param_app=..``): the person still reviews the
values, types the command to confirm it, and a destructive step still needs a second person.
Nothing is requested from this panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.changes import service as change_service
from plantao.changes.models import ChangeEvent
from plantao.config import Settings
from plantao.incidents.models import Incident
from plantao.runbooks import library_access, rollback_match
from plantao.runbooks.document import Runbook
from plantao.runbooks.rollback_match import Rollback

PARAM_PREFIX = "param_"


@dataclass(frozen=True)
class ChangeLine:
    change: ChangeEvent
    rollbacks: list[tuple[Rollback, str]]  # the step and the link that opens it


def run_url(incident: Incident, rollback: Rollback) -> str:
    """The step-run page on ``rollback``'s step, its values filled in from the change."""
    query = {"runbook": rollback.runbook_id, "action": rollback.action.id, "lang": rollback.lang}
    query |= {PARAM_PREFIX + name: value for name, value in sorted(rollback.values.items())}
    return f"/incidents/{incident.human_id}/runs?{urlencode(query)}#{rollback.anchor}"


def _reverting(settings: Settings, lang: str) -> list[Runbook]:
    """The library's runbooks that declare ``reverts``, one per id, in ``lang`` if it has it."""
    lib = library_access.library(settings)
    ids = sorted({rb.id for rb in lib.all() if rb.reverts})
    found = (lib.get(i, lang) for i in ids)
    return [rb for rb in found if rb is not None and rb.reverts]


def assemble(
    settings: Settings, session: Session, incident: Incident, lang: str
) -> list[ChangeLine]:
    """The service's changes around the detection time, each with the steps that revert it."""
    changes = change_service.recent_for_service(
        session, incident.service_id, before=incident.detected_at
    )
    if not changes:
        return []
    service = session.get(Service, incident.service_id)
    books = _reverting(settings, lang)
    lines = []
    for change in changes:
        facts = rollback_match.change_facts(
            change.source, service.slug if service else None, change.details or {}
        )
        found = [rb for book in books for rb in rollback_match.match(book, facts)]
        lines.append(ChangeLine(change, [(rb, run_url(incident, rb)) for rb in found]))
    return lines
