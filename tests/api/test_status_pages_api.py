"""The status pages API against SQLite and PostgreSQL: reading pages and components, and an
admin adding, editing, reordering and deleting components and setting the branding, with
clear errors that change nothing."""

from __future__ import annotations

from sqlalchemy import select

from plantao.db import session_scope
from plantao.people.models import AuditEntry
from plantao.statuspage.models import StatusPageState
from tests.api.conftest import Api

BASE = "/api/v1/status-pages"


def test_the_default_page_lists_one_component_per_service(api: Api) -> None:
    """With nothing configured, 'public' exists at /status with a component per service."""
    res = api.client.get(BASE, headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    [page] = res.json()
    assert (page["slug"], page["path"], page["components_follow_services"]) == (
        "public",
        "/status",
        True,
    )
    assert [c["slug"] for c in page["components"]] == ["checkout", "default", "orders"]
    assert {c["status"] for c in page["components"]} == {"operational"}
    one = api.client.get(f"{BASE}/public/components", headers=api.headers("viewer"))
    assert [c["services"] for c in one.json()] == [["checkout"], ["default"], ["orders"]]


def test_admin_manages_components(api: Api) -> None:
    """Add (at the end), rename and regroup, move first, delete; each is audited, the page is
    touched, and the page stops following the services."""
    admin = api.headers("admin")
    made = api.client.post(
        f"{BASE}/public/components",
        json={"slug": "api", "name": "Public API", "group": "Core", "services": ["checkout"]},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["position"] == 3
    moved = api.client.patch(
        f"{BASE}/public/components/Public API",
        json={"name": "API", "group": "", "position": 0},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["name"], moved.json()["group"], moved.json()["position"]) == (
        "API",
        None,
        0,
    )
    gone = api.client.delete(f"{BASE}/public/components/orders", headers=admin)
    assert gone.status_code == 204
    page = api.client.get(f"{BASE}/public", headers=admin).json()
    assert [c["slug"] for c in page["components"]] == ["api", "checkout", "default"]
    assert page["components_follow_services"] is False
    assert "components_declared" not in page["branding"]
    with session_scope(api.factory) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"status_component.create", "status_component.move"} <= actions
        assert "status_component.delete" in actions
        assert (session.scalar(select(StatusPageState.version)) or 0) >= 3


def test_errors_change_nothing(api: Api) -> None:
    """Unknown services, bad slugs, duplicates, unknown pages and components are refused."""
    admin = api.headers("admin")
    cases = [
        (
            "post",
            f"{BASE}/public/components",
            {"slug": "x", "name": "X", "services": ["nope"]},
            422,
        ),
        ("post", f"{BASE}/public/components", {"slug": "Bad Slug", "name": "X"}, 422),
        ("post", f"{BASE}/public/components", {"slug": "checkout", "name": "Again"}, 409),
        ("post", f"{BASE}/nope/components", {"slug": "x", "name": "X"}, 404),
        ("patch", f"{BASE}/public/components/nope", {"name": "X"}, 404),
        ("patch", f"{BASE}/public/components/checkout", {"slug": "orders"}, 409),
    ]
    for method, url, body, status in cases:
        res = api.client.request(method.upper(), url, json=body, headers=admin)
        assert res.status_code == status, (url, body, res.text)
    page = api.client.get(f"{BASE}/public", headers=admin).json()
    assert [c["slug"] for c in page["components"]] == ["checkout", "default", "orders"]
    assert page["components_follow_services"] is True


def test_branding_is_checked_and_stored(api: Api) -> None:
    """Colours must be #rrggbb and links http(s); a valid branding is stored as given."""
    admin = api.headers("admin")
    bad = api.client.put(
        f"{BASE}/public/branding",
        json={
            "name": "Acme",
            "colors": {"brand": "red"},
            "footer_links": [{"label": "x", "url": "javascript:alert(1)"}],
        },
        headers=admin,
    )
    assert bad.status_code == 422
    assert "colors.brand" in bad.text and "footer_links[0].url" in bad.text
    good = api.client.put(
        f"{BASE}/public/branding",
        json={
            "name": "Acme status",
            "logo_url": "https://example.com/logo.png",
            "colors": {"brand": "#AA0000"},
            "footer_links": [{"label": "Home", "url": "https://example.com"}],
        },
        headers=admin,
    )
    assert good.status_code == 200, good.text
    assert good.json()["name"] == "Acme status"
    assert good.json()["branding"] == {
        "logo_url": "https://example.com/logo.png",
        "colors": {"brand": "#aa0000"},
        "footer_links": [{"label": "Home", "url": "https://example.com"}],
    }


def test_viewers_read_but_do_not_change(api: Api) -> None:
    """A viewer reads the pages; adding a component needs an admin."""
    viewer = api.headers("viewer")
    assert api.client.get(f"{BASE}/public", headers=viewer).status_code == 200
    res = api.client.post(
        f"{BASE}/public/components", json={"slug": "x", "name": "X"}, headers=viewer
    )
    assert res.status_code == 403
