"""Declaring by hand pages like an alert; roles keep one hat per person, also under concurrent
assignments; hand-overs; the on-call who acknowledges becomes IC (seed 002)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao.cli.app import app
from plantao.command import role_holders, roles
from plantao.command.models import IncidentRole
from plantao.config import get_settings
from plantao.db import run_transaction
from plantao.engine.reactions import react
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import access, declare
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident, TimelineEntry
from plantao.oncall import service as oncall_service
from plantao.people import directory
from tests.factories.oncall import act, pages, settle, setup_oncall
from tests.factories.threads import run_together


def _declare(factory: sessionmaker[Session], **fields: object) -> int:
    spec = declare.Declaration(
        **({"title": "Customers cannot pay", "service": "checkout", "severity": "sev2"} | fields)  # type: ignore[arg-type]
    )
    return run_transaction(factory, lambda s: declare.declare(s, spec, actor="carla").id)


def _hats(factory: sessionmaker[Session], incident_id: int) -> list[tuple[str, str]]:
    with factory() as s:
        return [(h.role, h.handle) for h in role_holders.holders(s, [incident_id])[incident_id]]


def _kinds(factory: sessionmaker[Session], incident_id: int, prefix: str) -> list[str]:
    with factory() as s:
        rows = s.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
        return [k for k in rows if k.startswith(prefix)]


def _assign(
    factory: sessionmaker[Session],
    incident_id: int,
    role: str,
    handle: str,
    handoff: roles.Handoff | None = None,
) -> str:
    def work(s: Session) -> str:
        incident = incident_service.get(s, incident_id, for_update=True)
        user = roles.person(s, handle)
        return roles.assign(s, incident, role, user, actor="dora", handoff=handoff)

    return run_transaction(factory, work)


def test_declared_incident_pages_through_the_services_policy(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The reaction step starts the service's escalation for a declared incident; ana is paged."""
    loop = setup_oncall(factory)
    inc = _declare(factory, description="three tickets", category="customer_report", private=True)
    with factory() as s:
        incident = s.get(Incident, inc)
        assert incident is not None
        assert incident.human_id == "INC-20261122-1"
        assert incident.group_key.startswith("declared:") and incident.auto_resolve is False
        assert (incident.description, incident.private, incident.category) == (
            "three tickets",
            True,
            "customer_report",
        )
        assert oncall_service.escalations.get(s, inc) is None
    assert run_transaction(factory, react) == 1
    with factory() as s:
        esc = oncall_service.escalations.get(s, inc)
        assert esc is not None and esc.state == "active"
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    assert _kinds(factory, inc, "incident.") == ["incident.triggered", "incident.declared"]


def test_declare_refuses_unknown_service_and_bad_fields(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An unknown service, category or severity opens nothing."""
    setup_oncall(factory)
    for bad in ({"service": "nope"}, {"category": "boredom"}, {"severity": "sev9"}):
        with pytest.raises((NotFound, ValidationFailed)):
            _declare(factory, **bad)
    with factory() as s:
        assert s.scalars(select(Incident)).all() == []


def test_one_hat_rule_and_hand_over(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A second hat is a Conflict naming the first; a single-holder role passes on (hand-over)
    with the IC hand-off on the timeline; several SMEs are fine; removal works."""
    setup_oncall(factory)
    inc = _declare(factory)
    assert _assign(factory, inc, "incident_commander", "ana") == "assigned"
    with pytest.raises(Conflict, match="ana is already the incident_commander"):
        _assign(factory, inc, "scribe", "ana")
    handoff = roles.Handoff(context="5xx on checkout", status="rollback", next_steps="watch")
    assert _assign(factory, inc, "incident_commander", "bruno", handoff) == "handed_over"
    assert _assign(factory, inc, "incident_commander", "bruno") == "unchanged"
    assert _assign(factory, inc, "sme", "ana") == "assigned"
    assert _assign(factory, inc, "sme", "carla") == "assigned"
    assert _hats(factory, inc) == [
        ("incident_commander", "bruno"),
        ("sme", "ana"),
        ("sme", "carla"),
    ]
    assert _kinds(factory, inc, "role.") == [
        "role.assigned",
        "role.handed_over",
        "role.handoff",
        "role.assigned",
        "role.assigned",
    ]

    def remove(s: Session) -> None:
        incident = incident_service.get(s, inc, for_update=True)
        roles.unassign(s, incident, "sme", directory.by_handle(s, "ana"), actor="dora")

    run_transaction(factory, remove)
    assert ("sme", "ana") not in _hats(factory, inc)
    with factory() as s:
        responders = {u.handle for _, u in access.responders(s, inc)}
    assert {"ana", "bruno", "carla"} <= responders


def test_concurrent_assignments_keep_one_hat(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Six threads give ana six hats at once, and four give IC to four people: one hat for ana,
    one IC; the others are refused with Conflict or became hand-overs, never two rows."""
    setup_oncall(factory)
    inc = _declare(factory)
    wanted = ["incident_commander", "comms_lead", "ops_lead", "scribe", "sme", "sme"]
    together = run_together(lambda i: _assign(factory, inc, wanted[i], "ana"), len(wanted))
    assert all(isinstance(e, Conflict) for e in together.errors), together.errors
    assert len([r for r in together.results if r == "assigned"]) == 1
    hats = _hats(factory, inc)
    assert len(hats) == 1 and hats[0][1] == "ana"

    other = _declare(factory, title="Second")
    people = ["ana", "bruno", "carla", "dora"]
    together = run_together(
        lambda i: _assign(factory, other, "incident_commander", people[i]), len(people)
    )
    assert together.errors == []
    assert sorted(together.results) == ["assigned", "handed_over", "handed_over", "handed_over"]
    with factory() as s:
        rows = s.scalars(select(IncidentRole).where(IncidentRole.incident_id == other)).all()
    assert len(rows) == 1 and rows[0].role == "incident_commander"


def test_the_on_call_who_acknowledges_is_ic(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """ana acknowledges the incident she was paged for: the reaction step makes her IC; a
    later acknowledgement or a non-person changes nothing; someone wearing a hat is skipped."""
    loop = setup_oncall(factory)
    inc = _declare(factory)
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    assert _hats(factory, inc) == [("incident_commander", "ana")]
    with factory() as s:
        entry = s.scalars(
            select(TimelineEntry).where(
                TimelineEntry.incident_id == inc, TimelineEntry.kind == "role.assigned"
            )
        ).one()
    assert entry.actor == "plantao"
    assert entry.message == "ana acknowledged: Incident Commander until they delegate"

    # a system acknowledgement, and a person who already wears another hat: no IC
    second = _declare(factory, title="Second")
    third = _declare(factory, title="Third")
    _assign(factory, third, "scribe", "ana")
    made = run_transaction(
        factory,
        lambda s: roles.ic_from_acknowledgements(s, [(second, "oncall"), (third, "ana")]),
    )
    assert made == 0
    assert _hats(factory, second) == [] and _hats(factory, third) == [("scribe", "ana")]
    # an incident with an IC keeps it
    made = run_transaction(factory, lambda s: roles.ic_from_acknowledgements(s, [(inc, "bruno")]))
    assert made == 0 and _hats(factory, inc) == [("incident_commander", "ana")]


def test_cli_declare_and_role(
    factory: sessionmaker[Session], frozen: datetime, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plantao incidents declare prints the new number; role assigns, refuses a second hat
    (exit 1, the reason on stderr) and removes with --remove."""
    setup_oncall(factory)
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        out = runner.invoke(
            app,
            ["incidents", "declare", "--title", "Card data in logs", "--service", "checkout",
             "--severity", "sev1", "--category", "data_leak", "--private"],
        )  # fmt: skip
        assert out.exit_code == 0, out.output
        assert out.output.strip() == "INC-20261122-1 declared: [sev1] Card data in logs"
        ref = "INC-20261122-1"
        ok = runner.invoke(app, ["incidents", "role", ref, "comms_lead", "ana"])
        assert ok.exit_code == 0 and ok.output.strip() == f"{ref}: ana is now comms_lead"
        refused = runner.invoke(app, ["incidents", "role", ref, "scribe", "ana"])
        assert refused.exit_code == 1
        assert "ana is already the comms_lead" in refused.output
        gone = runner.invoke(app, ["incidents", "role", ref, "comms_lead", "ana", "--remove"])
        assert gone.exit_code == 0 and gone.output.strip() == f"{ref}: ana is no longer comms_lead"
        bad = runner.invoke(app, ["incidents", "declare", "--title", "x", "--service", "nope",
                                  "--severity", "sev2"])  # fmt: skip
        assert bad.exit_code == 1 and "service 'nope' does not exist" in bad.output
    finally:
        get_settings.cache_clear()
    with factory() as s:
        incident = incident_service.get(s, ref)
        assert incident.private and incident.category == "data_leak"
        assert incident.created_by.startswith("cli:")


def test_a_closed_incidents_roles_no_longer_change(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Assigning a role on a closed incident is a Conflict and leaves its roles as they ended."""
    setup_oncall(factory)
    inc = _declare(factory)
    _assign(factory, inc, "incident_commander", "ana")

    def finish(s: Session) -> None:
        incident = incident_service.get(s, inc, for_update=True)
        incident_service.act(s, incident, Action.RESOLVE, actor="ana")
        incident_service.act(s, incident, Action.CLOSE, actor="ana")

    run_transaction(factory, finish)
    with pytest.raises(Conflict, match="is closed: its roles can no longer change"):
        _assign(factory, inc, "scribe", "bruno")
    assert _hats(factory, inc) == [("incident_commander", "ana")]
