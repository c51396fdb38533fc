"""The postmortem draft's Markdown, from its facts, through a sandboxed Jinja2 template.

The template (shipped as ``templates/<language>/postmortem.md.j2``, or an operator's own
``<template dir>/postmortems/<language>/postmortem.md.j2``) sees:

- ``incident``: the :class:`~plantao.postmortems.draft_facts.DraftFacts` themselves;
- ``timeline``: lines with ``when`` (UTC ``HH:MM``, with the date when the incident spans
  days) and ``text`` (already in the draft's language, bursts of automated entries folded);
- ``figures``: time to detect / acknowledge / mitigate / resolve with ``label``, ``elapsed``,
  ``target`` and ``verdict`` (met / missed / blank), all words;
- ``changes``, ``runbooks``, ``runs``, ``severity_changes``, ``roles``: lists of worded rows;
- ``detection``, ``duration``, ``detected``, ``resolved``, ``language``.

Everything is pre-worded here so a template stays readable and an operator's template cannot
get a figure wrong. The environment is a :class:`~jinja2.sandbox.SandboxedEnvironment` with
:class:`~jinja2.StrictUndefined` (a misspelt name fails loudly rather than leaving a hole in the
draft) and no autoescaping (the output is Markdown, not HTML; the editor escapes when it shows
it). Pure: no database; the caller reads the operator's template file if there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from plantao.errors import ValidationFailed
from plantao.postmortems import draft_timeline
from plantao.postmortems.draft_facts import DraftFacts, Figure

__all__ = ["LANGUAGES", "TEMPLATE_NAME", "render", "render_source", "shipped_source"]

LANGUAGES = ("en", "pt-BR")
TEMPLATE_NAME = "postmortem.md.j2"
SHIPPED = Path(__file__).parent / "templates"

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "n/a": "n/a",
        "met": "met",
        "missed": "missed",
        "no target": "no target",
        "open": "not reached",
        "detect": "Time to detect",
        "acknowledge": "Time to acknowledge",
        "mitigate": "Time to mitigate",
        "resolve": "Time to resolve",
        "alert": "an alert",
        "customer": "a customer report",
        "team": "the team (declared by hand)",
        "linked": "linked",
        "confirmed": "confirmed by {who}",
    },
    "pt-BR": {
        "n/a": "n/d",
        "met": "cumprido",
        "missed": "não cumprido",
        "no target": "sem meta",
        "open": "não atingido",
        "detect": "Tempo até detectar",
        "acknowledge": "Tempo até reconhecer",
        "mitigate": "Tempo até mitigar",
        "resolve": "Tempo até resolver",
        "alert": "um alerta",
        "customer": "relato de cliente",
        "team": "a própria equipe (declarado manualmente)",
        "linked": "vinculado",
        "confirmed": "confirmado por {who}",
    },
}


@dataclass(frozen=True, slots=True)
class TimelineRow:
    when: str
    text: str


@dataclass(frozen=True, slots=True)
class FigureRow:
    label: str
    elapsed: str
    target: str
    verdict: str


def language_for(language: str) -> str:
    return "pt-BR" if language.lower() in ("pt-br", "pt", "pt_br") else "en"


def shipped_source(language: str) -> str:
    return (SHIPPED / language_for(language) / TEMPLATE_NAME).read_text(encoding="utf-8")


def render(facts: DraftFacts, language: str, source: str | None = None) -> str:
    """The draft in ``language`` from the shipped template, or from ``source`` when given."""
    lang = language_for(language)
    return render_source(shipped_source(lang) if source is None else source, lang, facts)


def render_source(source: str, language: str, facts: DraftFacts) -> str:
    """Render ``source``; :class:`ValidationFailed` names the line of a template that fails."""
    lang = language_for(language)
    template = _compiled(source)
    try:
        return template.render(context(facts, lang)).rstrip() + "\n"
    except TemplateError as exc:
        raise _refused(exc) from None


@lru_cache(maxsize=16)
def _compiled(source: str) -> Template:
    try:
        return _ENV.from_string(source)
    except TemplateError as exc:
        raise _refused(exc) from None


def _refused(exc: TemplateError) -> ValidationFailed:
    """The error with the template line that failed: a syntax error knows it; a render
    error's traceback holds it in the template's frame."""
    line: int | None = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    where = f" (line {line})" if line else ""
    return ValidationFailed(f"postmortem template: {exc.message}{where}")


def context(facts: DraftFacts, lang: str) -> dict[str, Any]:
    """The names a postmortem template sees (documented in the module docstring)."""
    words = _WORDS[lang]
    with_date = facts.spans_days

    def when(moment: datetime) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if with_date else f"{moment:%H:%M}"

    timeline = [
        TimelineRow(when(line.at), line.text) for line in draft_timeline.lines(facts.entries, lang)
    ]
    return {
        "incident": facts,
        "language": lang,
        "timeline": timeline,
        "figures": [_figure(figure, words) for figure in facts.figures],
        "detection": words[facts.detection],
        "duration": _duration(facts.duration, words),
        "detected": stamp(facts.detected_at),
        "opened": stamp(facts.triggered_at),
        "resolved": "" if facts.resolved_at is None else stamp(facts.resolved_at),
        "date": f"{facts.detected_at:%Y-%m-%d}",
        "severity_changes": [
            {"when": when(c.at), "before": c.before, "after": c.after, "actor": c.actor}
            for c in facts.severity_changes
        ],
        "roles": [
            {"role": draft_timeline.role_label(r.role, lang), "handle": r.handle, "name": r.name}
            for r in facts.roles
        ],
        "changes": [
            {
                "when": stamp(c.at),
                "summary": " ".join(c.summary.split()),
                "source": c.source or "",
                "who": c.who or "",
                "service": c.service,
            }
            for c in facts.changes
        ],
        "runbooks": [
            {
                "title": r.title,
                "link": r.url or r.ref,
                "state": (
                    words["confirmed"].format(who=r.confirmed_by)
                    if r.confirmed_by
                    else words["linked"]
                ),
            }
            for r in facts.runbooks
        ],
        "runs": [
            {
                "when": when(r.requested_at),
                "step": f"{r.runbook_id} → {r.action_id}",
                "status": r.status,
                "by": r.requested_by,
            }
            for r in facts.runs
        ],
    }


def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _figure(figure: Figure, words: dict[str, str]) -> FigureRow:
    elapsed = (
        _duration(figure.elapsed, words)
        if figure.elapsed is not None
        else (words["n/a"] if figure.name == "detect" else words["open"])
    )
    target = "" if figure.name == "detect" else _duration(figure.target, words, words["no target"])
    verdict = {True: words["met"], False: words["missed"], None: ""}[figure.met]
    return FigureRow(words[figure.name], elapsed, target, verdict)


def _duration(value: timedelta | None, words: dict[str, str], none: str | None = None) -> str:
    """``1 h 05 min``, ``12 min``, ``2 d 3 h``; seconds count only under a minute."""
    if value is None:
        return words["n/a"] if none is None else none
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


_ENV = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
