"""An alert's own words, sorted for the incident page: what it says, where to look, what else
the sender attached.

Senders put the useful parts in different places: Alertmanager in ``annotations`` (summary,
description, ``runbook_url``, dashboards) and ``generatorURL``; Grafana adds dashboard and panel
URLs; PagerDuty events carry ``links``, ``images`` and free-form ``custom_details``. Intake
keeps them in the alert's ``annotations`` and ``details`` (``intake/sources/*``), moving URLs
that may not be links to ``details["urls_as_text"]``. This module turns one alert into plain
values: the template renders every URL through the ``safe_link`` filter again (a URL that is not
safe stays text), folds long values and keeps their line breaks.

Images are never ``<img>``: the page's Content-Security-Policy allows images from this server
only (``img-src 'self' data:``, ``api/security_headers.py``), so a sender's image is a link and
the page says why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Longer than this (or on more lines), a value is folded in ``<details>``; a description,
#: the alert's main words, only when it is much longer.
FOLD_AT = 200
FOLD_LINES = 4
DESCRIPTION_FOLD_AT = 1200
DESCRIPTION_FOLD_LINES = 12
#: Nested custom details deeper than this are shown as JSON rather than as more rows.
MAX_ROWS = 100

# Where each kind of link comes from: (details or annotations key, kind shown).
_DETAIL_LINKS = (
    ("generator_url", "source"),
    ("dashboard_url", "dashboard"),
    ("panel_url", "panel"),
    ("silence_url", "silence"),
    ("external_url", "alertmanager"),
    ("client_url", "client"),
)
_ANNOTATION_LINKS = {
    "runbook_url": "runbook",
    "runbook": "runbook",
    "dashboard": "dashboard",
    "dashboard_url": "dashboard",
    "grafana_url": "dashboard",
    "playbook_url": "runbook",
}
_TEXT_ANNOTATIONS = ("summary", "description", "message", "title")


class AlertLike(Protocol):
    id: int
    status: str
    severity: str
    summary: str
    source: str

    @property
    def labels(self) -> Mapping[str, Any]: ...

    @property
    def annotations(self) -> Mapping[str, Any]: ...

    @property
    def details(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class LinkOut:
    """A URL as the sender gave it (the template decides if it may be an ``href``)."""

    kind: str  # source, dashboard, panel, silence, alertmanager, client, runbook, link, image
    url: str
    text: str | None = None


@dataclass(frozen=True)
class FieldOut:
    """A named value; ``long`` values are folded, ``pre`` ones keep their layout (JSON)."""

    name: str
    value: str
    long: bool = False
    pre: bool = False


@dataclass(frozen=True)
class AlertWords:
    id: int
    status: str
    severity: str
    source: str
    summary: str
    description: FieldOut | None
    links: list[LinkOut] = field(default_factory=list)
    images: list[LinkOut] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    annotations: list[FieldOut] = field(default_factory=list)
    custom_details: list[FieldOut] = field(default_factory=list)
    labels: list[tuple[str, str]] = field(default_factory=list)


def field_of(
    name: str, value: object, *, fold_at: int = FOLD_AT, fold_lines: int = FOLD_LINES
) -> FieldOut:
    """A value as text: strings as they are, anything else as indented JSON (kept as ``pre``)."""
    structured = not isinstance(value, str)
    text = (
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        if structured
        else str(value)
    )
    long = len(text) > fold_at or text.count("\n") >= fold_lines
    return FieldOut(name, text, long=long, pre=isinstance(value, dict | list))


def custom_fields(details: object) -> list[FieldOut]:
    """PagerDuty's ``custom_details``: one row per top-level key of an object (nested values
    as JSON), or the whole value as one row."""
    if isinstance(details, Mapping):
        rows = [field_of(str(k), v) for k, v in list(details.items())[:MAX_ROWS]]
        if len(details) > MAX_ROWS:
            rest = dict(list(details.items())[MAX_ROWS:])
            rows.append(field_of(f"… {len(rest)} more", rest))
        return rows
    if details is None:
        return []
    return [field_of("custom_details", details)]


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def words(alert: AlertLike) -> AlertWords:
    """Sort one alert's annotations and details into what the page shows."""
    annotations = {str(k): v for k, v in (alert.annotations or {}).items()}
    details = dict(alert.details or {})
    description = None
    for key in ("description", "message"):
        value = annotations.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != alert.summary:
            description = field_of(
                key,
                value.strip(),
                fold_at=DESCRIPTION_FOLD_AT,
                fold_lines=DESCRIPTION_FOLD_LINES,
            )
            break
    links: list[LinkOut] = []
    for key, kind in _DETAIL_LINKS:
        value = details.get(key)
        if isinstance(value, str) and value:
            links.append(LinkOut(kind, value))
    for key, kind in _ANNOTATION_LINKS.items():
        value = annotations.get(key)
        if isinstance(value, str) and value.strip():
            links.append(LinkOut(kind, value.strip()))
    for item in details.get("links") or []:
        if isinstance(item, Mapping) and isinstance(item.get("href"), str):
            links.append(LinkOut("link", str(item["href"]), _text(item.get("text"))))
    images = [
        LinkOut("image", str(item.get("href") or item["src"]), _text(item.get("alt")))
        for item in details.get("images") or []
        if isinstance(item, Mapping) and isinstance(item.get("src"), str)
    ]
    shown = {"summary", "description", "message", *_ANNOTATION_LINKS}
    other = [
        field_of(k, v)
        for k, v in sorted(annotations.items())
        if k not in shown and not (k == "title" and v == alert.summary)
    ]
    for key in ("value", "receiver", "client", "source"):
        if key in details and key not in dict(_DETAIL_LINKS):
            other.append(field_of(key, details[key]))
    return AlertWords(
        id=alert.id,
        status=alert.status,
        severity=alert.severity,
        source=alert.source,
        summary=alert.summary,
        description=description,
        links=links,
        images=images,
        unsafe=_strings(details.get("urls_as_text")),
        annotations=other,
        custom_details=custom_fields(details.get("custom_details")),
        labels=sorted((str(k), str(v)) for k, v in (alert.labels or {}).items()),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def common_labels(label_sets: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The labels every alert shares with the same value: the matchers a silence of exactly
    these alerts (and their repeats) would use."""
    if not label_sets:
        return {}
    first = {str(k): str(v) for k, v in label_sets[0].items()}
    for labels in label_sets[1:]:
        first = {k: v for k, v in first.items() if str(labels.get(k, "\0")) == v}
    return dict(sorted(first.items()))


def matcher_lines(labels: Mapping[str, str]) -> list[str]:
    """``name="value"`` matchers as ``plantao.matchers`` reads them back (quotes escaped)."""
    lines = []
    for name, value in labels.items():
        escaped = value.replace('"', '\\"')
        lines.append(f'{name}="{escaped}"')
    return lines
