"""The stakeholders page: listing, adding (errors keep what was typed) and removing in the
browser, in both languages; viewers are refused."""

from __future__ import annotations

from sqlalchemy import func, select

from plantao.command.models import Stakeholder
from plantao.db import session_scope
from tests.api.conftest import Api


def _count(api: Api) -> int:
    with session_scope(api.factory) as session:
        return int(session.scalar(select(func.count()).select_from(Stakeholder)) or 0)


def _form(csrf: str, **over: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "scope": "service",
        "scope_slug": "checkout",
        "name": "Customer success",
        "kind": "email",
        "address": "cs@example.com",
        "language": "pt-BR",
        "min_severity": "sev2",
    } | over


def test_admin_adds_and_removes_a_stakeholder_in_the_browser(api: Api) -> None:
    """The form adds an e-mail list (303 back to the list, which shows it); removing it works."""
    api.login("admin")
    page = api.client.get("/stakeholders")
    assert page.status_code == 200 and "Nobody is kept informed yet." in page.text
    res = api.client.post("/stakeholders", data=_form(api.csrf(page.text)), follow_redirects=False)
    assert res.status_code == 303
    listed = api.client.get(res.headers["location"])
    assert "Stakeholder Customer success added." in listed.text
    assert "cs@example.com" in listed.text and _count(api) == 1
    with session_scope(api.factory) as session:
        row_id = session.scalars(select(Stakeholder.id)).one()
    res = api.client.post(
        f"/stakeholders/{row_id}/delete",
        data={"csrf": api.csrf(listed.text)},
        follow_redirects=False,
    )
    assert res.status_code == 303 and _count(api) == 0


def test_a_bad_address_keeps_the_form_and_writes_nothing(api: Api) -> None:
    """An ftp:// Slack URL is refused with the reason, in Portuguese, the typed name kept."""
    api.login("admin")
    page = api.client.get("/stakeholders?lang=pt-BR")
    assert "Partes interessadas" in page.text
    data = _form(api.csrf(page.text), kind="slack", address="ftp://hooks.example.com/x")
    res = api.client.post("/stakeholders", data=data)
    assert res.status_code == 422
    assert "http(s) URL" in res.text and 'value="Customer success"' in res.text
    assert _count(api) == 0


def test_webhook_urls_show_only_their_host(api: Api) -> None:
    """A Slack webhook's secret path never reaches the page."""
    api.login("admin")
    page = api.client.get("/stakeholders")
    hook = "https://hooks.slack.com/services/T0/B0/secret-part"
    data = _form(api.csrf(page.text), kind="slack", address=hook)
    api.client.post("/stakeholders", data=data)
    listed = api.client.get("/stakeholders").text
    assert "secret-part" not in listed and "https://hooks.slack.com/…" in listed


def test_viewer_is_refused(api: Api) -> None:
    """A viewer may not open the stakeholders page (addresses are personal data)."""
    api.login("viewer")
    assert api.client.get("/stakeholders").status_code == 403
