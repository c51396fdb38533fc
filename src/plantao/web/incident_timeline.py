"""Timeline entries in the reader's language, and times in the reader's time zone.

Timeline messages are stored in English, once, when the change happens (the timeline is the
audit record and must not change afterwards). The page renders the kinds it knows from a
translated template filled with the entry's ``data`` (or, for older kinds whose data lacks a
value, the part of the stored message that is the sender's own text, such as an alert's
summary); an unknown kind shows its stored message. A note is the responder's own words and is
never translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.incidents.models import TimelineEntry
from plantao.web import (
    checklist_view,
    learning_words,
    responder_words,
    role_words,
    status_words,
    unresolved_labels,
    update_words,
)
from plantao.web.whos_on_it import StepLabel, parse_label

Texts = Mapping[str, str]
Local = Callable[[datetime], str]

_PAGED = re.compile(r"^Paged (.+) \((.+?)\)(?: by (.+))?$")
_PAGING = re.compile(r"^Paging (\S+) \((high|low) urgency, (.*)\) via (.+)$")
_POLICY_REASON = re.compile(r"^policy '(.+)', (.+)$")
_UNREACHED = re.compile(r"^(.+?) reached nobody \((.*)\)$", re.DOTALL)
_EXHAUSTED = re.compile(r"^Escalation policy '(.+)' exhausted without acknowledgement after (\d+)")
_STATUS_KINDS = ("acknowledged", "mitigated", "resolved", "closed")


def recent(
    session: Session, incident_id: int, limit: int | None
) -> tuple[list[TimelineEntry], int]:
    """The newest ``limit`` entries (all when None), oldest first, and how many there are.

    Why not the whole timeline every time: a long incident has thousands of entries and the
    page (re-rendered on every live update) shows the latest ones; reading and decoding all of
    them was most of the page's time.
    """
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    if limit is None:
        entries = list(session.scalars(stmt.order_by(TimelineEntry.id)))
        return entries, len(entries)
    entries = list(session.scalars(stmt.order_by(TimelineEntry.id.desc()).limit(limit)))
    entries.reverse()
    if len(entries) < limit:
        return entries, len(entries)
    total = session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
    )
    return entries, int(total or 0)


def last_of(session: Session, incident_id: int, kinds: Sequence[str]) -> TimelineEntry | None:
    """The newest entry of one of ``kinds`` (the timeline index is (incident_id, id))."""
    return session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind.in_(kinds))
        .order_by(TimelineEntry.id.desc())
        .limit(1)
    ).one_or_none()


def latest_risk(session: Session, incident_id: int) -> dict[str, Any] | None:
    """The risk posture recorded last, as the risk form shows it."""
    entry = last_of(session, incident_id, ["risk.posture"])
    if entry is None:
        return None
    return {
        "level": entry.data.get("level"),
        "rationale": entry.data.get("rationale"),
        "by": entry.actor,
        "at": entry.at,
    }


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_formatter(time_zone: str | None, pattern: str = "%Y-%m-%d %H:%M") -> Local:
    """Format an aware UTC time in the reader's zone (the zone's abbreviation appended)."""
    tz = zone(time_zone)

    def local(at: datetime, fmt: str = pattern) -> str:
        there = at.astimezone(tz)
        return f"{there.strftime(fmt)} {there.tzname() or ''}".rstrip()

    return local


def step_text(label: StepLabel | None, t: Texts) -> str:
    if label is None:
        return ""
    if label.kind == "fallback":
        return t["inc_step_fallback"]
    if label.kind == "level":
        return unresolved_labels.level_text(label, t)
    if label.kind != "step":
        return label.text
    text = t["inc_step_n"].format(step=label.step, steps=label.steps)
    if label.repeat:
        text += t["inc_step_repeat"].format(repeat=label.repeat, repeats=label.repeats)
    return text


def reason_text(reason: str, t: Texts) -> str:
    """A page's reason as on-call or the web wrote it, translated when it is one of theirs."""
    found = _POLICY_REASON.match(reason)
    if found:
        return t["inc_reason_policy"].format(
            policy=found.group(1), step=step_text(parse_label(found.group(2)), t)
        )
    if reason.startswith("added as a responder by "):
        return t["inc_reason_added"].format(actor=reason.removeprefix("added as a responder by "))
    return reason


def _after(message: str, prefix: str) -> str:
    return message[len(prefix) :] if message.startswith(prefix) else message


def describe(entry: TimelineEntry, t: Texts, local: Local) -> str:
    """The entry's message in the reader's language."""
    kind, data, message = entry.kind, entry.data or {}, entry.message
    if kind == "note":
        return message
    if kind == "incident.triggered":
        if "from" in data:
            return t["inc_tl_reopened"] + _reason(data, t)
        return t["inc_tl_opened"].format(title=_after(message, "Incident opened: "))
    if kind == "incident.snoozed":
        return t["inc_tl_snoozed"].format(minutes=data.get("minutes", "?"), actor=entry.actor)
    if kind in learning_words.KINDS:
        return learning_words.describe(kind, data, entry.actor, message, t)
    if kind in status_words.KINDS:
        return status_words.describe(kind, data, message, t)
    status = kind.removeprefix("incident.")
    if status in _STATUS_KINDS:
        return t[f"inc_tl_{status}"] + _reason(data, t)
    simple = _simple(kind, data, message, t, local)
    if simple is not None:
        return simple
    return _oncall(kind, data, message, t) or message


def _reason(data: Mapping[str, object], t: Texts) -> str:
    reason = data.get("reason")
    return t["inc_tl_reason"].format(reason=reason) if reason else ""


def _simple(
    kind: str, data: Mapping[str, object], message: str, t: Texts, local: Local
) -> str | None:
    if kind == "incident.severity":
        reason = message.partition(": ")[2]
        text = t["inc_tl_severity"].format(
            before=str(data.get("from", "?")).upper(), after=str(data.get("to", "?")).upper()
        )
        return text + (t["inc_tl_reason"].format(reason=reason) if reason else "")
    if kind == "incident.snooze_ended":
        return t["inc_tl_snooze_ended"]
    if kind == "incident.visibility":
        key = "vis_tl_private" if data.get("private") else "vis_tl_public"
        return t[key].format(actor=message.partition(" made ")[0])
    if kind == "responder.added":
        actor = message.partition(" added ")[0]
        return t["inc_tl_responder_added"].format(actor=actor, user=data.get("user", "?"))
    if kind in responder_words.KINDS:
        return responder_words.describe(kind, data, t)
    if kind in role_words.KINDS:
        return role_words.describe(kind, data, message, t)
    if kind in update_words.KINDS:
        return update_words.describe(kind, data, message, t, local)
    if kind == "silence.created":
        until = data.get("until")
        when = local(datetime.fromisoformat(until)) if isinstance(until, str) else "?"
        matchers = data.get("matchers")
        shown = ", ".join(str(m) for m in matchers) if isinstance(matchers, list) else ""
        return t["inc_tl_silence"].format(id=data.get("silence", "?"), until=when, matchers=shown)
    if kind == "alert.attached":
        return t["inc_tl_alert_attached"].format(summary=_after(message, "Alert attached: "))
    if kind == "alert.refired":
        return t["inc_tl_alert_refired"].format(summary=_after(message, "Alert fired again: "))
    if kind == "alert.resolved":
        return t["inc_tl_alert_resolved"]
    if kind in ("checklist.checked", "checklist.unchecked"):
        verb = "Checked: " if kind == "checklist.checked" else "Unchecked: "
        return t[f"inc_tl_{kind.replace('.', '_')}"].format(item=_after(message, verb))
    if kind == "checklist.attached":
        return t["inc_tl_checklist_attached"].format(title=_after(message, "Checklist attached: "))
    if kind.startswith("checklist.") and (words := checklist_view.timeline_text(kind, data, t)):
        return words
    if kind == "oncall.deferred":
        until = data.get("until")
        when = local(datetime.fromisoformat(until)) if isinstance(until, str) else "?"
        return t["inc_tl_deferred"].format(until=when)
    if kind == "oncall.suppressed":
        return t["inc_tl_suppressed"].format(window=data.get("window", "?"))
    return None


def _oncall(kind: str, data: Mapping[str, object], message: str, t: Texts) -> str | None:
    if kind == "oncall.unresolved":
        return unresolved_labels.entry_text(data, t)
    if kind == "oncall.paged":
        found = _PAGED.match(message)
        if found is None:
            return None
        text = t["inc_tl_paged"].format(
            users=found.group(1), step=step_text(parse_label(found.group(2)), t)
        )
        return text + (t["inc_tl_by"].format(actor=found.group(3)) if found.group(3) else "")
    if kind == "oncall.unreached":
        found = _UNREACHED.match(message)
        if found is None:
            return None
        label = parse_label(found.group(1)[:1].lower() + found.group(1)[1:])
        return t["inc_tl_unreached"].format(step=step_text(label, t), why=found.group(2))
    if kind == "oncall.exhausted":
        found = _EXHAUSTED.match(message)
        if found is None:
            return None
        text = t["inc_tl_exhausted"].format(policy=found.group(1), passes=found.group(2))
        return text + (t["inc_tl_fallback"] if "fallback" in message else "")
    if kind == "notify.paged":
        found = _PAGING.match(message)
        if found is None:
            return None
        return t["inc_tl_notify_paged"].format(
            user=found.group(1),
            urgency=t[f"inc_urgency_{found.group(2)}"],
            reason=reason_text(found.group(3), t),
            via=found.group(4),
        )
    if kind == "notify.unreachable":
        urgency = "high" if " high urgency" in message else "low"
        return t["inc_tl_unreachable"].format(
            user=data.get("user", "?"), urgency=t[f"inc_urgency_{urgency}"]
        )
    return None
