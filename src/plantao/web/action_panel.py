"""The data of the corrective-actions panel (``templates/postmortems/actions_panel.html``) that
the postmortem page includes, and of the ``/actions`` pages: each action with its due day said
relative and absolute, whether the viewer may edit it or only change its status (its owner),
the add form with what was typed, and the Learn step's suggestions not yet added.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.errors import NotFound
from plantao.incidents import access
from plantao.incidents.models import Incident
from plantao.incidents.severity import SEVERITY_NAMES
from plantao.postmortems import actions, suggestions
from plantao.postmortems.models import ACTION_KINDS, ACTION_STATUSES, Postmortem
from plantao.web.i18n import TEXTS

FORM_FIELDS = (
    "title",
    "owner",
    "due_date",
    "kind",
    "severity",
    "ticket_url",
    "measure",
    "environment",
)


def empty_form() -> dict[str, str]:
    return dict.fromkeys(FORM_FIELDS, "") | {"kind": "quick_fix", "must_fix": ""}


def due_words(due: date, overdue: bool, language: str) -> str:
    """ "in 3 days", "due today", "2 days overdue": the due day relative to today (UTC)."""
    t = TEXTS[language]
    days = (due - actions.today()).days
    if days < 0 and overdue:
        return t["act_overdue_by_one"] if days == -1 else t["act_overdue_by"].format(n=-days)
    if days == 0:
        return t["act_due_today"]
    if days == 1:
        return t["act_due_tomorrow"]
    if days > 1:
        return t["act_due_in"].format(n=days)
    return due.isoformat()


def rows_for(
    session: Session, rows: list[Any], principal: Principal, language: str, base_url: str = ""
) -> list[dict[str, Any]]:
    """Each action as shown, with ``due_words`` and what the viewer may do with it."""
    described = actions.describe(session, rows, base_url)
    incidents = {r.incident_id for r in rows}
    editable = {
        i
        for i in incidents
        if (found := session.get(Incident, i)) is not None
        and access.allowed(session, principal, found)
    }
    out = []
    for row, shown in zip(rows, described, strict=True):
        can_edit = row.incident_id in editable
        out.append(
            shown
            | {
                "due_words": due_words(row.due_date, shown["overdue"], language),
                "can_edit": can_edit,
                "can_status": can_edit or row.owner_user_id == principal.user_id,
            }
        )
    return out


def panel_context(
    session: Session,
    postmortem: Postmortem,
    principal: Principal,
    language: str,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The panel's data, under ``acp`` in the page's context."""
    incident = session.get(Incident, postmortem.incident_id)
    if incident is None:  # a foreign key with ON DELETE CASCADE: gone with its postmortem
        raise NotFound(f"postmortem '{postmortem.id}' does not exist")
    rows = actions.for_postmortem(session, postmortem.id)
    can_edit = access.allowed(session, principal, incident)
    pending = suggestions.pending(session, postmortem, incident) if can_edit else []
    return {
        "acp": {
            "pm_id": postmortem.id,
            "rows": rows_for(session, rows, principal, language),
            "can_edit": can_edit,
            "suggestions": [{"key": s.key, "title": s.title(language)} for s in pending],
            "kinds": ACTION_KINDS,
            "statuses": ACTION_STATUSES,
            "severities": SEVERITY_NAMES,
            "form": form or empty_form(),
            "error": error,
            "notice": notice,
        }
    }
