"""The handoff's text (seed 003 §11.4's template) in English or Brazilian Portuguese.

Rendered from the stored facts plus the outgoing person's notes, through a sandboxed Jinja2
environment with StrictUndefined (a misspelt name fails loudly instead of leaving a hole in a
message somebody reads at 3 a.m.) and no autoescaping (the text is plain Markdown: e-mail,
chat and the web page each escape it where they show it). Times are shown in the schedule's
time zone, because that is the clock the hand-over was agreed in. Everything is worded here
so the template stays a readable layout. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from plantao.oncall.handoff_facts import HandoffFacts, IncidentLine

__all__ = ["LANGUAGES", "Rendered", "language_of", "render"]

LANGUAGES = ("en", "pt-BR")

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "On-call handoff",
        "from": "From",
        "to": "To",
        "status": "Overall status",
        "stable": "✅ Stable",
        "minor_issues": "⚠️ Minor issues",
        "active_incident": "🔥 Active incident",
        "incidents": "Incidents in the shift",
        "problems": "Problems still open",
        "alerts": "Active alerts (not paging)",
        "windows": "Maintenance windows in the next 24 h",
        "changes": "Changes planned in the next 24 h",
        "actions": "Corrective actions due soon",
        "notes": "Notes",
        "none": "None",
        "nobody": "nobody",
        "open": "still open",
        "resolved": "resolved",
        "since": "since",
        "due": "due",
        "until": "until",
        "open_ended": "open-ended",
        "shift": "Shift",
    },
    "pt-BR": {
        "title": "Passagem de plantão",
        "from": "De",
        "to": "Para",
        "status": "Status geral",
        "stable": "✅ Estável",
        "minor_issues": "⚠️ Problemas menores",
        "active_incident": "🔥 Incidente ativo",
        "incidents": "Incidentes no turno",
        "problems": "Problemas em andamento",
        "alerts": "Alertas ativos (que não acionam plantão)",
        "windows": "Janelas de manutenção nas próximas 24 h",
        "changes": "Mudanças previstas nas próximas 24 h",
        "actions": "Ações corretivas com prazo próximo",
        "notes": "Observações",
        "none": "Nenhum",
        "nobody": "ninguém",
        "open": "ainda aberto",
        "resolved": "resolvido",
        "since": "desde",
        "due": "prazo",
        "until": "até",
        "open_ended": "sem fim definido",
        "shift": "Turno",
    },
}

_TEMPLATE = """\
**{{ w.title }} – {{ schedule }} – {{ day }}**

**{{ w.from }}:** {{ outgoing }}
**{{ w.to }}:** {{ incoming }}
{{ w.shift }}: {{ shift }}

**{{ w.status }}:** {{ status }}

**{{ w.incidents }}:**
{% for line in incidents %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.problems }}:**
{% for line in problems %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.alerts }}:**
{% for line in alerts %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.windows }}:**
{% for line in windows %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.changes }}:**
{% for line in changes %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.actions }}:**
{% for line in actions %}- {{ line }}
{% else %}- {{ w.none }}
{% endfor %}
**{{ w.notes }}:**
{% if notes %}{{ notes }}{% else %}- {{ w.none }}{% endif %}
"""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def language_of(value: str | None) -> str:
    """A supported language for ``value`` (``pt``, ``pt-br`` → pt-BR; anything else → en)."""
    return "pt-BR" if value and value.lower().startswith("pt") else "en"


@lru_cache(maxsize=1)
def _template() -> Template:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    return env.from_string(_TEMPLATE)


def _local(value: datetime, zone: ZoneInfo, *, day: bool = True) -> str:
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M %Z") if day else local.strftime("%H:%M")


def _incident(line: IncidentLine, zone: ZoneInfo, w: dict[str, str]) -> str:
    when = _local(line.started_at, zone)
    head = f"{when} – {line.ref} {line.title} ({line.severity}, {line.service})"
    if line.is_open:
        return f"{head} – {w['open']} ({line.status})"
    how = f": {line.resolution}" if line.resolution else ""
    return f"{head} – {w['resolved']}{how}"


def render(facts: HandoffFacts, notes: str, language: str) -> Rendered:
    """The subject and Markdown text of a handoff in ``language`` (en or pt-BR)."""
    w = _WORDS[language_of(language)]
    zone = ZoneInfo(facts.time_zone)
    windows = []
    for window in facts.windows:
        start = _local(window.starts_at, zone) if window.starts_at else "…"
        end = _local(window.ends_at, zone) if window.ends_at else w["open_ended"]
        scope = f" ({', '.join(window.services)})" if window.services else ""
        windows.append(f"{start} {w['until']} {end} – {window.name}{scope}")
    values: dict[str, Any] = {
        "w": w,
        "schedule": facts.schedule_name,
        "day": facts.handoff_at.astimezone(zone).strftime("%Y-%m-%d"),
        "outgoing": ", ".join(f"@{h}" for h in facts.outgoing) or w["nobody"],
        "incoming": ", ".join(f"@{h}" for h in facts.incoming) or w["nobody"],
        "shift": f"{_local(facts.shift_start, zone)} → {_local(facts.handoff_at, zone)}",
        "status": w[facts.status],
        "incidents": [_incident(i, zone, w) for i in facts.incidents],
        "problems": [_incident(i, zone, w) for i in facts.open_problems],
        "alerts": [
            f"{a.summary} ({a.severity}, {a.service}) – {w['since']} {_local(a.since, zone)}"
            for a in facts.alerts
        ],
        "windows": windows,
        "changes": [f"{_local(c.at, zone)} – {c.summary} ({c.service})" for c in facts.changes],
        "actions": [
            f"{a.ref} {a.title} – {w['due']} {a.due.isoformat()}"
            + (f" (@{a.owner})" if a.owner else "")
            for a in facts.actions
        ],
        "notes": notes.strip(),
    }
    subject = (
        f"{w['title']}: {facts.schedule_name} {_local(facts.handoff_at, zone)} – {w[facts.status]}"
    )
    return Rendered(subject=subject, text=_template().render(values))
