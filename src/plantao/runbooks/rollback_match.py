"""Which runbook step reverts a change: the ``reverts`` front-matter key and its matching.

Seed 000's first triage question is "what changed just before, and can I revert it in two
minutes?". The incident page lists the service's recent change events; a runbook says which of
its executable steps undoes which changes, so the page can offer "Roll back" next to a change
and open that step with the change's own values filled in (the application, the revision to
go back to). The step then runs through its usual guard: nothing here runs anything.

A runbook declares it explicitly, never guessed from prose::

    reverts:
      - action: argocd-rollback            # an executable step of this runbook
        changes: ['source="argocd"']       # matchers on the change's facts (a list of lists: OR)
        params: {app: app, revision: previous_history_id}   # step parameter: change fact

A change's *facts* are flat text values: ``source`` and ``service`` (the service's slug) and
every scalar value of the event's ``custom_details`` (and of its other top-level details) whose
key is a valid label name (``app``, ``revision``, ``previous_history_id``). A change matches when
every matcher of one group matches its facts and every fact the ``params`` map names is present
(a rollback without the revision to go back to is no rollback). Kept pure: unit-tested in
milliseconds, and parsed with the rest of the front matter by :mod:`plantao.runbooks.document`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plantao.matchers import Matcher, MatcherError, parse_matcher
from plantao.runbooks.problems import Collector
from plantao.runbooks.step_guard import Action

if TYPE_CHECKING:
    from plantao.runbooks.document import Runbook

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Details keys that hold structure, not facts (links are shown, not matched).
_SKIPPED_DETAILS = frozenset({"custom_details", "links", "images"})
FACT_MAX = 512


@dataclass(frozen=True)
class RevertSpec:
    """One ``reverts`` entry: the step, the changes it reverts, where its values come from."""

    action: str
    changes: tuple[tuple[Matcher, ...], ...]
    params: Mapping[str, str] = field(default_factory=dict)  # step parameter -> change fact


@dataclass(frozen=True)
class Rollback:
    """A step that reverts one change, with the values taken from the change."""

    runbook_id: str
    runbook_title: str
    lang: str
    action: Action
    values: Mapping[str, str]

    @property
    def anchor(self) -> str:
        return f"step-{self.runbook_id}-{self.action.id}"


def _scalar(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text[:FACT_MAX] if text else None
    return None


def change_facts(
    source: str | None, service: str | None, details: Mapping[str, Any]
) -> dict[str, str]:
    """The flat facts a change is matched on (see the module docstring)."""
    facts: dict[str, str] = {}
    custom = details.get("custom_details")
    for mapping in (details, custom if isinstance(custom, Mapping) else {}):
        for key, value in mapping.items():
            if key in _SKIPPED_DETAILS or not _NAME.match(str(key)):
                continue
            text = _scalar(value)
            if text is not None:
                facts[str(key)] = text
    if source:
        facts["source"] = source
    if service:
        facts["service"] = service
    return facts


def parse_reverts(value: object, col: Collector) -> tuple[RevertSpec, ...]:
    """The ``reverts`` front-matter key; problems go to ``col`` with their path."""
    if value is None:
        return ()
    if not isinstance(value, list):
        col.error("reverts", "must be a list of {action, changes, params} entries")
        return ()
    specs: list[RevertSpec] = []
    for n, raw in enumerate(value):
        path = f"reverts[{n}]"
        if not isinstance(raw, dict):
            col.error(path, "must be a mapping with action, changes and params")
            continue
        for key in raw:
            if key not in ("action", "changes", "params"):
                col.error(f"{path}.{key}", "unknown key; expected action, changes, params")
        action = raw.get("action")
        if not isinstance(action, str) or not action.strip():
            col.error(f"{path}.action", "is required: the id of an executable step")
            continue
        groups = _groups(raw.get("changes"), f"{path}.changes", col)
        params = raw.get("params", {})
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and _NAME.match(v) for k, v in params.items()
        ):
            col.error(f"{path}.params", "must map step parameters to change facts, e.g. {app: app}")
            params = {}
        if groups:
            specs.append(RevertSpec(action.strip(), groups, dict(params)))
    return tuple(specs)


def _groups(value: object, path: str, col: Collector) -> tuple[tuple[Matcher, ...], ...]:
    if not isinstance(value, list) or not value:
        col.error(path, "is required: matchers on the change, e.g. ['source=\"argocd\"']")
        return ()
    if all(isinstance(v, str) for v in value):
        raw_groups: list[list[Any]] = [value]
    elif all(isinstance(v, list) for v in value):
        raw_groups = value
    else:
        col.error(path, "mixes matcher strings and lists; use one form")
        return ()
    groups: list[tuple[Matcher, ...]] = []
    for items in raw_groups:
        group: list[Matcher] = []
        for item in items:
            try:
                group.append(parse_matcher(str(item)))
            except MatcherError as exc:
                col.error(path, f"bad matcher {item!r}: {exc}")
        if not group or not any(m.op in ("=", "=~") for m in group):
            col.error(path, "a group needs a positive matcher (it would match every change)")
            return ()
        groups.append(tuple(group))
    return tuple(groups)


def check_actions(specs: Sequence[RevertSpec], actions: Sequence[Action], col: Collector) -> None:
    """Once the body is parsed: each entry names a step of this runbook and its parameters."""
    by_id = {a.id: a for a in actions}
    for n, spec in enumerate(specs):
        action = by_id.get(spec.action)
        if action is None:
            col.error(f"reverts[{n}].action", f"no executable step '{spec.action}'")
            continue
        for name in spec.params:
            if name not in action.params:
                col.error(
                    f"reverts[{n}].params",
                    f"'{name}' is not a parameter of step '{action.id}'",
                )


def match(runbook: Runbook, facts: Mapping[str, str]) -> list[Rollback]:
    """The steps of ``runbook`` that revert a change with ``facts``."""
    found: list[Rollback] = []
    for spec in runbook.reverts:
        action = runbook.action(spec.action)
        if action is None or not any(all(m.matches(facts) for m in g) for g in spec.changes):
            continue
        if any(fact not in facts for fact in spec.params.values()):
            continue
        values = {param: facts[fact] for param, fact in spec.params.items()}
        found.append(Rollback(runbook.id, runbook.title, runbook.lang, action, values))
    return found
