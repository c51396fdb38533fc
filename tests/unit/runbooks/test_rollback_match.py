"""``reverts`` in a runbook's front matter and matching change events to the step that reverts
them (pure: no database)."""

from __future__ import annotations

import pytest

from plantao.runbooks.document import Runbook, RunbookError, parse_runbook
from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.rollback_match import change_facts, match

FRONT = """\
---
id: argo-undo
title: Undo an Argo CD sync
owner: sre
last_reviewed: 2026-11-01
parameters:
  app: {type: string, required: true}
  revision: {type: int, min: 1}
reverts:
{reverts}
---
# Undo

## Rollback
```sh {action=argocd-rollback danger=mutate params=app,revision}
argocd app rollback "$APP" "$REVISION"
```
"""
GOOD = """\
  - action: argocd-rollback
    changes: ['source="argocd"']
    params: {app: app, revision: previous_history_id}
"""


def _runbook(reverts: str = GOOD) -> Runbook:
    return parse_runbook(FRONT.replace("{reverts}", reverts.rstrip("\n")), "argo-undo.md")


def _argocd_change(**custom: object) -> dict[str, object]:
    return {"custom_details": {"app": "checkout-api", **custom}, "links": [{"href": "x"}]}


def test_argocd_change_matches_with_values_from_the_change() -> None:
    """An argocd change with the app and the previous history id: the rollback step, with app
    and revision filled from the change's custom details."""
    facts = change_facts("argocd", "checkout", _argocd_change(previous_history_id=11))
    assert facts == {
        "app": "checkout-api",
        "previous_history_id": "11",
        "source": "argocd",
        "service": "checkout",
    }
    [found] = match(_runbook(), facts)
    assert (found.runbook_id, found.action.id) == ("argo-undo", "argocd-rollback")
    assert dict(found.values) == {"app": "checkout-api", "revision": "11"}
    assert found.anchor == "step-argo-undo-argocd-rollback"


def test_other_source_or_missing_fact_does_not_match() -> None:
    """A change from another source, or one without the revision to go back to, gets no
    rollback."""
    runbook = _runbook()
    github = change_facts("github", "checkout", _argocd_change(previous_history_id=11))
    assert match(runbook, github) == []
    assert match(runbook, change_facts("argocd", "checkout", _argocd_change())) == []
    assert match(runbook, change_facts(None, None, {})) == []


def test_bad_reverts_are_errors_with_their_path() -> None:
    """An unknown step, a parameter the step does not take, an unusable matcher list and a
    missing action are each reported."""
    cases = {
        "  - {action: nope, changes: ['source=\"argocd\"']}": "no executable step 'nope'",
        "  - {action: argocd-rollback, changes: ['source=\"argocd\"'], params: {ns: app}}": (
            "'ns' is not a parameter"
        ),
        "  - {action: argocd-rollback, changes: ['source!=\"x\"']}": "needs a positive matcher",
        "  - {changes: ['source=\"argocd\"']}": "is required",
        "  - {action: argocd-rollback}": "is required: matchers on the change",
    }
    for reverts, message in cases.items():
        with pytest.raises(RunbookError) as failed:
            _runbook(reverts)
        assert any(message in p.message for p in failed.value.problems), (reverts, failed.value)
        assert all(p.field.startswith("reverts") for p in failed.value.problems)


def test_shipped_release_rollback_runbook_reverts_argocd_changes() -> None:
    """The shipped pack's release-regression-rollback declares its argocd-rollback step as the
    revert of Argo CD change events, in both languages."""
    lib = RunbookLibrary.load(default_pack_dir())
    facts = change_facts("argocd", "checkout", _argocd_change(previous_history_id=7))
    for lang in ("en", "pt-BR"):
        runbook = lib.get("release-regression-rollback", lang)
        assert runbook is not None and runbook.lang == lang
        [found] = match(runbook, facts)
        assert (found.action.id, dict(found.values)) == (
            "argocd-rollback",
            {"app": "checkout-api", "revision": "7"},
        )
