"""The incident page's Status page panel: the proposal (prominent for a Sev1), publishing and
updating from forms with public words only, refusals that keep what was typed, dismissing."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from plantao import clock
from plantao.db import session_scope
from plantao.statuspage import pages
from plantao.statuspage.models import PublicUpdate, StatusComponent
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook


@pytest.fixture
def ref(api: Api) -> str:
    """A Sev1 incident on 'default', which feeds the public page's 'api' component."""
    with session_scope(api.factory) as session:
        for row in session.scalars(select(StatusComponent)):
            session.delete(row)
        session.flush()
        session.add(
            StatusComponent(
                page_id=pages.ensure_default(session).id,
                slug="api",
                name="Public API",
                description="",
                group_name=None,
                position=0,
                services=["default"],
                status="operational",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    return api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager",
        am_webhook([am_alert("InternalOnlyName", severity="critical")]),
    )


def _page(api: Api, ref: str) -> str:
    res = api.client.get(f"/incidents/{ref}")
    assert res.status_code == 200, res.text
    return html.unescape(res.text)


def test_sev1_proposal_publish_update_and_resolve_from_forms(api: Api, ref: str) -> None:
    """A Sev1 shows the urgent proposal and the open publish form; publishing and updating
    from the forms shows the public incident, and resolving ends its update form."""
    api.login("admin")
    page = _page(api, ref)
    assert 'id="status-page"' in page and "Sev1: publish this incident" in page
    assert 'value="api=partial_outage" selected' in page
    csrf = api.csrf(page)
    res = api.client.post(
        f"/incidents/{ref}/status-page/publish",
        data={
            "csrf": csrf,
            "page": "public",
            "title": "Payments are slow",
            "body": "We are looking into it.",
            "components": ["api=major_outage"],
        },
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    page = _page(api, ref)
    assert "Payments are slow" in page and "We are looking into it." in page
    assert "Sev1: publish this incident" not in page
    assert "Published on the status page (public): Payments are slow" in page
    with session_scope(api.factory) as session:
        public_id = session.scalars(select(PublicUpdate.public_incident_id)).one()
    res = api.client.post(
        f"/incidents/{ref}/status-page/{public_id}/updates",
        data={"csrf": csrf, "status": "resolved", "body": "Back to normal.", "components": [""]},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    page = _page(api, ref)
    assert "Back to normal." in page and "Post a public update" not in page


def test_refused_publication_keeps_what_was_typed(api: Api, ref: str) -> None:
    """An empty public text is refused with 422 and the title typed is shown again."""
    api.login("admin")
    csrf = api.csrf(_page(api, ref))
    res = api.client.post(
        f"/incidents/{ref}/status-page/publish",
        data={"csrf": csrf, "page": "public", "title": "Typed title kept", "body": " "},
    )
    assert res.status_code == 422
    assert 'value="Typed title kept"' in html.unescape(res.text)


def test_dismiss_and_who_sees_the_forms(api: Api, ref: str) -> None:
    """A viewer sees the proposal without forms; dismissing hides the proposal."""
    api.login("viewer")
    page = _page(api, ref)
    assert "Sev1: publish this incident" in page and "/status-page/publish" not in page
    api.login("admin")
    csrf = api.csrf(_page(api, ref))
    res = api.client.post(
        f"/incidents/{ref}/status-page/dismiss",
        data={"csrf": csrf, "page": "public"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert 'id="status-page"' not in _page(api, ref)
