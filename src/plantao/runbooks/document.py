"""One runbook file: Markdown with YAML front matter, parsed into an immutable :class:`Runbook`.

The format is plain Markdown so runbooks live in git, are reviewed like code and still read well
on any forge. Everything the platform acts on (ids, owners, alert matchers, parameters, guarded
actions) is declared explicitly in front matter or in fenced-block attributes, never guessed from
prose.

Parsing is pure: text in, dataclass or :class:`RunbookError` out. Warnings (unknown keys,
duplicate sections) travel on the runbook so the linter can report them without re-parsing.
The Markdown body is read by :mod:`plantao.runbooks.body`; problems live in
:mod:`plantao.runbooks.problems` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from plantao.matchers import Matcher, MatcherError, parse_matcher
from plantao.runbooks.body import Section, Step, fold, parse_body, section_kind
from plantao.runbooks.families import Family, FamilyError, parse_family
from plantao.runbooks.problems import Collector, Problem, RunbookError, Severity
from plantao.runbooks.rollback_match import RevertSpec, check_actions, parse_reverts
from plantao.runbooks.step_guard import Action, ParamSpec, parse_param_spec

__all__ = [
    "LANGS",
    "Problem",
    "Runbook",
    "RunbookError",
    "Section",
    "Severity",
    "Step",
    "fold",
    "is_specific",
    "parse_runbook",
    "section_kind",
]

LANGS = ("en", "pt-BR")
RUNBOOK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEVERITY_HINT = re.compile(r"^(sev[1-4]|p[0-3])$")
REVIEW_EVERY = re.compile(r"^(\d{1,4})([dw])$")
KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "lang",
        "owner",
        "services",
        "alerts",
        "symptoms",
        "severity_hint",
        "last_reviewed",
        "review_every",
        "tags",
        "parameters",
        "reverts",
        "families",
    }
)

# libyaml when present: parsing YAML is most of the cost of loading a large directory.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Runbook:
    """A parsed runbook; immutable so a library can hand the same object to many readers."""

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
    #: Alert families it handles (:mod:`plantao.runbooks.families`): ranking evidence, no link.
    families: tuple[Family, ...] = ()
    symptoms: tuple[str, ...] = ()
    severity_hint: str | None = None
    tags: tuple[str, ...] = ()
    parameters: Mapping[str, ParamSpec] = field(default_factory=dict)
    sections: Mapping[str, Section] = field(default_factory=dict)
    other_sections: tuple[Section, ...] = ()
    steps: tuple[Step, ...] = ()
    actions: tuple[Action, ...] = ()
    #: Which of its steps revert which change events (:mod:`plantao.runbooks.rollback_match`).
    reverts: tuple[RevertSpec, ...] = ()
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


def parse_runbook(text: str, path: str | Path) -> Runbook:
    """Parse one runbook file's text; raises :class:`RunbookError` listing every error."""
    file = str(path)
    col = Collector(file)
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
    sections, others, steps, actions = parse_body(body, body_first_line, meta["parameters"], col)
    check_actions(meta["reverts"], actions, col)
    if col.errors:
        raise RunbookError(col.errors)
    return Runbook(
        **meta,
        path=file,
        version=version,
        body=body,
        sections=sections,
        other_sections=tuple(others),
        steps=tuple(steps),
        actions=tuple(actions),
        warnings=tuple(col.warnings),
        lines=dict(col.lines),
    )


def _load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose once (the node tree gives line numbers), then construct the data from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _str_list(data: Mapping[str, Any], key: str, col: Collector) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        col.error(key, "must be a list of strings, e.g. [a, b]")
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _parse_meta(data: Mapping[str, Any], col: Collector) -> dict[str, Any]:
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
    meta["families"] = _parse_families(data.get("families"), col)
    meta["parameters"] = _parse_parameters(data.get("parameters"), col)
    meta["reverts"] = parse_reverts(data.get("reverts"), col)
    return meta


def _parse_date(value: object, col: Collector) -> date:
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


def _parse_period(value: object, col: Collector) -> timedelta:
    match = REVIEW_EVERY.match(str(value).strip())
    if match is None or int(match.group(1)) == 0:
        col.error("review_every", f"'{value}' is not a period like 30d or 6w")
        return timedelta(days=30)
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    return timedelta(days=days)


def _parse_alerts(value: object, col: Collector) -> tuple[tuple[Matcher, ...], ...]:
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
                col.error(f"{path}[{i}]", 'a matcher must be a string like alertname="X"')
                continue
            try:
                group.append(parse_matcher(item))
            except MatcherError as exc:
                col.error(f"{path}[{i}]", f"bad matcher {item!r}: {exc}")
        if not items:
            col.error(path, "an empty matcher group would match every alert")
        groups.append(tuple(group))
    return tuple(groups)


def _parse_families(value: object, col: Collector) -> tuple[Family, ...]:
    """A list of alert-name globs or ``label=glob`` strings; each bad entry is named."""
    if value is None:
        return ()
    if not isinstance(value, list):
        col.error("families", "must be a list like [KubeNodeNotReady, 'job=*mysqld*']")
        return ()
    found: list[Family] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            col.error(f"families[{i}]", f"{item!r} must be a string like Node*Pressure")
            continue
        try:
            found.append(parse_family(item))
        except FamilyError as exc:
            col.error(f"families[{i}]", str(exc))
    return tuple(found)


def _parse_parameters(value: object, col: Collector) -> dict[str, ParamSpec]:
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
