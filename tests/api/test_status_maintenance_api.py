"""Showing maintenance windows on the status page: the API's opt-in per window (its components
go under maintenance while it runs, and come back when it is withdrawn), refusals that change
nothing, and ``maintenance_windows[].status_page`` in plantao.yaml with errors at their place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from plantao.configfile import service as config_service
from plantao.configfile.schema import ConfigError, load_text
from plantao.db import session_scope
from plantao.errors import ValidationFailed
from plantao.statuspage import pages
from plantao.statuspage.models import StatusComponent, StatusMaintenance
from tests.api.conftest import Api
from tests.factories.config import STANDARD


def _components(api: Api) -> None:
    with session_scope(api.factory) as session:
        page = pages.ensure_default(session)
        have = set(
            session.scalars(select(StatusComponent.slug).where(StatusComponent.page_id == page.id))
        )
        now = datetime.now(UTC)
        for slug in {"checkout", "orders"} - have:
            session.add(
                StatusComponent(
                    page_id=page.id,
                    slug=slug,
                    name=slug.title(),
                    description="",
                    group_name=None,
                    position=0,
                    services=[slug],
                    status="operational",
                    created_at=now,
                    updated_at=now,
                )
            )


def _window(api: Api, starts_in: timedelta) -> int:
    start = datetime.now(UTC) + starts_in
    body = {
        "name": f"upgrade-{starts_in.total_seconds()}",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "services": ["checkout"],
    }
    res = api.client.post("/api/v1/silences", json=body, headers=api.headers("admin"))
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


def _status(api: Api, slug: str) -> str:
    with session_scope(api.factory) as session:
        return session.scalars(
            select(StatusComponent.status).where(StatusComponent.slug == slug)
        ).one()


def test_window_in_progress_puts_components_under_maintenance_until_withdrawn(api: Api) -> None:
    """Announcing a running window sets its components under maintenance; withdrawing it
    restores them and removes it from the page."""
    _components(api)
    window = _window(api, timedelta(minutes=-5))
    res = api.client.post(
        f"/api/v1/maintenance/{window}/status-page",
        json={"title": "Database upgrade", "body": "Short pauses.", "components": ["checkout"]},
        headers=api.headers("admin"),
    )
    assert res.status_code == 200, res.text
    assert res.json()["page"] == "public" and res.json()["components"] == ["checkout"]
    assert _status(api, "checkout") == "under_maintenance"
    assert _status(api, "orders") == "operational"
    listed = api.client.get("/api/v2/scheduled-maintenances.json").json()
    assert [m["name"] for m in listed["scheduled_maintenances"]] == ["Database upgrade"]
    res = api.client.delete(
        f"/api/v1/maintenance/{window}/status-page", headers=api.headers("admin")
    )
    assert res.status_code == 204, res.text
    assert _status(api, "checkout") == "operational"
    res = api.client.delete(
        f"/api/v1/maintenance/{window}/status-page", headers=api.headers("admin")
    )
    assert res.status_code == 404


def test_refusals_change_nothing(api: Api) -> None:
    """Unknown component (422), unknown page or window (404), a viewer (403): nothing shown."""
    _components(api)
    window = _window(api, timedelta(days=1))
    admin = api.headers("admin")
    cases = [
        (window, {"title": "t", "components": ["nope"]}, admin, 422),
        (window, {"title": "t", "page": "nope"}, admin, 404),
        (999999, {"title": "t"}, admin, 404),
        (window, {"title": ""}, admin, 422),
        (window, {"title": "t"}, api.headers("viewer"), 403),
    ]
    for window_id, body, headers, status in cases:
        res = api.client.post(
            f"/api/v1/maintenance/{window_id}/status-page", json=body, headers=headers
        )
        assert res.status_code == status, (body, res.text)
    with session_scope(api.factory) as session:
        assert session.scalars(select(StatusMaintenance)).all() == []


WINDOWS = """
maintenance_windows:
  - name: nightly
    start: 2026-12-10T02:00:00Z
    end: 2026-12-10T04:00:00Z
    services: [checkout]
    status_page:
      title: Nightly upgrade
      components: [checkout, {component}]
"""


def test_config_windows_opt_in_with_errors_at_their_place(api: Api) -> None:
    """A file window with status_page is shown; an unknown component is reported at its
    place and nothing is applied; dropping the key withdraws it."""
    _components(api)

    def apply(text: str) -> None:
        with session_scope(api.factory) as session:
            config_service.apply(session, load_text(STANDARD + text))

    with pytest.raises(ValidationFailed) as caught:
        apply(WINDOWS.format(component="nope"))
    assert (
        "maintenance_windows[0].status_page.components[1]: unknown component 'nope'"
        in caught.value.detail
    )
    apply(WINDOWS.format(component="orders"))
    with session_scope(api.factory) as session:
        [row] = session.scalars(select(StatusMaintenance)).all()
        assert (row.title, row.components) == ("Nightly upgrade", ["checkout", "orders"])
    with pytest.raises(ConfigError) as bad:
        load_text(STANDARD + WINDOWS.format(component="Not A Slug"))
    assert any("maintenance_windows[0].status_page.components[1]" in p for p in bad.value.problems)
    apply(WINDOWS.split("    status_page:", maxsplit=1)[0])
    with session_scope(api.factory) as session:
        assert session.scalars(select(StatusMaintenance)).all() == []
