"""What the incident page shows of the setup and close checklists (``incident/checklists.html``):
the items answered, in the reader's language, and whether each list is shown at all.

The setup list is shown until it is complete (seed 002: it is the channel's opening routine),
the close list once the incident is resolved (000/001 "Validação", 004), when it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plantao.command import checklist_items as defs
from plantao.command import checklists
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.statuspage import proposals as status_proposals


@dataclass(frozen=True)
class ItemView:
    id: str
    label: str
    done: bool
    source: str | None
    by: str | None
    at: datetime | None
    value: str | None
    required: bool
    tickable: bool
    value_kind: str


@dataclass(frozen=True)
class ChecklistView:
    name: str
    items: list[ItemView]
    shown: bool

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def complete(self) -> bool:
        return all(i.done for i in self.items)

    @property
    def unchecked(self) -> list[ItemView]:
        return [i for i in self.items if not i.done]


def _view(states: list[defs.ItemState], lang: str) -> list[ItemView]:
    return [
        ItemView(
            id=s.item.id,
            label=s.item.label(lang),
            done=s.done,
            source=s.source,
            by=s.by,
            at=s.at,
            value=s.value,
            required=s.required,
            tickable=s.item.tickable,
            value_kind=s.item.value,
        )
        for s in states
    ]


def timeline_text(kind: str, data: Mapping[str, object], t: Mapping[str, str]) -> str | None:
    """A ``checklist.ticked`` / ``unticked`` / ``skipped`` timeline entry in the reader's
    language (the stored message is English); None for other kinds."""
    lang = t.get("chk_lang", "en")

    def label(checklist: object, item: object) -> str:
        found = defs.find(str(checklist), str(item))
        return found.label(lang) if found else str(item)

    if kind in (checklists.TICKED, checklists.UNTICKED):
        name = label(data.get("checklist"), data.get("item"))
        if kind == checklists.UNTICKED:
            return t["chk_tl_unticked"].format(item=name)
        value = data.get("value")
        if value in defs.STATUS_PAGE_VALUES:
            value = t["chk_public" if value == "public" else "chk_not_needed"]
        return t["chk_tl_ticked"].format(item=name) + (f": {value}" if value else "")
    if kind == checklists.SKIPPED:
        items = data.get("items")
        names = [label(data.get("checklist"), i) for i in items] if isinstance(items, list) else []
        return t["chk_tl_skipped"].format(items="; ".join(names), reason=data.get("reason", ""))
    return None


def assemble(session: Session, incident: Incident, lang: str) -> dict[str, ChecklistView]:
    """``{"setup": ..., "close": ...}`` for the page."""
    lists = checklists.states(
        session, incident, status_page_decided=status_proposals.decided(session, incident)
    )
    setup = _view(lists[defs.SETUP], lang)
    status = Status(incident.status)
    return {
        "setup": ChecklistView(
            defs.SETUP,
            setup,
            shown=status is not Status.CLOSED and not all(i.done for i in setup),
        ),
        "close": ChecklistView(
            defs.CLOSE, _view(lists[defs.CLOSE], lang), shown=status is Status.RESOLVED
        ),
    }
