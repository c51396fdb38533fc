"""Checklists of an incident: the universal triage and a runbook's ``- [ ]`` steps, each item
checked or unchecked by a responder, every change on the timeline.

A runbook step keeps its Markdown as written (pages render it with
:func:`plantao.runbooks.checklist_markdown.inline_html`); checkbox lines that are headings are
left out, because nobody can tick a heading and the list would never look done."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.service import TimelineItem
from plantao.runbooks import triage
from plantao.runbooks.checklist_markdown import is_heading
from plantao.runbooks.document import Runbook
from plantao.runbooks.models import Checklist, ChecklistItem
from plantao.runbooks.schemas import ChecklistItemOut, ChecklistOut

SYSTEM_ACTOR = "plantao"


def _checklist_by_key(session: Session, incident_id: int, key: str) -> Checklist | None:
    return session.scalars(
        select(Checklist).where(Checklist.incident_id == incident_id, Checklist.key == key)
    ).one_or_none()


def _new_checklist(
    session: Session,
    incident_id: int,
    key: str,
    *,
    kind: str,
    title: str,
    lang: str,
    actor: str,
    items: list[dict[str, str]],
    runbook: Runbook | None = None,
) -> Checklist:
    checklist = Checklist(
        incident_id=incident_id,
        key=key,
        kind=kind,
        title=title[:512],
        lang=lang,
        runbook_id=runbook.id if runbook else None,
        runbook_version=runbook.version if runbook else None,
        created_at=clock.now(),
        created_by=actor,
    )
    session.add(checklist)
    session.flush()
    session.add_all(
        ChecklistItem(
            checklist_id=checklist.id, position=n, checked_at=None, checked_by=None, **item
        )
        for n, item in enumerate(items)
    )
    session.flush()
    return checklist


def attach_triage_many(
    session: Session, incident_ids: Sequence[int], *, lang: str, actor: str = SYSTEM_ACTOR
) -> None:
    """The universal 2-minute triage as a checklist of each incident that has none yet
    (idempotent per incident), with three INSERTs whatever the number of incidents."""
    if not incident_ids:
        return
    have = set(
        session.scalars(
            select(Checklist.incident_id).where(
                Checklist.incident_id.in_(sorted(set(incident_ids))), Checklist.key == "triage"
            )
        )
    )
    missing = [i for i in dict.fromkeys(incident_ids) if i not in have]
    if not missing:
        return
    data = triage.triage_checklist(lang)
    now = clock.now()
    created = session.execute(
        insert(Checklist).returning(Checklist.incident_id, Checklist.id),
        [
            {
                "incident_id": incident_id,
                "key": "triage",
                "kind": "triage",
                "title": data.title[:512],
                "lang": data.lang,
                "runbook_id": None,
                "runbook_version": None,
                "created_at": now,
                "created_by": actor,
            }
            for incident_id in missing
        ],
    )
    checklist_ids: dict[int, int] = dict(created.tuples().all())
    session.execute(
        insert(ChecklistItem),
        [
            {
                "checklist_id": checklist_ids[incident_id],
                "position": n,
                "key": q.key,
                "text": q.text,
                "hint": q.hint,
                "section": "triage",
                "checked_at": None,
                "checked_by": None,
            }
            for incident_id in missing
            for n, q in enumerate(data.questions)
        ],
    )
    incident_service.append_many(
        session,
        [
            (
                incident_id,
                TimelineItem(
                    "checklist.attached",
                    actor,
                    f"Checklist attached: {data.title}",
                    {"checklist_id": checklist_ids[incident_id], "kind": "triage"},
                ),
            )
            for incident_id in missing
        ],
        at=now,
    )


def attach_runbook_checklist(
    session: Session, incident: Incident, runbook: Runbook, *, actor: str
) -> Checklist:
    """A runbook's ``- [ ]`` steps, headings left out, as the incident's checklist; idempotent
    per runbook."""
    key = f"runbook:{runbook.id}"
    found = _checklist_by_key(session, incident.id, key)
    if found is not None:
        return found
    steps = [step for step in runbook.steps if not is_heading(step.text)]
    if not steps:
        raise ValidationFailed(f"runbook '{runbook.id}' has no checklist steps (- [ ] ...)")
    items = [
        {"key": f"step-{n + 1}", "text": step.text, "hint": "", "section": step.section}
        for n, step in enumerate(steps)
    ]
    checklist = _new_checklist(
        session,
        incident.id,
        key,
        kind="runbook",
        title=runbook.title,
        lang=runbook.lang,
        actor=actor,
        items=items,
        runbook=runbook,
    )
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "checklist.attached",
                actor,
                f"Checklist attached: {runbook.title} v{runbook.short_version}",
                {
                    "checklist_id": checklist.id,
                    "kind": "runbook",
                    "runbook": runbook.id,
                    "version": runbook.version,
                },
            )
        ],
    )
    return checklist


def checklists(session: Session, incident_id: int) -> list[ChecklistOut]:
    lists = list(
        session.scalars(
            select(Checklist).where(Checklist.incident_id == incident_id).order_by(Checklist.id)
        )
    )
    if not lists:
        return []
    items = session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.checklist_id.in_([c.id for c in lists]))
        .order_by(ChecklistItem.checklist_id, ChecklistItem.position)
    )
    by_list: dict[int, list[ChecklistItemOut]] = {c.id: [] for c in lists}
    for item in items:
        by_list[item.checklist_id].append(ChecklistItemOut.model_validate(item))
    return [
        ChecklistOut(
            id=c.id,
            kind=c.kind,
            title=c.title,
            lang=c.lang,
            runbook_id=c.runbook_id,
            runbook_version=c.runbook_version,
            created_at=c.created_at,
            created_by=c.created_by,
            items=by_list[c.id],
        )
        for c in lists
    ]


def set_item(
    session: Session,
    incident: Incident,
    checklist_id: int,
    item_id: int,
    *,
    checked: bool,
    actor: str,
) -> ChecklistItem:
    """Check or uncheck one item; a change (not a repeat) also goes on the timeline."""
    item = session.scalars(
        select(ChecklistItem)
        .join(Checklist, Checklist.id == ChecklistItem.checklist_id)
        .where(
            ChecklistItem.id == item_id,
            ChecklistItem.checklist_id == checklist_id,
            Checklist.incident_id == incident.id,
        )
        .with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFound(f"checklist {checklist_id} of {incident.human_id} has no item {item_id}")
    if (item.checked_at is not None) == checked:
        return item
    now = clock.now()
    item.checked_at, item.checked_by = (now, actor) if checked else (None, None)
    session.flush()
    verb = "Checked" if checked else "Unchecked"
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "checklist.checked" if checked else "checklist.unchecked",
                actor,
                f"{verb}: {item.text[:300]}",
                {"checklist_id": checklist_id, "item_id": item.id, "key": item.key},
            )
        ],
        at=now,
    )
    return item
