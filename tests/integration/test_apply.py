"""plantao apply: idempotent, reports each change, dry run changes nothing, prune deletes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.catalog.models import Integration, Route, Service
from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import session_scope
from tests.factories.config import STANDARD


def _apply(
    factory: sessionmaker[Session], text: str, *, prune: bool = False, dry_run: bool = False
) -> list[str]:
    session = factory()
    try:
        changes = config_service.apply(session, load_text(text), prune=prune)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()
    return [str(c) for c in changes]


def test_apply_twice_is_idempotent(factory: sessionmaker[Session]) -> None:
    """The second apply of the same file reports no changes and keeps integration keys."""
    first = _apply(factory, STANDARD)
    assert "+ service checkout" in first and "+ route #0 checkout by alertname" in first
    with factory() as s:
        keys = {i.slug: i.key for i in s.scalars(select(Integration))}
    assert _apply(factory, STANDARD) == []
    with factory() as s:
        assert {i.slug: i.key for i in s.scalars(select(Integration))} == keys


def test_generated_keys_are_kept(factory: sessionmaker[Session]) -> None:
    """An integration declared without a key gets one on create that later applies keep."""
    text = (
        "services: [{slug: a, name: A}]\n"
        "integrations: [{slug: i, name: I, kind: generic, service: a}]\n"
    )
    _apply(factory, text)
    with factory() as s:
        key = s.scalars(select(Integration.key)).one()
    assert len(key) == 32
    assert _apply(factory, text) == []
    with factory() as s:
        assert s.scalars(select(Integration.key)).one() == key


def test_dry_run_changes_nothing(factory: sessionmaker[Session]) -> None:
    """A dry run reports the changes it would make and leaves the database untouched."""
    changes = _apply(factory, STANDARD, dry_run=True)
    assert changes
    with factory() as s:
        assert list(s.scalars(select(Service))) == []


def test_updates_and_route_replacement(factory: sessionmaker[Session]) -> None:
    """Changed fields are reported as updates; the route list follows the file."""
    _apply(factory, STANDARD)
    changed = STANDARD.replace("name: Checkout,", "name: Checkout API,").replace(
        "group_window: 1h\n  - name: orders", "group_window: 3h\n  - name: orders"
    )
    changes = _apply(factory, changed)
    assert "~ service checkout (name)" in changes
    assert any(c.startswith("~ route #0") and "group_window_seconds" in c for c in changes)
    with factory() as s:
        routes = list(s.scalars(select(Route).order_by(Route.position)))
    assert [r.group_window_seconds for r in routes] == [3 * 3600, 3600]


def test_prune_deletes_what_the_file_omits(factory: sessionmaker[Session]) -> None:
    """Without --prune omitted objects stay; with it they are deleted and reported."""
    _apply(factory, STANDARD)
    smaller = STANDARD.replace(
        "  - {slug: gen, name: Generic, kind: generic, service: default, "
        "key: gen-key-0123456789abcdef}\n",
        "",
    )
    assert _apply(factory, smaller) == []
    assert "- integration gen" in _apply(factory, smaller, prune=True)
    with session_scope(factory) as s:
        assert "gen" not in set(s.scalars(select(Integration.slug)))


def test_prune_refuses_a_service_with_history(factory: sessionmaker[Session]) -> None:
    """A service that incidents refer to cannot be pruned; the whole apply is refused."""
    import pytest

    from plantao.errors import Conflict
    from tests.factories.payloads import am_alert, am_webhook
    from tests.integration.helpers import send_am

    _apply(factory, STANDARD)
    send_am(factory, am_webhook([am_alert("Down", service="checkout")]))
    without = STANDARD.replace("  - {slug: checkout, name: Checkout, team: sre}\n", "").replace(
        "service: checkout\n", "service: orders\n"
    )
    with pytest.raises(Conflict, match="cannot prune service 'checkout'"):
        _apply(factory, without, prune=True)
    with factory() as s:
        assert "checkout" in set(s.scalars(select(Service.slug)))
