"""A service's release gate page: the answer now (not recorded), recent decisions, overrides,
and the admin's forms to create and revoke one."""

from __future__ import annotations

from sqlalchemy import func, select

from plantao.db import session_scope
from plantao.postmortems.models import GateDecision, GateOverride
from tests.api.conftest import Api
from tests.factories.gate import add_action, declare

PAGE = "/services/checkout/release-gate"


def decisions(api: Api) -> int:
    with session_scope(api.factory) as session:
        return int(session.scalar(select(func.count()).select_from(GateDecision)) or 0)


def test_page_shows_blocking_reasons_without_recording(api: Api) -> None:
    """The page says blocked, links the action and incident, and records no decision."""
    ref = declare(api.client, api.tokens["admin"], title="Payments down")
    action = add_action(api.factory, ref, title="Bound the retries")
    api.login("viewer")
    res = api.client.get(PAGE)
    assert res.status_code == 200, res.text
    assert "Blocked" in res.text and "Bound the retries" in res.text
    assert f'href="/actions/{action}"' in res.text and f'href="/incidents/{ref}"' in res.text
    assert "Create override" not in res.text  # viewers get no form
    assert decisions(api) == 0


def test_page_lists_recorded_decisions(api: Api) -> None:
    """Decisions asked through the API are listed with who asked."""
    api.client.get(
        "/api/v1/release-gate", params={"service": "checkout"}, headers=api.headers("viewer")
    )
    api.login("viewer")
    res = api.client.get(PAGE)
    assert "viewer-u (token viewer-u-t)" in res.text and "Allowed" in res.text


def test_services_page_links_the_gate(api: Api) -> None:
    """The services page links each service's gate."""
    api.login("viewer")
    assert f'href="{PAGE}"' in api.client.get("/services").text


def test_admin_creates_and_revokes_an_override(api: Api) -> None:
    """An admin's override lets the service through; revoking it ends it."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    api.login("admin")
    csrf = api.csrf(api.client.get(PAGE).text)
    res = api.client.post(
        PAGE + "/overrides",
        data={"csrf": csrf, "reason": "hotfix", "length": "2h", "environment": ""},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    page = api.client.get(res.headers["location"])
    assert "Override created." in page.text and "hotfix" in page.text
    assert "Allowed" in page.text
    with session_scope(api.factory) as session:
        override_id = session.scalars(select(GateOverride.id)).one()
    res = api.client.post(
        f"{PAGE}/overrides/{override_id}/revoke", data={"csrf": csrf}, follow_redirects=False
    )
    assert res.status_code == 303
    assert "Override revoked." in api.client.get(res.headers["location"]).text
    with session_scope(api.factory) as session:
        assert session.get(GateOverride, override_id).revoked_by == "admin-u"  # type: ignore[union-attr]


def test_invalid_override_keeps_what_was_typed(api: Api) -> None:
    """A bad duration re-renders the form (422) with the reason kept; nothing is stored."""
    api.login("admin")
    csrf = api.csrf(api.client.get(PAGE).text)
    res = api.client.post(
        PAGE + "/overrides", data={"csrf": csrf, "reason": "keep me typed", "length": "9d"}
    )
    assert res.status_code == 422
    assert "keep me typed" in res.text and "at most 7 days" in res.text
    with session_scope(api.factory) as session:
        assert session.scalar(select(func.count()).select_from(GateOverride)) == 0


def test_viewer_cannot_override(api: Api) -> None:
    """A viewer's post is refused with 403."""
    api.login("viewer")
    csrf = api.csrf(api.client.get("/tokens").text)
    res = api.client.post(PAGE + "/overrides", data={"csrf": csrf, "reason": "x", "length": "1h"})
    assert res.status_code == 403


def test_unknown_service_is_404(api: Api) -> None:
    """A service that does not exist is a 404 page."""
    api.login("viewer")
    assert api.client.get("/services/nope/release-gate").status_code == 404


def test_portuguese_texts(api: Api) -> None:
    """The page speaks Portuguese to a pt-BR browser."""
    api.login("viewer")
    res = api.client.get(PAGE, headers={"Accept-Language": "pt-BR"})
    assert "Portão de release" in res.text
