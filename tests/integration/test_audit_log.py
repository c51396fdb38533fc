"""The audit log: append-only in the database, and an entry (who, when, via what, from where,
before and after) for each change made outside an incident timeline."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao import clock
from plantao.api.app import create_app
from plantao.auth import passwords
from plantao.auth import service as auth_service
from plantao.cli.app import app as cli_app
from plantao.config import Settings, get_settings
from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import run_transaction, session_scope
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.errors import Conflict
from plantao.intake import inbox
from plantao.intake.inbox import Submission
from plantao.intake.sources import alertmanager
from plantao.notify import outbox_admin
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from plantao.people import directory, teams
from plantao.people.actor import AuditActor
from plantao.people.models import AuditEntry
from tests.factories.config import AM_KEY, STANDARD, apply_config, apply_standard
from tests.factories.notify import give_contacts, open_incidents, page
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user, token_for
from tests.factories.runbooks import write_pack

ADMIN = AuditActor(handle="boss", user_id=None, via="session", source="203.0.113.7")


def entries(factory: sessionmaker[Session], action: str | None = None) -> list[AuditEntry]:
    """The audit entries, oldest first (optionally of one action)."""
    with factory() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def test_audit_entries_refuse_update_and_delete(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The database itself refuses to change or delete an audit entry, on both databases."""
    run_transaction(factory, lambda s: passwords.set_password_login(s, False, actor=ADMIN))
    assert len(entries(factory)) == 1
    for statement in (
        "UPDATE audit_entries SET actor = 'someone-else'",
        "DELETE FROM audit_entries",
    ):
        with factory() as session:
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text(statement))
            session.rollback()
    [kept] = entries(factory)
    assert kept.actor == "boss"


def test_config_apply_from_the_cli_names_the_operator(
    factory: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    frozen: datetime,
) -> None:
    """``plantao apply`` writes one config.apply entry with the change list, plus one per user,
    team and member, all naming cli:<os user> via cli; applying again writes nothing."""
    config = tmp_path / "plantao.yaml"
    config.write_text(STANDARD, encoding="utf-8")
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli_app, ["apply", "-f", str(config)])
        assert first.exit_code == 0, first.output
        [applied] = entries(factory, "config.apply")
        assert (applied.actor, applied.via, applied.source) == (
            f"cli:{getpass.getuser()}",
            "cli",
            None,
        )
        assert applied.at == frozen and applied.before is None
        assert applied.after is not None and applied.after["prune"] is False
        assert "+ user ana" in applied.after["changes"]
        assert "+ integration am" in applied.after["changes"]
        assert not any(AM_KEY in line for line in applied.after["changes"])  # keys never logged
        [user] = entries(factory, "user.create")
        assert user.object_id == "ana" and user.after is not None
        assert user.after["time_zone"] == "America/Sao_Paulo" and user.before is None
        [team] = entries(factory, "team.create")
        assert team.after == {"slug": "sre", "name": "SRE"}
        [member] = entries(factory, "team.member")
        assert (member.object_id, member.before, member.after) == (
            "sre",
            {"user": "ana", "role": None},
            {"user": "ana", "role": "responder"},
        )
        assert {e.actor for e in entries(factory)} == {f"cli:{getpass.getuser()}"}
        again = CliRunner().invoke(cli_app, ["apply", "-f", str(config)])
        assert again.exit_code == 0 and "no changes" in again.output
        assert len(entries(factory, "config.apply")) == 1
    finally:
        get_settings.cache_clear()


def test_config_apply_audits_user_changes_member_removal_and_prune(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A renamed user gets user.update (before/after), a member dropped from a team gets
    team.member with role None, and a pruned user gets user.delete with what it was."""
    apply_standard(factory)
    changed = STANDARD.replace("name: Ana,", "name: Ana Lima,").replace(
        "members: [ana]", "members: []"
    )
    with session_scope(factory) as session:
        config_service.apply(session, load_text(changed), actor=ADMIN)
    [renamed] = entries(factory, "user.update")
    assert renamed.before is not None and renamed.after is not None
    assert (renamed.before["name"], renamed.after["name"]) == ("Ana", "Ana Lima")
    assert (renamed.actor, renamed.via, renamed.source) == ("boss", "session", "203.0.113.7")
    removed = entries(factory, "team.member")[-1]
    assert removed.after == {"user": "ana", "role": None}
    assert removed.before == {"user": "ana", "role": "responder"}
    applied = entries(factory, "config.apply")[-1]
    assert applied.after is not None
    assert applied.after["changes"] == ["~ user ana (name)", "- team member sre/ana"]
    without_ana = changed.replace(
        "users: [{handle: ana, name: Ana Lima, email: ana@example.com, "
        "time_zone: America/Sao_Paulo}]",
        "users: []",
    )
    assert without_ana != changed
    apply_config(factory, without_ana, prune=True)
    [gone] = entries(factory, "user.delete")
    assert gone.before is not None and gone.before["handle"] == "ana" and gone.after is None
    assert (gone.actor, gone.via) == ("config", "config")


def test_people_tokens_and_settings_are_audited_without_secrets(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Creating, changing, disabling a user, a team role, a token created and revoked, and the
    password-login switch each write an entry; no token or password appears in any of them."""
    apply_standard(factory)
    clear = ""
    with session_scope(factory) as session:
        user = directory.create(session, handle="bia", name="Bia", actor=ADMIN)
        directory.change(session, user, {"global_role": "responder"}, actor=ADMIN)
        directory.set_disabled(session, user, True, actor=ADMIN)
        directory.set_disabled(session, user, False, actor=ADMIN)
        teams.set_role(session, teams.get(session, "sre"), user, "manager", actor=ADMIN)
        row, clear = auth_service.create_token(
            session, user=user, name="laptop", scopes=["read"], actor=ADMIN
        )
        auth_service.revoke_token(session, row.id, actor=ADMIN)
        passwords.set_password(session, user, "a long enough password", actor=ADMIN)
        passwords.set_password_login(session, False, actor=ADMIN)
    got = entries(factory)
    actions = [e.action for e in got if e.actor == "boss"]
    assert actions == [
        "user.create",
        "user.update",
        "user.disable",
        "user.enable",
        "team.member",
        "token.create",
        "token.revoke",
        "user.password",
        "settings.password_login",
    ]
    by_action = {e.action: e for e in got if e.actor == "boss"}
    role = by_action["user.update"]
    assert role.before is not None and role.after is not None
    assert (role.before["global_role"], role.after["global_role"]) == ("viewer", "responder")
    assert by_action["user.disable"].after is not None
    assert by_action["user.disable"].after["disabled"] is True
    assert by_action["team.member"].after == {"user": "bia", "role": "manager"}
    revoked = by_action["token.revoke"]
    assert revoked.before is not None and revoked.after is not None
    assert (
        revoked.before["revoked_at"] is None and revoked.after["revoked_at"] == frozen.isoformat()
    )
    assert by_action["settings.password_login"].before == {"enabled": True}
    assert by_action["settings.password_login"].after == {"enabled": False}
    for entry in got:
        assert (entry.at, entry.via, entry.source) == (frozen, "session", "203.0.113.7") or (
            entry.actor != "boss"
        )
        dumped = repr((entry.before, entry.after))
        assert clear not in dumped and "a long enough password" not in dumped
        assert "token_hash" not in dumped or "[redacted]" in dumped


def test_delivery_retry_is_audited_and_only_dead_or_retrying_ones(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Retrying a dead delivery writes delivery.retry (state and attempts before and after);
    a sent one is refused with nothing written."""
    apply_standard(factory)
    give_contacts(factory, [ContactMethodSpec("work-email", "email", "ana@example.com")])
    page(factory, open_incidents(factory, 2))
    with session_scope(factory) as session:
        dead, sent = session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
        session.execute(
            update(Delivery)
            .where(Delivery.id == dead)
            .values(state="dead", attempts=5, last_error="550 mailbox unavailable")
        )
        session.execute(update(Delivery).where(Delivery.id == sent).values(state="sent"))
    clock.freeze(frozen + timedelta(minutes=3))
    run_transaction(factory, lambda s: outbox_admin.retry_delivery(s, dead, actor=ADMIN))
    [retried] = entries(factory, "delivery.retry")
    assert (retried.object_type, retried.object_id) == ("delivery", str(dead))
    assert (retried.actor, retried.via, retried.source) == ("boss", "session", "203.0.113.7")
    assert retried.at == frozen + timedelta(minutes=3)
    assert retried.before is not None and retried.after is not None
    assert retried.before["state"] == "dead" and retried.before["attempts"] == 5
    assert retried.before["last_error"] == "550 mailbox unavailable"
    assert retried.after["state"] == "pending" and retried.after["attempts"] == 0
    with pytest.raises(Conflict):
        run_transaction(factory, lambda s: outbox_admin.retry_delivery(s, sent, actor=ADMIN))
    assert len(entries(factory, "delivery.retry")) == 1


def test_inbox_retry_writes_one_entry_per_requeued_entry(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Retrying failed inbox entries writes inbox.retry for each, with the error they had."""
    apply_standard(factory)
    events, _ = alertmanager.parse(am_webhook([am_alert()]))
    submissions = [Submission(AM_KEY, "alertmanager", events) for _ in range(3)]
    ids = run_transaction(factory, lambda s: inbox.accept(s, submissions))
    with session_scope(factory) as session:
        for entry_id in ids[:2]:
            assert entry_id is not None
            inbox.mark_failed(session, entry_id, "KeyError: 'x'")
    assert run_transaction(factory, lambda s: inbox.retry_failed(s, actor=ADMIN)) == 2
    retried = entries(factory, "inbox.retry")
    assert [e.object_id for e in retried] == [str(i) for i in ids[:2]]
    for entry in retried:
        assert (entry.actor, entry.via, entry.source, entry.at) == (
            "boss",
            "session",
            "203.0.113.7",
            frozen,
        )
        assert entry.before == {
            "state": "failed",
            "source": "alertmanager",
            "attempts": 1,
            "last_error": "KeyError: 'x'",
        }
        assert entry.after == {"state": "pending"}
    assert run_transaction(factory, lambda s: inbox.retry_failed(s, actor=ADMIN)) == 0
    assert len(entries(factory, "inbox.retry")) == 2


@pytest.fixture
def runbook_app(
    db_url: str, engine: Engine, factory: sessionmaker[Session], tmp_path: Path, frozen: datetime
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with the test runbook pack and two responders' tokens."""
    apply_standard(factory)
    with session_scope(factory) as session:
        tokens = {
            name: token_for(session, make_user(session, name, global_role="responder"))
            for name in ("rita", "rui")
        }
    settings = Settings(
        database_url=db_url,
        env="test",
        base_url="http://plantao.test",
        runbooks_dir=write_pack(tmp_path / "runbooks"),
        runbooks_workdir=tmp_path,
        runbooks_reload_seconds=0,
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        res = client.post(
            f"/api/v1/intake/{AM_KEY}/alertmanager",
            json=am_webhook([am_alert("CheckoutErrors")], group_key="CheckoutErrors"),
        )
        assert res.status_code == 202
        EngineLoop(factory, registry(settings)).run_once()
        yield client, tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_runbook_run_request_refusal_and_approval_are_audited(
    runbook_app: tuple[TestClient, dict[str, str]], factory: sessionmaker[Session]
) -> None:
    """A destructive run's request, its refused self-approval and the second person's approval
    each write an entry naming the person, via token, from the client's address."""
    client, tokens = runbook_app
    ref = client.get("/api/v1/incidents", headers=_bearer(tokens["rita"])).json()["items"][0]
    human_id = ref["human_id"]
    book = client.get("/api/v1/runbooks/checkout-errors", headers=_bearer(tokens["rita"])).json()
    digest = next(a for a in book["actions"] if a["id"] == "wipe")["command_sha256"]
    runs = f"/api/v1/incidents/{human_id}/runbooks/checkout-errors/actions/wipe/runs"
    body: dict[str, Any] = {"params": {"deployment": "api"}, "confirmation": digest}
    requested = client.post(runs, json=body, headers=_bearer(tokens["rita"]))
    assert requested.status_code == 202, requested.text
    run_id = requested.json()["id"]
    approve = f"/api/v1/incidents/{human_id}/runs/{run_id}/approve"
    assert client.post(approve, headers=_bearer(tokens["rita"])).status_code == 403
    assert client.post(approve, headers=_bearer(tokens["rui"])).status_code == 200

    [asked] = entries(factory, "runbook_run.request")
    assert (asked.actor, asked.via, asked.source) == ("rita", "token", "testclient")
    assert (asked.object_type, asked.object_id) == ("runbook_run", str(run_id))
    assert asked.after is not None and asked.after["status"] == "pending_approval"
    assert asked.after["incident"] == human_id and asked.after["params"] == {"deployment": "api"}
    [refused] = entries(factory, "runbook_run.approve_refused")
    assert refused.actor == "rita" and refused.after is not None
    assert "self-approval" in refused.after["refused"]
    assert refused.after["status"] == "pending_approval"  # the run did not move
    [approved] = entries(factory, "runbook_run.approve")
    assert (approved.actor, approved.via) == ("rui", "token")
    assert approved.before is not None and approved.after is not None
    assert (approved.before["status"], approved.after["status"]) == ("pending_approval", "queued")
    assert approved.after["approved_by"] == "rui"


def test_pruning_a_person_who_acted_keeps_their_audit_entries(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A user who wrote audit entries can still be pruned; the entries stay with their handle."""
    apply_standard(factory)
    with session_scope(factory) as session:
        ana = directory.get(session, "ana")
        actor = AuditActor(handle="ana", user_id=ana.id, via="session")
        directory.change(session, ana, {"language": "pt-BR"}, actor=actor)
    without_ana = STANDARD.replace(
        "users: [{handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}]",
        "users: []",
    ).replace("members: [ana]", "members: []")
    assert without_ana != STANDARD
    apply_config(factory, without_ana, prune=True)
    with session_scope(factory) as session:
        assert directory.by_handle(session, "ana") is None
    [kept] = entries(factory, "user.update")
    assert (kept.actor, kept.actor_user_id) == ("ana", ana.id)
    assert kept.after is not None and kept.after["language"] == "pt-BR"
