"""plantao.yaml ``stakeholders:`` (top level, under teams and services): declared idempotently
with a diff, API-added ones left alone, bad entries refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.command import stakeholders
from plantao.command.models import Stakeholder
from plantao.db import run_transaction, session_scope
from plantao.errors import ValidationFailed
from tests.factories.config import STANDARD, apply_config

WITH = (
    STANDARD.replace(
        "teams: [{slug: sre, name: SRE, members: [ana]}]",
        "teams:\n  - slug: sre\n    name: SRE\n    members: [ana]\n"
        "    stakeholders: [{name: ana, kind: user, user: ana}]",
    ).replace(
        "  - {slug: checkout, name: Checkout, team: sre}",
        "  - slug: checkout\n    name: Checkout\n    team: sre\n    stakeholders:\n"
        "      - {name: cs, kind: email, address: cs@example.com, language: pt-BR}\n"
        "      - {name: ops, kind: mattermost, address: 'https://mm.example.com/hooks/x',"
        " min_severity: sev2}",
    )
    + "stakeholders:\n  - {name: execs, kind: email, address: execs@example.com,"
    " min_severity: P1}\n"
)


def _rows(factory: sessionmaker[Session]) -> dict[str, Stakeholder]:
    with session_scope(factory) as s:
        rows = {
            "/".join(x for x in (r.scope, r.scope_slug, r.name) if x): r
            for r in s.scalars(select(Stakeholder))
        }
        s.expunge_all()
        return rows


def test_apply_declares_stakeholders_once_and_shows_the_diff(
    factory: sessionmaker[Session],
) -> None:
    """First apply creates four stakeholders (+ lines); the same file again changes nothing;
    a changed address is a ~ line; a removed entry a - line."""
    changes = [str(c) for c in apply_config(factory, WITH)]
    assert {c for c in changes if "stakeholder" in c} == {
        "+ stakeholder global/execs",
        "+ stakeholder team/sre/ana",
        "+ stakeholder service/checkout/cs",
        "+ stakeholder service/checkout/ops",
    }
    rows = _rows(factory)
    assert rows["global/execs"].min_severity == "sev2"
    assert rows["service/checkout/cs"].language == "pt-BR"
    assert all(r.origin == "config" for r in rows.values())
    again = [str(c) for c in apply_config(factory, WITH)]
    assert not [c for c in again if "stakeholder" in c]
    changed = WITH.replace(
        "{name: cs, kind: email, address: cs@", "{name: cs, kind: email, address: cs2@"
    ).replace(
        "stakeholders:\n  - {name: execs, kind: email, address: execs@example.com,"
        " min_severity: P1}\n",
        "stakeholders: []\n",
    )
    diff = [str(c) for c in apply_config(factory, changed) if "stakeholder" in str(c)]
    assert sorted(diff) == [
        "- stakeholder global/execs",
        "~ stakeholder service/checkout/cs (address)",
    ]


def test_api_stakeholders_survive_an_apply(factory: sessionmaker[Session]) -> None:
    """A stakeholder added through the API stays when the file declares others."""
    apply_config(factory, STANDARD)
    run_transaction(
        factory,
        lambda s: stakeholders.create(
            s,
            stakeholders.StakeholderSpec("global", "", "mine", "email", address="m@example.com"),
            actor="ana",
        ),
    )
    apply_config(factory, WITH)
    assert _rows(factory)["global/mine"].origin == "api"
    assert len(_rows(factory)) == 5


def test_a_bad_stakeholder_refuses_the_whole_apply(factory: sessionmaker[Session]) -> None:
    """An ftp:// webhook in the file is refused with its name; nothing is written."""
    apply_config(factory, STANDARD)
    bad = WITH.replace("https://mm.example.com/hooks/x", "ftp://mm.example.com/x")
    with pytest.raises(ValidationFailed, match="ops"):
        apply_config(factory, bad)
    assert _rows(factory) == {}
