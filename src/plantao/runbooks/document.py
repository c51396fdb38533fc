"""One runbook file: Markdown with YAML front matter, parsed into an immutable :class:`Runbook`.

The format is plain Markdown so runbooks live in git, are reviewed like code and still read well
on any forge. Everything the platform acts on (ids, owners, alert matchers, parameters, guarded
actions) is declared explicitly in front matter or in fenced-block attributes, never guessed from
prose. Every problem names file, line and field because the person fixing a runbook is often
doing it mid-incident from a terminal; "invalid runbook" alone would cost them minutes.

Parsing is pure: text in, dataclass or :class:`RunbookError` out. Warnings (unknown keys,
duplicate sections) travel on the runbook so the linter can report them without re-parsing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from plantao.matchers import Matcher, MatcherError, parse_matcher
from plantao.runbooks.actions import (
    ACTION_SLUG,
    DANGERS,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    ROLE_NAME,
    Action,
    ParamSpec,
    parse_param_spec,
)

Severity = Literal["error", "warning"]
LANGS = ("en", "pt-BR")
RUNBOOK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEVERITY_HINT = re.compile(r"^(sev[1-4]|p[0-3])$")
REVIEW_EVERY = re.compile(r"^(\d{1,4})([dw])$")
SHELLS = ("sh", "shell", "bash")
KNOWN_KEYS = frozenset({
    "id", "title", "lang", "owner", "services", "alerts", "symptoms", "severity_hint",
    "last_reviewed", "review_every", "tags", "parameters",
})

# Heading text (accent-folded, lower case, punctuation as spaces) -> section kind. Longer
# phrases are tried before single words, and a heading that merely starts with or contains a
# phrase ("Diagnóstico rápido (10 min)", "Ações de mitigação") still maps.
SECTION_HEADINGS: dict[str, str] = {
    "symptom": "symptom", "symptoms": "symptom", "sintoma": "symptom", "sintomas": "symptom",
    "diagnosis": "diagnosis", "diagnose": "diagnosis", "diagnostics": "diagnosis",
    "investigation": "diagnosis", "diagnostico": "diagnosis", "investigacao": "diagnosis",
    "mitigation": "mitigation", "mitigate": "mitigation", "remediation": "mitigation",
    "mitigacao": "mitigation", "remediacao": "mitigation",
    "rollback": "rollback", "roll back": "rollback", "revert": "rollback",
    "reversao": "rollback", "reverter": "rollback",
    "verification": "verification", "verify": "verification", "validation": "verification",
    "verificacao": "verification", "verificacoes": "verification", "validacao": "verification",
    "follow up": "follow_up", "followup": "follow_up", "acompanhamento": "follow_up",
    "pos acao": "follow_up", "pos incidente": "follow_up", "next steps": "follow_up",
    "proximos passos": "follow_up",
    "escalate": "escalate", "escalation": "escalate", "when to escalate": "escalate",
    "escalonamento": "escalate", "escalar": "escalate", "quando escalar": "escalate",
    "escalonar": "escalate",
}
SECTION_KINDS = (
    "symptom", "diagnosis", "mitigation", "rollback", "verification", "follow_up", "escalate",
)
_PHRASES = sorted(SECTION_HEADINGS, key=len, reverse=True)
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+(.+)", re.DOTALL)
_ATTRS = re.compile(r"^\s*([A-Za-z0-9_+-]*)\s*\{(.*)\}\s*$")
_ATTR = re.compile(r"""([A-Za-z_][A-Za-z0-9_-]*)=("[^"]*"|'[^']*'|[^\s"']+)""")
# Block structure only: headings, lists and fences carry everything we read, and skipping the
# inline pass (emphasis, links) halves parse time on large libraries.
_MD = MarkdownIt("commonmark").disable(["inline", "text_join"])
# libyaml when present: parsing is most of the cost of loading a large runbook directory.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """A located complaint about a runbook file; ``line`` is 1-based within the file."""

    file: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.field}: {self.message}"


class RunbookError(ValueError):
    """A runbook that cannot be used; ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    lang: str
    owner: str
    last_reviewed: date
    review_every: timedelta
    path: str
    version: str
    body: str
    services: tuple[str, ...] = ()
    alerts: tuple[tuple[Matcher, ...], ...] = ()
    symptoms: tuple[str, ...] = ()
    severity_hint: str | None = None
    tags: tuple[str, ...] = ()
    parameters: Mapping[str, ParamSpec] = field(default_factory=dict)
    sections: Mapping[str, Section] = field(default_factory=dict)
    other_sections: tuple[Section, ...] = ()
    steps: tuple[Step, ...] = ()
    actions: tuple[Action, ...] = ()
    warnings: tuple[Problem, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)  # front-matter path -> file line

    def line_of(self, path: str) -> int:
        """File line of a front-matter key such as ``last_reviewed`` or ``parameters.group``."""
        return self.lines.get(path, 1)

    @property
    def short_version(self) -> str:
        return self.version[:12]

    @property
    def review_due(self) -> date:
        return self.last_reviewed + self.review_every

    def is_stale(self, today: date) -> bool:
        return self.review_due < today

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def links(self, labels: Mapping[str, str]) -> bool:
        """True when every matcher of at least one ``alerts`` group matches the labels."""
        return any(all(m.matches(labels) for m in group) for group in self.alerts if group)


def is_specific(group: tuple[Matcher, ...]) -> bool:
    """A group selects something only if it has a positive matcher that is not a catch-all;
    exclusions alone (``severity!="info"``) would link almost every alert."""
    return any(m.op in ("=", "=~") and m.value not in ("", ".*", ".+") for m in group)


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


class _Collector:
    """Gathers problems for one file and maps front-matter paths to file lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.lines: dict[str, int] = {}

    def line_of(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
        return 1

    def error(self, path: str, message: str, line: int | None = None) -> None:
        self.errors.append(Problem(self.file, line or self.line_of(path), path, message))

    def warn(self, path: str, message: str, line: int | None = None) -> None:
        self.warnings.append(
            Problem(self.file, line or self.line_of(path), path, message, "warning")
        )

    def index(self, node: yaml.Node, path: str, first_line: int) -> None:
        """Record the line of every key and list item; flag duplicate keys YAML would hide."""
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                line = key_node.start_mark.line + first_line
                if key in seen:
                    self.error(child, "duplicate key", line)
                seen.add(key)
                self.lines.setdefault(child, line)
                self.index(value_node, child, first_line)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                self.lines[child] = item.start_mark.line + first_line
                self.index(item, child, first_line)


def parse_runbook(text: str, path: str | Path) -> Runbook:
    """Parse one runbook file's text; raises :class:`RunbookError` listing every error."""
    file = str(path)
    col = _Collector(file)
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise RunbookError([Problem(file, 1, "front matter", "file must start with a '---' line")])
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise RunbookError([Problem(file, 1, "front matter", "no closing '---' line")])
    front = "\n".join(lines[1:end])
    body_first_line = end + 2
    try:
        node, data = _load_yaml(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        problems = [Problem(file, line, "front matter", f"invalid YAML: {problem}")]
        raise RunbookError(problems) from None
    if not isinstance(data, dict) or node is None:
        raise RunbookError([Problem(file, 2, "front matter", "must be a YAML mapping")])
    col.index(node, "", 2)
    meta = _parse_meta(data, col)
    body = "\n".join(lines[end + 1 :])
    sections, others, steps, actions = _parse_body(body, body_first_line, meta["parameters"], col)
    if col.errors:
        raise RunbookError(col.errors)
    return Runbook(
        **meta, path=file, version=version, body=body, sections=sections,
        other_sections=tuple(others), steps=tuple(steps), actions=tuple(actions),
        warnings=tuple(col.warnings), lines=dict(col.lines),
    )


def _load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose once (the node tree gives line numbers), then construct the data from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _str_list(data: Mapping[str, Any], key: str, col: _Collector) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        col.error(key, "must be a list of strings, e.g. [a, b]")
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _parse_meta(data: Mapping[str, Any], col: _Collector) -> dict[str, Any]:
    for key in data:
        if key not in KNOWN_KEYS:
            col.warn(str(key), "unknown front-matter key (ignored)")
    meta: dict[str, Any] = {}
    for key in ("id", "title", "owner"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            col.error(key, "is required and must be a non-empty string")
            value = ""
        meta[key] = value.strip()
    if meta["id"] and not RUNBOOK_ID.match(meta["id"]):
        col.error("id", f"'{meta['id']}' is not a kebab-case slug (e.g. kafka-consumer-lag)")
    lang = data.get("lang", "en")
    if lang not in LANGS:
        col.error("lang", f"'{lang}' is not one of {', '.join(LANGS)}")
    meta["lang"] = lang
    for key in ("services", "symptoms", "tags"):
        meta[key] = _str_list(data, key, col)
    hint = data.get("severity_hint")
    if hint is not None:
        hint = str(hint).strip().lower()
        if not SEVERITY_HINT.match(hint):
            col.error("severity_hint", f"'{hint}' is not one of sev1..sev4 or p0..p3")
    meta["severity_hint"] = hint
    meta["last_reviewed"] = _parse_date(data.get("last_reviewed"), col)
    meta["review_every"] = _parse_period(data.get("review_every", "30d"), col)
    meta["alerts"] = _parse_alerts(data.get("alerts"), col)
    meta["parameters"] = _parse_parameters(data.get("parameters"), col)
    return meta


def _parse_date(value: object, col: _Collector) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    col.error("last_reviewed", "is required and must be a date like 2026-11-01")
    return date.min


def _parse_period(value: object, col: _Collector) -> timedelta:
    match = REVIEW_EVERY.match(str(value).strip())
    if match is None or int(match.group(1)) == 0:
        col.error("review_every", f"'{value}' is not a period like 30d or 6w")
        return timedelta(days=30)
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    return timedelta(days=days)


def _parse_alerts(value: object, col: _Collector) -> tuple[tuple[Matcher, ...], ...]:
    """A list of matcher strings is one AND group; a list of lists is OR over AND groups."""
    if value is None:
        return ()
    if not isinstance(value, list):
        col.error("alerts", "must be a list of matchers, or a list of lists of matchers")
        return ()
    if all(isinstance(v, str) for v in value):
        raw_groups: list[tuple[str, list[Any]]] = [("alerts", value)]
    elif all(isinstance(v, list) for v in value):
        raw_groups = [(f"alerts[{i}]", v) for i, v in enumerate(value)]
    else:
        col.error("alerts", "mixes matcher strings and lists; use one form")
        return ()
    groups: list[tuple[Matcher, ...]] = []
    for path, items in raw_groups:
        group: list[Matcher] = []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                col.error(f"{path}[{i}]", "a matcher must be a string like alertname=\"X\"")
                continue
            try:
                group.append(parse_matcher(item))
            except MatcherError as exc:
                col.error(f"{path}[{i}]", f"bad matcher {item!r}: {exc}")
        if not items:
            col.error(path, "an empty matcher group would match every alert")
        groups.append(tuple(group))
    return tuple(groups)


def _parse_parameters(value: object, col: _Collector) -> dict[str, ParamSpec]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        col.error("parameters", "must be a mapping of name -> {type: ..., ...}")
        return {}
    specs: dict[str, ParamSpec] = {}
    for name, raw in value.items():
        spec, problems = parse_param_spec(str(name), raw)
        for sub, message in problems:
            col.error(f"parameters.{name}" + (f".{sub}" if sub else ""), message)
        if spec is not None:
            specs[spec.name] = spec
    return specs


def _parse_body(
    body: str, first_line: int, params: Mapping[str, ParamSpec], col: _Collector
) -> tuple[dict[str, Section], list[Section], list[Step], list[Action]]:
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
            col.warn("sections", f"second '{heading}' section (also {kind}); it is ignored",
                     start + first_line)
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
    info: str, command: str, line: int, section: str, params: Mapping[str, ParamSpec],
    col: _Collector,
) -> Action | None:
    match = _ATTRS.match(info)
    if match is None:
        col.error("action", f"cannot read attributes in '{info}'; expected sh {{action=x ...}}",
                  line)
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
        col.error(f"{where}.danger", f"'{danger}' is not one of {', '.join(DANGERS)}"
                  if danger else "is required (read, mutate or destructive)", line)
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
            col.warn(f"{where}.params", f"uses ${spec.env_name} but does not list "
                     f"'{spec.name}' in params=; it will be unset", line)
    if len(col.errors) > errors_before or danger not in DANGERS:
        return None
    return Action(
        id=action_id, danger=danger, command=command, timeout=timeout, params=names,
        approvers=approvers, shell=shell, line=line, section=section,
    )
