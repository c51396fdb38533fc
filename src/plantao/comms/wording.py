"""The filters message templates use: times in the reader's zone, durations, and status, role
and note words in the message's language.

Kept apart from the templates so an operator's override gets the same words as the shipped
text, and so a status the filters do not know is shown as it is instead of failing a message
at 3 a.m. Each filter reads the message's ``language`` and ``time_zone`` from the render
context. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

WORDS: dict[str, dict[str, str]] = {
    "en": {
        # status updates (seed 002 status template)
        "investigating": "Investigating",
        "identified": "Cause identified",
        "monitoring": "Monitoring a fix",
        # the incident's lifecycle
        "triggered": "Triggered",
        "acknowledged": "Acknowledged",
        "mitigated": "Mitigated",
        "resolved": "Resolved",
        "closed": "Closed",
        # roles (seed 002 RACI)
        "incident_commander": "Incident Commander",
        "comms_lead": "Comms Lead",
        "ops_lead": "Ops Lead",
        "sme": "Subject-matter expert",
        "scribe": "Scribe",
        # note kinds
        "fact": "fact",
        "inference": "inference",
        "action": "action",
        "decision": "decision",
    },
    "pt-BR": {
        "investigating": "Investigando",
        "identified": "Causa identificada",
        "monitoring": "Monitorando a correção",
        "triggered": "Disparado",
        "acknowledged": "Reconhecido",
        "mitigated": "Mitigado",
        "resolved": "Resolvido",
        "closed": "Encerrado",
        "incident_commander": "Incident Commander (IC)",
        "comms_lead": "Líder de comunicação",
        "ops_lead": "Líder de operações",
        "sme": "Especialista (SME)",
        "scribe": "Escriba",
        "fact": "fato",
        "inference": "inferência",
        "action": "ação",
        "decision": "decisão",
    },
}
_DATE = {"en": "%Y-%m-%d", "pt-BR": "%d/%m/%Y"}


def _lang(ctx: Context) -> str:
    value = ctx.get("language")
    return value if value in WORDS else "en"


def _tz(ctx: Context) -> tzinfo:
    value = ctx.get("time_zone")
    return value if isinstance(value, tzinfo) else UTC


def zone_label(local: datetime) -> str:
    """``UTC``, ``BST``; a zone known only by its offset (``-03``) as ``UTC-03:00``."""
    name = local.tzname() or ""
    if name and any(ch.isalpha() for ch in name):
        return name
    offset = local.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local(ctx: Context, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a time, got {type(value).__name__}")
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(_tz(ctx))


@pass_context
def at(ctx: Context, value: datetime) -> str:
    """Date, time and zone: ``2026-12-02 14:32 UTC`` / ``02/12/2026 11:32 UTC-03:00``."""
    local = _local(ctx, value)
    return f"{local.strftime(_DATE[_lang(ctx)])} {local:%H:%M} {zone_label(local)}"


@pass_context
def hm(ctx: Context, value: datetime) -> str:
    """Time of day and zone: ``14:32 UTC``."""
    local = _local(ctx, value)
    return f"{local:%H:%M} {zone_label(local)}"


@pass_context
def day(ctx: Context, value: datetime) -> str:
    """The date alone, as the language writes it."""
    return _local(ctx, value).strftime(_DATE[_lang(ctx)])


def duration(minutes: int | float | None) -> str:
    """``38 min``, ``1 h 05 min``, ``2 d 3 h`` (the same units in both languages)."""
    if minutes is None:
        raise TypeError("duration of nothing")
    total = max(0, int(minutes))
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    return f"{mins} min"


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    return max(0, int((end - start).total_seconds() // 60))


@pass_context
def word(ctx: Context, value: Any) -> str:
    """A status, role or note kind in the message's language; unknown values as they are."""
    text = str(value)
    return WORDS[_lang(ctx)].get(text, text)


def install(env: SandboxedEnvironment) -> None:
    env.filters.update(at=at, hm=hm, day=day, duration=duration, word=word)
    env.globals.update(minutes_between=minutes_between)
