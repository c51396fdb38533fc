"""The incident's setup and close checklists: which items there are, what they say in English
and Portuguese, what a ticked value may be, and how each item is answered.

Seed 002's ``incident-channel-checklist`` is the setup list (IC, CL and Scribe set; timeline
started; status page decided; mitigation plan and next update defined). The close list joins
000/001's "Validação" (an impact graph, before/after evidence) and 004's "Checklist
pós-incidente" (stakeholders notified, postmortem scheduled).

An item is answered by the incident's own data when the data can answer it (``computed``: the
roles are held, a status update names the next one) and by a person's tick when only a person
knows (``tickable``: "the graph is back to normal"). Some are both: a mitigation plan may live in
a status update, in an *action* note, or only in people's heads, in which case someone ticks it.
Kept pure (no database) so the rules are unit-tested in milliseconds; :mod:`plantao.command.
checklists` reads the facts and the ticks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

SETUP = "setup"
CLOSE = "close"
#: Roles the setup list wants held (002: "IC, CL, Scribe definidos").
SETUP_ROLES = ("incident_commander", "comms_lead", "scribe")
STATUS_PAGE_VALUES = ("public", "not_needed")
VALUE_MAX = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ItemDef:
    """One checklist item. ``value`` says what a tick carries: ``none``, ``text`` (optional,
    e.g. a link to the graph), ``status_page`` (public or not_needed, required) or ``date``
    (YYYY-MM-DD, required)."""

    id: str
    checklist: str
    en: str
    pt_br: str
    computed: bool
    tickable: bool
    value: str = "none"

    def label(self, lang: str) -> str:
        return self.pt_br if lang == "pt-BR" else self.en


ITEMS: tuple[ItemDef, ...] = (
    ItemDef(
        "roles",
        SETUP,
        "Incident Commander, Comms Lead and Scribe set",
        "IC, Comms Lead e Scribe definidos",
        computed=True,
        tickable=False,
    ),
    ItemDef(
        "timeline",
        SETUP,
        "Timeline started (a first note by a person)",
        "Linha do tempo iniciada (uma primeira nota de uma pessoa)",
        computed=True,
        tickable=False,
    ),
    ItemDef(
        "status_page",
        SETUP,
        "Status page decided: public, or not needed",
        "Status Page decidido: público, ou não se aplica",
        computed=True,
        tickable=True,
        value="status_page",
    ),
    ItemDef(
        "mitigation_plan",
        SETUP,
        "Mitigation plan defined",
        "Plano de mitigação definido",
        computed=True,
        tickable=True,
        value="text",
    ),
    ItemDef(
        "next_update",
        SETUP,
        "Next update defined",
        "Próxima atualização definida",
        computed=True,
        tickable=True,
        value="text",
    ),
    ItemDef(
        "impact_normal",
        CLOSE,
        "Impact graph back to normal",
        "Gráfico de impacto de volta ao normal",
        computed=False,
        tickable=True,
        value="text",
    ),
    ItemDef(
        "before_after",
        CLOSE,
        "Before/after evidence of the mitigation recorded",
        "Evidência de antes/depois da mitigação registrada",
        computed=False,
        tickable=True,
        value="text",
    ),
    ItemDef(
        "stakeholders_notified",
        CLOSE,
        "Stakeholders notified (a resolution update was posted)",
        "Stakeholders notificados (update de resolução publicado)",
        computed=True,
        tickable=True,
        value="text",
    ),
    ItemDef(
        "postmortem_scheduled",
        CLOSE,
        "Postmortem scheduled (date)",
        "Postmortem agendado (data)",
        computed=False,
        tickable=True,
        value="date",
    ),
)
CHECKLISTS = (SETUP, CLOSE)


def items_of(checklist: str) -> list[ItemDef]:
    return [item for item in ITEMS if item.checklist == checklist]


def find(checklist: str, item_id: str) -> ItemDef | None:
    return next((i for i in ITEMS if i.checklist == checklist and i.id == item_id), None)


def clean_value(item: ItemDef, value: str | None) -> str | None:
    """The value a tick stores for ``item``; ValueError (the reason) when it does not fit."""
    text = (value or "").strip()
    if len(text) > VALUE_MAX:
        raise ValueError(f"the value is longer than {VALUE_MAX} characters")
    if item.value == "none":
        if text:
            raise ValueError(f"'{item.id}' takes no value")
        return None
    if item.value == "status_page":
        if text not in STATUS_PAGE_VALUES:
            raise ValueError(f"'{item.id}' needs a value: {' or '.join(STATUS_PAGE_VALUES)}")
        return text
    if item.value == "date":
        if not _DATE.match(text):
            raise ValueError(f"'{item.id}' needs a date like 2026-12-04")
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a date") from None
        return text
    return text or None


@dataclass(frozen=True)
class Facts:
    """What the incident's data says, read by :func:`plantao.command.checklists.facts`."""

    roles_held: frozenset[str]
    person_note: bool
    mitigation: bool
    next_update: bool
    resolution_update: bool
    postmortem_required: bool
    severity: str
    #: Published on a status page, the proposal dismissed, or no page fed by its service
    #: (``statuspage.proposals.decided``, given by the entry points: statuspage sits above).
    status_page_decided: bool = False


@dataclass(frozen=True)
class Tick:
    value: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class ItemState:
    """An item as shown: ``source`` is ``computed`` (the data answers it), ``tick`` (a person
    did) or None (not done); ``required`` is False for a postmortem the severity does not ask
    for, which then counts as done."""

    item: ItemDef
    done: bool
    source: str | None
    by: str | None
    at: datetime | None
    value: str | None
    required: bool = True


def _computed(item: ItemDef, facts: Facts) -> bool:
    if item.id == "roles":
        return all(role in facts.roles_held for role in SETUP_ROLES)
    if item.id == "timeline":
        return facts.person_note
    if item.id == "mitigation_plan":
        return facts.mitigation
    if item.id == "next_update":
        return facts.next_update
    if item.id == "status_page":
        return facts.status_page_decided
    if item.id == "stakeholders_notified":
        return facts.resolution_update
    return False


def evaluate(checklist: str, facts: Facts, ticks: Mapping[str, Tick]) -> list[ItemState]:
    """Every item of ``checklist`` with its answer. A tick on an item the data already answers
    is kept (its value is shown) but the item's source stays ``computed``."""
    out: list[ItemState] = []
    for item in items_of(checklist):
        tick = ticks.get(item.id) if item.tickable else None
        if item.id == "postmortem_scheduled" and not facts.postmortem_required and tick is None:
            out.append(ItemState(item, True, "computed", None, None, None, required=False))
            continue
        if item.computed and _computed(item, facts):
            out.append(
                ItemState(
                    item,
                    True,
                    "computed",
                    None,
                    None,
                    tick.value if tick else None,
                    required=item.id != "postmortem_scheduled" or facts.postmortem_required,
                )
            )
        elif tick is not None:
            out.append(
                ItemState(
                    item,
                    True,
                    "tick",
                    tick.by,
                    tick.at,
                    tick.value,
                    required=item.id != "postmortem_scheduled" or facts.postmortem_required,
                )
            )
        else:
            out.append(ItemState(item, False, None, None, None, None))
    return out


def unchecked(states: list[ItemState]) -> list[ItemDef]:
    return [s.item for s in states if not s.done]
