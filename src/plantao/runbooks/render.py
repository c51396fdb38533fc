"""Runbooks as the API and pages show them: safe HTML, steps, actions with their guard.

Runbook text comes from a git repository that many people write to, so it is rendered with raw
HTML disabled (``<script>`` in a runbook shows as text) and markdown-it's link validation (no
``javascript:`` URLs). The command text is shown with its sha256 because that digest is what a
``mutate`` or ``destructive`` run must send back as its confirmation.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from markdown_it import MarkdownIt

from plantao.runbooks.document import Runbook
from plantao.runbooks.schemas import (
    ActionOut,
    ParamOut,
    RunbookDetail,
    RunbookSummary,
    SectionOut,
    StepOut,
)

_MD = MarkdownIt("commonmark", {"html": False})
_NEEDS: dict[str, Literal["none", "confirmation", "approval"]] = {
    "read": "none",
    "mutate": "confirmation",
    "destructive": "approval",
}


def to_html(markdown: str) -> str:
    return str(_MD.render(markdown))


def summary(runbook: Runbook, langs: list[str], today: date) -> RunbookSummary:
    return RunbookSummary(
        id=runbook.id,
        title=runbook.title,
        lang=runbook.lang,
        langs=langs,
        owner=runbook.owner,
        version=runbook.version,
        services=list(runbook.services),
        tags=list(runbook.tags),
        severity_hint=runbook.severity_hint,
        last_reviewed=runbook.last_reviewed,
        review_due=runbook.review_due,
        stale=runbook.is_stale(today),
        url=f"/runbooks/{runbook.id}?lang={runbook.lang}",
    )


def detail(runbook: Runbook, langs: list[str], today: date) -> RunbookDetail:
    sections = sorted([*runbook.sections.values(), *runbook.other_sections], key=lambda s: s.line)
    return RunbookDetail(
        **summary(runbook, langs, today).model_dump(),
        html=to_html(runbook.body),
        sections=[
            SectionOut(kind=s.kind, heading=s.heading, html=to_html(s.text)) for s in sections
        ],
        steps=[StepOut(text=s.text, section=s.section) for s in runbook.steps],
        actions=[
            ActionOut(
                id=a.id,
                danger=a.danger,
                section=a.section,
                command=a.command,
                command_sha256=a.digest,
                timeout=a.timeout,
                params=list(a.params),
                approvers=list(a.approvers),
                needs=_NEEDS[a.danger],
            )
            for a in runbook.actions
        ],
        parameters=[
            ParamOut(
                name=p.name,
                type=p.type,
                required=p.required,
                secret=p.secret,
                default=None if p.secret else p.default,
                allowed=list(p.allowed),
                description=p.description,
            )
            for p in runbook.parameters.values()
        ],
    )
