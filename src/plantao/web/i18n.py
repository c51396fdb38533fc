"""UI texts in English and Brazilian Portuguese; the language comes from a cookie or the browser.

Each area of the UI keeps its texts in its own module under ``plantao.web.texts`` (``EN`` and
``PT_BR``); they are merged here, and a key defined by two areas is an error at import time.
"""

from __future__ import annotations

from types import ModuleType

from plantao.web.texts import (
    actions,
    admin,
    checklists,
    command,
    comms,
    core,
    error_pages,
    gate,
    handoffs,
    incident,
    incident_list,
    kpis,
    learning,
    oncall,
    postmortems,
    responders,
    reviews,
    runbook_feedback,
    runs,
    shifts,
    similar,
    sso,
    stakeholders,
    status_admin,
    status_publish,
    status_subscribers,
    unresolved,
    updates,
    visibility,
)

AREAS: tuple[ModuleType, ...] = (
    core,
    admin,
    sso,
    incident_list,
    error_pages,
    incident,
    oncall,
    handoffs,
    runs,
    checklists,
    command,
    comms,
    responders,
    stakeholders,
    status_subscribers,
    updates,
    unresolved,
    visibility,
    reviews,
    postmortems,
    actions,
    gate,
    learning,
    status_publish,
    status_admin,
    kpis,
    shifts,
    runbook_feedback,
    similar,
)


def _merge(attribute: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in AREAS:
        texts: dict[str, str] = getattr(area, attribute)
        clash = merged.keys() & texts.keys()
        if clash:
            raise RuntimeError(f"UI text keys defined twice: {sorted(clash)}")
        merged.update(texts)
    return merged


TEXTS: dict[str, dict[str, str]] = {"en": _merge("EN"), "pt-BR": _merge("PT_BR")}


def pick_language(cookie: str | None, accept: str | None) -> str:
    if cookie in TEXTS:
        return cookie
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("pt"):
            return "pt-BR"
        if tag.startswith("en"):
            return "en"
    return "en"
