"""The Markdown half of a runbook: sections, checklist steps and executable fenced blocks.

Only block structure matters here (headings, list items, fences), so the Markdown parser runs
without its inline pass. Headings are mapped to section kinds through a table of English and
Portuguese phrases, matched without case or accents, because runbooks are written by many hands
("Diagnóstico rápido (10 min)", "When to escalate") and a strict heading list would reject good
runbooks for spelling. A fence is executable only when its info string carries ``{...}``
attributes; everything else is shown to the reader and never run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from plantao.runbooks.problems import Collector
from plantao.runbooks.step_guard import (
    ACTION_SLUG,
    DANGERS,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    ROLE_NAME,
    Action,
    ParamSpec,
)

SHELLS = ("sh", "shell", "bash")
# Heading text (accent-folded, lower case, punctuation as spaces) -> section kind. Longer
# phrases are tried before single words, and a heading that merely starts with or contains a
# phrase ("Diagnóstico rápido (10 min)", "Ações de mitigação") still maps.
SECTION_HEADINGS: dict[str, str] = {
    "symptom": "symptom",
    "symptoms": "symptom",
    "sintoma": "symptom",
    "sintomas": "symptom",
    "diagnosis": "diagnosis",
    "diagnose": "diagnosis",
    "diagnostics": "diagnosis",
    "investigation": "diagnosis",
    "diagnostico": "diagnosis",
    "investigacao": "diagnosis",
    "mitigation": "mitigation",
    "mitigate": "mitigation",
    "remediation": "mitigation",
    "mitigacao": "mitigation",
    "remediacao": "mitigation",
    "rollback": "rollback",
    "roll back": "rollback",
    "revert": "rollback",
    "reversao": "rollback",
    "reverter": "rollback",
    "verification": "verification",
    "verify": "verification",
    "validation": "verification",
    "verificacao": "verification",
    "verificacoes": "verification",
    "validacao": "verification",
    "follow up": "follow_up",
    "followup": "follow_up",
    "acompanhamento": "follow_up",
    "pos acao": "follow_up",
    "pos incidente": "follow_up",
    "next steps": "follow_up",
    "proximos passos": "follow_up",
    "escalate": "escalate",
    "escalation": "escalate",
    "when to escalate": "escalate",
    "escalonamento": "escalate",
    "escalar": "escalate",
    "quando escalar": "escalate",
    "escalonar": "escalate",
}
SECTION_KINDS = (
    "symptom",
    "diagnosis",
    "mitigation",
    "rollback",
    "verification",
    "follow_up",
    "escalate",
)
_PHRASES = sorted(SECTION_HEADINGS, key=len, reverse=True)
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+(.+)", re.DOTALL)
_ATTRS = re.compile(r"^\s*([A-Za-z0-9_+-]*)\s*\{(.*)\}\s*$")
_ATTR = re.compile(r"""([A-Za-z_][A-Za-z0-9_-]*)=("[^"]*"|'[^']*'|[^\s"']+)""")
# Block structure only: headings, lists and fences carry everything we read, and skipping the
# inline pass (emphasis, links) halves parse time on large libraries.
_MD = MarkdownIt("commonmark").disable(["inline", "text_join"])


@dataclass(frozen=True)
class Section:
    kind: str
    heading: str
    line: int
    text: str


@dataclass(frozen=True)
class Step:
    """A checklist item (``- [ ] text``); ``done`` is the box as written in the file."""

    text: str
    done: bool
    line: int
    section: str


def fold(text: str) -> str:
    """Lower-case and strip accents so 'Diagnóstico' and 'diagnostico' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def section_kind(heading: str) -> str:
    norm = " ".join(re.sub(r"[^a-z0-9]+", " ", re.sub(r"\(.*?\)", " ", fold(heading))).split())
    if norm in SECTION_HEADINGS:
        return SECTION_HEADINGS[norm]
    padded = f" {norm} "
    for phrase in _PHRASES:
        if padded.startswith(f" {phrase} "):
            return SECTION_HEADINGS[phrase]
    for phrase in _PHRASES:
        if f" {phrase} " in padded:
            return SECTION_HEADINGS[phrase]
    return "other"


def parse_body(
    body: str, first_line: int, params: Mapping[str, ParamSpec], col: Collector
) -> tuple[dict[str, Section], list[Section], list[Step], list[Action]]:
    """Known sections, other sections, steps and actions; ``first_line`` maps to file lines."""
    tokens = _MD.parse(body)
    body_lines = body.split("\n")
    headings: list[tuple[int, str, str]] = []  # (body line, heading, kind) for h2
    steps: list[tuple[int, str, bool]] = []
    fences: list[Token] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h2" and tok.map:
            heading = tokens[i + 1].content.strip()
            headings.append((tok.map[0], heading, section_kind(heading)))
        elif tok.type == "fence":
            fences.append(tok)
        elif tok.type == "inline" and i >= 2 and tok.map:
            box = _CHECKBOX.match(tok.content)
            if box and tokens[i - 2].type == "list_item_open":
                text = " ".join(box.group(2).split())
                steps.append((tok.map[0], text, box.group(1) != " "))

    def kind_at(body_line: int) -> str:
        kind = "other"
        for start, _, k in headings:
            if start > body_line:
                break
            kind = k
        return kind

    sections: dict[str, Section] = {}
    others: list[Section] = []
    for n, (start, heading, kind) in enumerate(headings):
        stop = headings[n + 1][0] if n + 1 < len(headings) else len(body_lines)
        text = "\n".join(body_lines[start + 1 : stop])
        section = Section(kind, heading, start + first_line, text)
        if kind == "other":
            others.append(section)
        elif kind in sections:
            col.warn(
                "sections",
                f"second '{heading}' section (also {kind}); it is ignored",
                start + first_line,
            )
            others.append(section)
        else:
            sections[kind] = section
    step_objs = [Step(t, done, ln + first_line, kind_at(ln)) for ln, t, done in steps]
    actions: list[Action] = []
    for tok in fences:
        if "{" not in tok.info:
            continue
        line = (tok.map[0] if tok.map else 0) + first_line
        action = _parse_action(tok.info, tok.content, line, kind_at(line - first_line), params, col)
        if action is None:
            continue
        if any(a.id == action.id for a in actions):
            col.error("action", f"duplicate action id '{action.id}'", line)
            continue
        actions.append(action)
    return sections, others, step_objs, actions


def _parse_action(
    info: str,
    command: str,
    line: int,
    section: str,
    params: Mapping[str, ParamSpec],
    col: Collector,
) -> Action | None:
    match = _ATTRS.match(info)
    if match is None:
        col.error(
            "action", f"cannot read attributes in '{info}'; expected sh {{action=x ...}}", line
        )
        return None
    shell, raw = match.group(1) or "sh", match.group(2)
    attrs: dict[str, str] = {}
    for key, value in _ATTR.findall(raw):
        attrs[key] = value.strip("\"'")
    leftover = _ATTR.sub("", raw).strip()
    if leftover:
        col.error("action", f"cannot read '{leftover}' in the attributes", line)
    errors_before = len(col.errors)
    for key in attrs:
        if key not in ("action", "danger", "timeout", "params", "approvers"):
            col.error(f"action.{key}", "unknown attribute", line)
    action_id = attrs.get("action", "")
    if not ACTION_SLUG.match(action_id):
        col.error("action", "every executable block needs action=<kebab-case slug>", line)
    where = f"action '{action_id}'" if action_id else "action"
    if shell not in SHELLS:
        col.error(f"{where}.shell", f"'{shell}' blocks cannot run; use ```sh", line)
    elif shell == "bash":
        col.warn(f"{where}.shell", "runs under /bin/sh, not bash; avoid bash-only syntax", line)
    danger = attrs.get("danger")
    if danger not in DANGERS:
        col.error(
            f"{where}.danger",
            f"'{danger}' is not one of {', '.join(DANGERS)}"
            if danger
            else "is required (read, mutate or destructive)",
            line,
        )
    timeout = DEFAULT_TIMEOUT
    if "timeout" in attrs:
        if not attrs["timeout"].isdigit() or not 1 <= int(attrs["timeout"]) <= MAX_TIMEOUT:
            col.error(f"{where}.timeout", f"must be whole seconds from 1 to {MAX_TIMEOUT}", line)
        else:
            timeout = int(attrs["timeout"])
    names = tuple(p.strip() for p in attrs.get("params", "").split(",") if p.strip())
    for name in names:
        if name not in params:
            col.error(f"{where}.params", f"'{name}' is not declared under parameters", line)
    approvers = tuple(r.strip() for r in attrs.get("approvers", "").split("|") if r.strip())
    for role in approvers:
        if not ROLE_NAME.match(role):
            col.error(f"{where}.approvers", f"'{role}' is not a role name", line)
    if approvers and danger != "destructive":
        col.warn(f"{where}.approvers", "approvers only apply to destructive actions", line)
    if not command.strip():
        col.error(f"{where}.command", "the block is empty", line)
    for spec in params.values():
        if spec.name not in names and re.search(rf"\$\{{?{spec.env_name}\b", command):
            col.warn(
                f"{where}.params",
                f"uses ${spec.env_name} but does not list "
                f"'{spec.name}' in params=; it will be unset",
                line,
            )
    if len(col.errors) > errors_before or danger not in DANGERS:
        return None
    return Action(
        id=action_id,
        danger=danger,
        command=command,
        timeout=timeout,
        params=names,
        approvers=approvers,
        shell=shell,
        line=line,
        section=section,
    )
