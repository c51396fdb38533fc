"""The setup and close checklists of one incident: read the facts that answer items, tick and
untick the items people answer, and guard closing.

Why closing is guarded here and not in ``incidents``: the close list is answered by status
updates and roles, which live in ``command`` (above ``incidents``), so the entry points (the
API's close route, the web's close form) call :func:`close` instead of the bare lifecycle
action. Closing with items unchecked is allowed only with a reason, which goes on the timeline
(``checklist.skipped``) with the unchecked items, in the same transaction as the close.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.command import checklist_items as defs
from plantao.command.models import ChecklistTick, StatusUpdate
from plantao.command.role_holders import holders
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import lifecycle, severity_config
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident, TimelineEntry

TICKED = "checklist.ticked"
UNTICKED = "checklist.unticked"
SKIPPED = "checklist.skipped"
REASON_MAX = 2000


class UncheckedItems(Conflict):
    """Closing was refused: close-checklist items are unchecked and no reason was given.
    ``errors`` names each item (``{"item", "message"}``)."""


def _exists(session: Session, *criteria: object) -> bool:
    return bool(session.scalar(select(exists().where(*criteria))))  # type: ignore[arg-type]


def facts(session: Session, incident: Incident, *, status_page_decided: bool = False) -> defs.Facts:
    """What the incident's data answers, in a handful of small queries.
    ``status_page_decided`` comes from the caller (``statuspage`` sits above ``command``)."""
    level = severity_config.severity_matrix(session).level(incident.severity)
    updates = StatusUpdate.incident_id == incident.id
    return defs.Facts(
        roles_held=frozenset(h.role for h in holders(session, [incident.id])[incident.id]),
        person_note=_exists(
            session, TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "note"
        ),
        mitigation=_exists(
            session, updates, func.length(func.trim(func.coalesce(StatusUpdate.mitigation, ""))) > 0
        )
        or _exists(
            session,
            TimelineEntry.incident_id == incident.id,
            TimelineEntry.kind == "note",
            TimelineEntry.data["kind"].as_string() == "action",
        ),
        next_update=_exists(session, updates, StatusUpdate.next_update_due_at.is_not(None)),
        resolution_update=_exists(
            session,
            updates,
            (StatusUpdate.kind == "resolution") | (StatusUpdate.status == "resolved"),
        ),
        postmortem_required=level.rca_within is not None or level.rca_business_days is not None,
        severity=incident.severity,
        status_page_decided=status_page_decided,
    )


def ticks(session: Session, incident_id: int) -> dict[str, dict[str, defs.Tick]]:
    out: dict[str, dict[str, defs.Tick]] = {name: {} for name in defs.CHECKLISTS}
    for row in session.scalars(
        select(ChecklistTick).where(ChecklistTick.incident_id == incident_id)
    ):
        out.setdefault(row.checklist, {})[row.item] = defs.Tick(
            row.value, row.ticked_by, row.ticked_at
        )
    return out


def states(
    session: Session, incident: Incident, *, status_page_decided: bool = False
) -> dict[str, list[defs.ItemState]]:
    """Both checklists of ``incident``, every item with its answer."""
    known = facts(session, incident, status_page_decided=status_page_decided)
    ticked = ticks(session, incident.id)
    return {name: defs.evaluate(name, known, ticked[name]) for name in defs.CHECKLISTS}


def _item(checklist: str, item_id: str) -> defs.ItemDef:
    if checklist not in defs.CHECKLISTS:
        raise NotFound(f"no checklist '{checklist}'; use {' or '.join(defs.CHECKLISTS)}")
    item = defs.find(checklist, item_id)
    if item is None:
        names = ", ".join(i.id for i in defs.items_of(checklist))
        raise NotFound(f"the {checklist} checklist has no item '{item_id}'; it has {names}")
    return item


def tick(
    session: Session,
    incident: Incident,
    checklist: str,
    item_id: str,
    *,
    done: bool,
    value: str | None,
    actor: str,
) -> None:
    """Tick (``done``) or untick an item a person answers; the timeline records either."""
    item = _item(checklist, item_id)
    if not item.tickable:
        raise Conflict(
            f"'{item.id}' is answered by the incident's data, not ticked: "
            + (
                "assign the Incident Commander, Comms Lead and Scribe"
                if item.id == "roles"
                else "add a note to the timeline"
            )
        )
    key = (incident.id, checklist, item.id)
    row = session.get(ChecklistTick, key)
    if not done:
        if row is None:
            return
        session.delete(row)
        session.flush()
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    UNTICKED,
                    actor,
                    f"Unticked '{item.en}' ({checklist} checklist)",
                    {"checklist": checklist, "item": item.id},
                )
            ],
        )
        return
    try:
        stored = defs.clean_value(item, value)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "value", "message": str(exc)}]) from None
    now = clock.now()
    if row is None:
        session.add(
            ChecklistTick(
                incident_id=incident.id,
                checklist=checklist,
                item=item.id,
                value=stored,
                ticked_by=actor,
                ticked_at=now,
            )
        )
    elif row.value == stored:
        return
    else:
        row.value, row.ticked_by, row.ticked_at = stored, actor, now
    session.flush()
    message = f"Ticked '{item.en}' ({checklist} checklist)" + (f": {stored}" if stored else "")
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                TICKED, actor, message, {"checklist": checklist, "item": item.id, "value": stored}
            )
        ],
        at=now,
    )


def close_blockers(session: Session, incident: Incident) -> list[defs.ItemDef]:
    """The close checklist's unchecked items (empty: closing needs no reason)."""
    return defs.unchecked(states(session, incident)[defs.CLOSE])


def close(
    session: Session,
    incident: Incident,
    *,
    actor: str,
    note: str | None = None,
    reason: str | None = None,
) -> list[defs.ItemDef]:
    """Close ``incident``. With close items unchecked a ``reason`` is required (else
    :class:`UncheckedItems`, nothing changed); it is recorded as ``checklist.skipped`` with
    the items. Returns the items that were skipped."""
    lifecycle.transition(incident.status, Action.CLOSE)  # an invalid close says so first
    blockers = close_blockers(session, incident)
    why = (reason or "").strip()
    if len(why) > REASON_MAX:
        raise ValidationFailed(f"the reason is longer than {REASON_MAX} characters")
    if blockers and not why:
        names = ", ".join(f"'{i.en}'" for i in blockers)
        raise UncheckedItems(
            f"{incident.human_id} has unchecked close-checklist items: {names}; tick them or "
            "give a reason to close anyway",
            errors=[{"item": i.id, "message": i.en} for i in blockers],
        )
    incident_service.act(session, incident, Action.CLOSE, actor=actor, note=note)
    if blockers:
        listed = ", ".join(i.en for i in blockers)
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    SKIPPED,
                    actor,
                    f"Closed with unchecked items ({listed}): {why}",
                    {"checklist": defs.CLOSE, "items": [i.id for i in blockers], "reason": why},
                )
            ],
        )
    return blockers
