"""The draft's timeline: one line per real entry, in the draft's language, with the bursts of
automated entries folded.

An alert storm can attach thousands of alerts to one incident; a timeline that lists each is
unreadable and hides the three entries that matter. Automated entries of one kind (alerts
attached, pages sent, messages fanned out...) that follow each other within
:data:`BURST_GAP` become one line that says how many there were, over what span, and — for
alerts — which alert names were most frequent. Everything people did (acknowledgements,
severity and role changes, status updates, notes, runbook steps) keeps its own line. Notes say
what kind of note they are; an inference says plainly that it is not an established fact.

Pure: no database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from plantao.postmortems.draft_facts import EntryFact

__all__ = ["BURST_GAP", "Line", "lines", "role_label"]

#: Automated entries further apart than this start a new line.
BURST_GAP = timedelta(minutes=10)
TOP_NAMES = 3
_AUTOMATED = ("alert.", "notify.", "comms.", "responder.paged", "status_update.overdue")

_ROLES = {
    "en": {
        "incident_commander": "Incident Commander",
        "comms_lead": "Comms Lead",
        "ops_lead": "Ops Lead",
        "sme": "SME",
        "scribe": "Scribe",
    },
    "pt-BR": {
        "incident_commander": "Incident Commander (IC)",
        "comms_lead": "Comms Lead",
        "ops_lead": "Ops Lead",
        "sme": "especialista (SME)",
        "scribe": "Scribe",
    },
}
_STATUS = {
    "en": {
        "triggered": "Reopened",
        "acknowledged": "Acknowledged",
        "mitigated": "Mitigated",
        "resolved": "Resolved",
        "closed": "Closed",
    },
    "pt-BR": {
        "triggered": "Reaberto",
        "acknowledged": "Reconhecido",
        "mitigated": "Mitigado",
        "resolved": "Resolvido",
        "closed": "Encerrado",
    },
}
_NOTE = {
    "en": {
        "fact": "Fact",
        "inference": "Inference (not established fact)",
        "action": "Action",
        "decision": "Decision",
    },
    "pt-BR": {
        "fact": "Fato",
        "inference": "Inferência (não é fato estabelecido)",
        "action": "Ação",
        "decision": "Decisão",
    },
}
_BURST = {
    "en": {
        "alert.attached": "{n} alerts attached",
        "alert.resolved": "{n} alerts resolved",
        "alert.refired": "{n} alerts fired again",
        "notify.paged": "{n} pages sent",
        "notify.unreachable": "{n} pages found nobody reachable",
        "responder.paged": "{n} responders paged",
        "comms.fanned_out": "{n} stakeholder messages sent",
        "status_update.overdue": "{n} reminders that a status update was overdue",
        "other": "{n} × {kind}",
    },
    "pt-BR": {
        "alert.attached": "{n} alertas anexados",
        "alert.resolved": "{n} alertas resolvidos",
        "alert.refired": "{n} alertas dispararam de novo",
        "notify.paged": "{n} acionamentos enviados",
        "notify.unreachable": "{n} acionamentos sem ninguém alcançável",
        "responder.paged": "{n} pessoas acionadas",
        "comms.fanned_out": "{n} mensagens enviadas às partes interessadas",
        "status_update.overdue": "{n} lembretes de atualização de status atrasada",
        "other": "{n} × {kind}",
    },
}
_WORDS = {
    "en": {
        "opened": "Incident opened: {title}",
        "declared": "Incident declared by {actor}",
        "severity": "Severity changed from {before} to {after}",
        "role.assigned": "{user} became {role}",
        "role.handed_over": "{role} handed over from {before} to {user}",
        "role.removed": "{user} no longer {role}",
        "update": "Status update posted ({status}): {impact}",
        "by": "by",
        "until": "until",
        "top": "most frequent",
    },
    "pt-BR": {
        "opened": "Incidente aberto: {title}",
        "declared": "Incidente declarado por {actor}",
        "severity": "Severidade alterada de {before} para {after}",
        "role.assigned": "{user} assumiu como {role}",
        "role.handed_over": "{role} passou de {before} para {user}",
        "role.removed": "{user} deixou de ser {role}",
        "update": "Atualização de status publicada ({status}): {impact}",
        "by": "por",
        "until": "até",
        "top": "mais frequentes",
    },
}

#: Recorded messages (written in English) whose opening the Portuguese draft translates.
_PT_OPENINGS = (
    ("Runbook linked", "Runbook vinculado"),
    ("Runbook suggested:", "Runbook sugerido:"),
    ("Confirmed runbook", "Runbook confirmado:"),
    ("Checked:", "Item marcado:"),
    ("Unchecked:", "Item desmarcado:"),
    ("Alert attached:", "Alerta anexado:"),
    ("Paging", "Acionando"),
)


@dataclass(slots=True)
class Line:
    """One line of the draft's timeline: when, and what happened, already worded."""

    at: datetime
    text: str
    kind: str
    count: int = 1
    last_at: datetime | None = None
    names: Counter[str] = field(default_factory=Counter)


def lines(entries: tuple[EntryFact, ...], language: str) -> list[Line]:
    """``entries`` (oldest first) as timeline lines in ``language`` (``en`` or ``pt-BR``)."""
    lang = "pt-BR" if language == "pt-BR" else "en"
    out: list[Line] = []
    open_bursts: dict[str, Line] = {}
    for entry in entries:
        if entry.kind.startswith(_AUTOMATED):
            burst = open_bursts.get(entry.kind)
            if burst is not None and entry.at - (burst.last_at or burst.at) <= BURST_GAP:
                burst.count += 1
                burst.last_at = entry.at
                burst.names[_alert_name(entry)] += 1
                continue
            line = Line(entry.at, _word(entry, lang), entry.kind, last_at=entry.at)
            line.names[_alert_name(entry)] += 1
            open_bursts[entry.kind] = line
            out.append(line)
            continue
        out.append(Line(entry.at, _word(entry, lang), entry.kind))
    for line in out:
        if line.count > 1:
            line.text = _burst_text(line, lang)
    return out


def role_label(role: str, language: str) -> str:
    """The role's name in ``language`` (``incident_commander`` → "Incident Commander")."""
    return _ROLES["pt-BR" if language == "pt-BR" else "en"].get(role, role)


def _burst_text(line: Line, lang: str) -> str:
    words = _BURST[lang]
    text = words.get(line.kind, words["other"]).format(n=f"{line.count:,}", kind=line.kind)
    if line.last_at is not None and f"{line.last_at:%H:%M}" != f"{line.at:%H:%M}":
        text += f" ({_WORDS[lang]['until']} {line.last_at:%H:%M})"
    names = [(name, n) for name, n in line.names.most_common(TOP_NAMES) if name]
    if line.kind.startswith("alert.") and names:
        listed = ", ".join(f"{name} ×{n:,}" for name, n in names)
        text += f"; {_WORDS[lang]['top']}: {listed}"
    return text


def _alert_name(entry: EntryFact) -> str:
    labels = entry.data.get("labels")
    if isinstance(labels, dict) and isinstance(labels.get("alertname"), str):
        return str(labels["alertname"])
    _, _, summary = entry.message.partition(": ")
    return summary[:80]


def _word(entry: EntryFact, lang: str) -> str:
    """The entry in the draft's language where its kind is known, else its own message."""
    words = _WORDS[lang]
    data: dict[str, Any] = dict(entry.data)
    kind = entry.kind
    text = entry.message
    if kind == "note":
        label = _NOTE[lang].get(str(data.get("kind", "fact")), _NOTE[lang]["fact"])
        return f"{label}: {_one_line(entry.message)} ({entry.actor})"
    if kind == "incident.triggered" and "from" not in data:
        text = words["opened"].format(title=entry.message.partition(": ")[2] or entry.message)
    elif kind == "incident.declared":
        text = words["declared"].format(actor=entry.actor)
    elif kind.startswith("incident.") and "to" in data and str(data["to"]) in _STATUS[lang]:
        text = _STATUS[lang][str(data["to"])]
        if data.get("reason"):
            text += f" ({_one_line(str(data['reason']))})"
        text += f" {words['by']} {entry.actor}"
    elif kind == "incident.severity":
        before, after = data.get("from", "?"), data.get("to", "?")
        text = words["severity"].format(before=before, after=after)
        reason = entry.message.partition(": ")[2]
        text += f": {_one_line(reason)}" if reason else ""
        text += f" ({entry.actor})"
    elif kind in ("role.assigned", "role.handed_over", "role.removed"):
        role = _ROLES[lang].get(str(data.get("role")), str(data.get("role")))
        text = words[kind].format(
            user=data.get("user", "?"), role=role, before=data.get("from", "?")
        )
        text += f" ({entry.actor})"
    elif kind == "status_update":
        impact = _one_line(str(data.get("impact", "")))[:200]
        text = words["update"].format(status=data.get("status", "?"), impact=impact)
        text += f" ({entry.actor})"
    else:
        text = (
            _translated(_one_line(entry.message)) if lang == "pt-BR" else _one_line(entry.message)
        )
        if entry.actor and entry.actor not in text:
            text += f" ({entry.actor})"
    return text


def _translated(message: str) -> str:
    for english, portuguese in _PT_OPENINGS:
        if message.startswith(english):
            return portuguese + message[len(english) :]
    return message


def _one_line(text: str) -> str:
    """A multi-line message on one Markdown list line."""
    return " ".join(text.split())
