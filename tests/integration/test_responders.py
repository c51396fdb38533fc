"""Responders (plantao.command.responders): paging a user, a schedule's on-call or a policy's
first step onto an incident through the outbox, and their answers (acknowledged, joined)."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao.cli.app import app as cli_app
from plantao.command import responders
from plantao.config import get_settings
from plantao.db import run_transaction
from plantao.engine.reactions import react
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import IncidentResponder, TimelineEntry
from plantao.notify import action_links
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec
from plantao.people.models import User
from tests.factories.notify import give_contacts
from tests.factories.oncall import ONCALL, act, fire, setup_oncall

#: ONCALL (ana on call on 'primary' at the frozen time, bruno on 'secondary', nobody yet on
#: 'future') plus a DBA schedule and a policy whose first step is that schedule and dora.
WORLD = (
    ONCALL
    + """  - slug: dbas
    name: DBAs
    steps:
      - {delay: 0m, targets: [{schedule: dba}, {user: dora}]}
      - {delay: 10m, targets: [{user: ana}]}
"""
).replace(
    "  - slug: future\n",
    """  - slug: dba
    name: DBA
    layers:
      - {name: d, rotation: {type: daily, start: 2026-11-01, participants: [carla]}}
  - slug: future
""",
)


@pytest.fixture
def incident(factory: sessionmaker[Session], frozen: datetime) -> int:
    """An open SEV1 incident on checkout; bruno, carla and dora get an e-mail now and an SMS
    five minutes later when paged."""
    setup_oncall(factory, WORLD)
    for handle in ("bruno", "carla", "dora"):
        give_contacts(
            factory,
            [
                ContactMethodSpec("mail", "email", f"{handle}@example.com"),
                ContactMethodSpec("hook", "slack", f"https://hooks.example/{handle}"),
            ],
            [
                NotificationRuleSpec("mail"),
                NotificationRuleSpec("hook", after=timedelta(minutes=5)),
            ],
            handle=handle,
        )
    return fire(factory)


def _add(factory: sessionmaker[Session], incident_id: int, **source: str) -> responders.Added:
    def work(s: Session) -> responders.Added:
        inc = incident_service.get(s, incident_id, for_update=True)
        return responders.add(s, inc, actor=source.pop("actor", "ana"), **source)

    return run_transaction(factory, work)


def _rows(factory: sessionmaker[Session], incident_id: int) -> dict[str, tuple[str, str]]:
    with factory() as s:
        return {r.user: (r.state, r.via) for r in responders.listing(s, incident_id)}


def _deliveries(factory: sessionmaker[Session], incident_id: int) -> list[tuple[str, str, str]]:
    """(handle, step, state) of the incident's responder pages, oldest first."""
    with factory() as s:
        rows = s.execute(
            select(User.handle, Delivery.step, Delivery.state)
            .join(User, User.id == Delivery.user_id)
            .where(Delivery.incident_id == incident_id, Delivery.step.like("responder:%"))
            .order_by(Delivery.id)
        )
        return [(h, step, state) for h, step, state in rows.tuples()]


def _counts(factory: sessionmaker[Session], incident_id: int) -> tuple[int, int, int]:
    with factory() as s:
        return (
            s.scalar(select(func.count()).select_from(IncidentResponder)) or 0,
            s.scalar(select(func.count()).select_from(Delivery)) or 0,
            s.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.incident_id == incident_id)
            )
            or 0,
        )


def _messages(factory: sessionmaker[Session], incident_id: int, kind: str) -> list[str]:
    with factory() as s:
        return list(
            s.scalars(
                select(TimelineEntry.message)
                .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == kind)
                .order_by(TimelineEntry.id)
            )
        )


def test_a_schedule_pages_whoever_is_on_call(factory: sessionmaker[Session], incident: int) -> None:
    """Adding the 'dba' schedule pages carla (on call now) through the outbox, as paged."""
    added = _add(factory, incident, schedule="dba", message="replication lag on the primary")
    assert added.paged == ("carla",) and added.deliveries == 2
    assert _rows(factory, incident) == {"carla": ("paged", "schedule:dba")}
    assert _deliveries(factory, incident) == [
        ("carla", "responder:schedule:dba", "pending"),
        ("carla", "responder:schedule:dba", "pending"),
    ]
    assert _messages(factory, incident, "responder.paged") == [
        "Paged carla as responder (via schedule 'dba'): replication lag on the primary"
    ]
    with factory() as s:
        reason = s.scalars(select(Delivery.reason).where(Delivery.user_id.isnot(None))).all()
    assert "added as a responder by ana: replication lag on the primary" in reason


def test_a_policy_pages_the_people_of_its_first_step(
    factory: sessionmaker[Session], incident: int
) -> None:
    """The 'dbas' policy's first step (schedule dba, user dora) pages carla and dora, not the
    second step's ana."""
    added = _add(factory, incident, policy="dbas")
    assert added.paged == ("carla", "dora")
    assert _rows(factory, incident) == {
        "carla": ("paged", "policy:dbas"),
        "dora": ("paged", "policy:dbas"),
    }
    assert {h for h, _, _ in _deliveries(factory, incident)} == {"carla", "dora"}
    assert _messages(factory, incident, "responder.paged") == [
        "Paged carla, dora as responders (via policy 'dbas')"
    ]


def test_adding_a_responder_again_pages_nobody_twice(
    factory: sessionmaker[Session], incident: int
) -> None:
    """Re-adding carla (by hand, or through a schedule she is on) is a 409 that writes
    nothing; a schedule with someone new pages only the new person."""
    _add(factory, incident, user="carla")
    before = _counts(factory, incident)
    with pytest.raises(Conflict, match="carla is already a responder on INC-"):
        _add(factory, incident, user="carla")
    with pytest.raises(Conflict, match="carla is already a responder"):
        _add(factory, incident, schedule="dba")
    assert _counts(factory, incident) == before
    added = _add(factory, incident, policy="dbas")
    assert added.paged == ("dora",) and added.already == ("carla",)
    assert [h for h, _, _ in _deliveries(factory, incident)].count("carla") == 2


def test_an_empty_schedule_is_refused_and_changes_nothing(
    factory: sessionmaker[Session], incident: int
) -> None:
    """A schedule with nobody on call now is a 409 saying so; no row, page or entry is written."""
    before = _counts(factory, incident)
    with pytest.raises(Conflict, match="schedule 'future' has nobody on call now"):
        _add(factory, incident, schedule="future")
    assert _counts(factory, incident) == before


def test_unknown_sources_and_bad_requests_are_refused(
    factory: sessionmaker[Session], incident: int
) -> None:
    """Unknown user, schedule or policy: 404; zero or two sources: 422; nothing is written."""
    before = _counts(factory, incident)
    for source in ({"user": "nobody"}, {"schedule": "nope"}, {"policy": "nope"}):
        with pytest.raises(NotFound):
            _add(factory, incident, **source)
    with pytest.raises(ValidationFailed, match="exactly one"):
        _add(factory, incident)
    with pytest.raises(ValidationFailed, match="exactly one"):
        _add(factory, incident, user="carla", schedule="dba")
    assert _counts(factory, incident) == before


def test_adding_yourself_joins_without_a_page(
    factory: sessionmaker[Session], incident: int
) -> None:
    """bruno adding himself is joined at once, and nothing is sent to him."""
    added = _add(factory, incident, user="bruno", actor="bruno")
    assert added.joined == ("bruno",) and added.paged == ()
    assert _rows(factory, incident) == {"bruno": ("joined", "user")}
    assert _deliveries(factory, incident) == []


def _ack_link(factory: sessionmaker[Session], incident_id: int, handle: str) -> str:
    with factory() as s:
        links = s.scalars(
            select(Delivery.links)
            .join(User, User.id == Delivery.user_id)
            .where(Delivery.incident_id == incident_id, User.handle == handle)
            .order_by(Delivery.id)
        ).first()
    assert links is not None
    url = next(link["url"] for link in links if link["action"] == "ack")
    return str(url).rsplit("/a/", 1)[1]


def _use(factory: sessionmaker[Session], token: str) -> action_links.ActionResult:
    def work(s: Session) -> action_links.ActionResult:
        return action_links.change_status(s, action_links.redeem(s, token))

    return run_transaction(factory, work)


def test_the_ack_link_of_an_acknowledged_incident_acknowledges_the_page(
    factory: sessionmaker[Session], incident: int
) -> None:
    """ana acknowledged the incident; carla, paged later as the DBA, answers with her ack
    link: she is acknowledged (not a no-op) and her pages not sent yet (the chat message due
    in 5 minutes; no engine ran, so the e-mail too) are cancelled."""
    act(factory, incident, Action.ACKNOWLEDGE)
    _add(factory, incident, schedule="dba")
    result = _use(factory, _ack_link(factory, incident, "carla"))
    assert result.outcome == "responder"
    assert _rows(factory, incident) == {"carla": ("acknowledged", "schedule:dba")}
    assert [state for _, _, state in _deliveries(factory, incident)] == ["cancelled"] * 2
    assert _messages(factory, incident, "responder.acknowledged") == [
        "carla acknowledged the page as a responder"
    ]


def test_the_ack_link_of_a_triggered_incident_acknowledges_both(
    factory: sessionmaker[Session], incident: int
) -> None:
    """dora, paged as a responder while the incident is triggered, acknowledges it with her
    link: the incident is acknowledged by her and so is her page."""
    _add(factory, incident, user="dora")
    result = _use(factory, _ack_link(factory, incident, "dora"))
    assert result.outcome == "acknowledged"
    assert _rows(factory, incident) == {"dora": ("acknowledged", "user")}
    with factory() as s:
        assert incident_service.get(s, incident).status == "acknowledged"


def test_answering_and_joining(factory: sessionmaker[Session], incident: int) -> None:
    """acknowledge() by a paged person, then join(); again is a no-op; someone not paged who
    joins becomes a joined responder; acknowledging someone who is no responder is a 404."""

    def work(s: Session) -> list[bool]:
        inc = incident_service.get(s, incident, for_update=True)
        carla, bruno = responders.person(s, "carla"), responders.person(s, "bruno")
        done = [responders.acknowledge(s, inc, carla), responders.acknowledge(s, inc, carla)]
        done += [responders.join(s, inc, carla), responders.join(s, inc, carla)]
        done += [responders.join(s, inc, bruno)]
        with pytest.raises(NotFound, match="dora is not a responder"):
            responders.acknowledge(s, inc, responders.person(s, "dora"))
        return done

    _add(factory, incident, user="carla")
    assert run_transaction(factory, work) == [True, False, True, False, True]
    assert _rows(factory, incident) == {
        "carla": ("joined", "user"),
        "bruno": ("joined", "user"),
    }
    assert _messages(factory, incident, "responder.joined") == ["carla joined as a responder"]


def test_a_resolved_incident_takes_no_responders(
    factory: sessionmaker[Session], incident: int
) -> None:
    """Adding responders to a resolved incident is a 409 naming its state."""
    act(factory, incident, Action.RESOLVE)
    with pytest.raises(Conflict, match="is resolved; reopen it to add responders"):
        _add(factory, incident, user="carla")


def test_responder_pages_outlive_the_acknowledgement_not_the_resolution(
    factory: sessionmaker[Session], incident: int
) -> None:
    """carla, paged as a responder while the incident is triggered, still gets her pages when
    ana acknowledges it (the engine's reaction cancels only escalation pages); resolving the
    incident cancels them."""
    _add(factory, incident, schedule="dba")
    act(factory, incident, Action.ACKNOWLEDGE)
    run_transaction(factory, react)
    assert [state for _, _, state in _deliveries(factory, incident)] == ["pending"] * 2
    act(factory, incident, Action.RESOLVE)
    run_transaction(factory, react)
    assert [state for _, _, state in _deliveries(factory, incident)] == ["cancelled"] * 2


def test_the_cli_pages_a_schedule_and_lists_responders(
    factory: sessionmaker[Session],
    incident: int,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``plantao incidents responders add REF --schedule dba`` pages carla as the shell's
    operator; ``list`` shows her paged; an empty schedule exits 1 saying why."""
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        with factory() as s:
            ref = incident_service.get(s, incident).human_id
        cli = CliRunner()
        added = cli.invoke(cli_app, ["incidents", "responders", "add", ref, "--schedule", "dba"])
        assert added.exit_code == 0, added.output
        assert added.output == f"{ref}: paged carla as responder\n"
        listed = cli.invoke(cli_app, ["incidents", "responders", "list", ref])
        operator = f"cli:{getpass.getuser()}"
        assert listed.output == f"carla\tpaged\tschedule:dba\tadded by {operator}\n"
        empty = cli.invoke(cli_app, ["incidents", "responders", "add", ref, "--schedule", "future"])
        assert empty.exit_code == 1
        assert "schedule 'future' has nobody on call now" in empty.output
    finally:
        get_settings.cache_clear()


def test_acknowledging_the_incident_answers_the_responders_page(
    factory: sessionmaker[Session], incident: int
) -> None:
    """dora, paged as a responder, acknowledges the incident from the web or API: the engine's
    reaction step marks her page acknowledged too; carla, also paged, stays paged."""
    _add(factory, incident, user="dora")
    _add(factory, incident, user="carla")

    def dora_acks(s: Session) -> None:
        inc = incident_service.get(s, incident, for_update=True)
        incident_service.act(s, inc, Action.ACKNOWLEDGE, actor="dora")

    run_transaction(factory, dora_acks)
    run_transaction(factory, react)
    assert _rows(factory, incident) == {
        "dora": ("acknowledged", "user"),
        "carla": ("paged", "user"),
    }
