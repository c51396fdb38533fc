"""The status pages admin screens against SQLite and PostgreSQL: pages with their components
and statuses, adding, editing, reordering and deleting components and setting the branding in
the browser (refused forms keep what was typed), in both languages; viewers are refused."""

from __future__ import annotations

from tests.api.conftest import Api

BASE = "/admin/status-pages"


def _slugs(api: Api) -> list[str]:
    res = api.client.get("/api/v1/status-pages/public/components", headers=api.headers("admin"))
    return [c["slug"] for c in res.json()]


def test_the_list_shows_pages_components_and_links(api: Api) -> None:
    """The default page is listed with its per-service components, statuses and its link."""
    api.login("admin")
    res = api.client.get(BASE)
    assert res.status_code == 200, res.text
    assert 'href="/status"' in res.text and 'href="/admin/status-pages/public"' in res.text
    assert "Checkout" in res.text and "Operational" in res.text
    assert "plantao.yaml" in res.text  # the hint: the next apply replaces edits
    detail = api.client.get(f"{BASE}/public")
    assert "follow the services" in detail.text


def test_admin_adds_edits_moves_and_deletes_a_component(api: Api) -> None:
    """Each form answers 303 back to the page, which shows the result."""
    api.login("admin")
    page = api.client.get(f"{BASE}/public")
    csrf = api.csrf(page.text)
    data = {
        "csrf": csrf,
        "component_slug": "api",
        "name": "Public API",
        "group": "Core",
        "services": "checkout, orders",
    }
    res = api.client.post(f"{BASE}/public/components", data=data, follow_redirects=False)
    assert res.status_code == 303, res.text
    shown = api.client.get(res.headers["location"])
    assert "Saved." in shown.text and "Public API" in shown.text
    assert _slugs(api) == ["checkout", "default", "orders", "api"]
    res = api.client.post(
        f"{BASE}/public/components/api/move",
        data={"csrf": csrf, "direction": "up"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and _slugs(api) == ["checkout", "default", "api", "orders"]
    edit = api.client.get(f"{BASE}/public/components/api")
    assert edit.status_code == 200 and 'value="checkout, orders"' in edit.text
    res = api.client.post(
        f"{BASE}/public/components/api",
        data=data | {"name": "API", "services": "checkout"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    res = api.client.post(
        f"{BASE}/public/components/orders/delete", data={"csrf": csrf}, follow_redirects=False
    )
    assert res.status_code == 303 and _slugs(api) == ["checkout", "default", "api"]
    assert "follow the services" not in api.client.get(f"{BASE}/public").text


def test_refused_forms_keep_what_was_typed(api: Api) -> None:
    """An unknown service or a bad colour is explained (in Portuguese) and nothing changes."""
    api.login("admin")
    page = api.client.get(f"{BASE}/public?lang=pt-BR")
    assert "Páginas de status" in page.text
    csrf = api.csrf(page.text)
    res = api.client.post(
        f"{BASE}/public/components",
        data={"csrf": csrf, "component_slug": "api", "name": "Minha API", "services": "nope"},
    )
    assert res.status_code == 422
    assert "unknown service" in res.text and 'value="Minha API"' in res.text
    res = api.client.post(
        f"{BASE}/public/branding",
        data={"csrf": csrf, "name": "Acme", "color_brand": "red", "link_url_1": "javascript:x"},
    )
    assert res.status_code == 422 and 'value="red"' in res.text
    assert _slugs(api) == ["checkout", "default", "orders"]


def test_branding_is_saved(api: Api) -> None:
    """A valid name, colour and footer link are stored and shown back in the form."""
    api.login("admin")
    csrf = api.csrf(api.client.get(f"{BASE}/public").text)
    data = {
        "csrf": csrf,
        "name": "Acme status",
        "color_brand": "#AA0000",
        "link_label_1": "Home",
        "link_url_1": "https://example.com",
    }
    res = api.client.post(f"{BASE}/public/branding", data=data, follow_redirects=False)
    assert res.status_code == 303, res.text
    shown = api.client.get(f"{BASE}/public").text
    assert 'value="Acme status"' in shown and 'value="#aa0000"' in shown
    assert 'value="https://example.com"' in shown


def test_viewers_are_refused(api: Api) -> None:
    """The screens are admins'."""
    api.login("viewer")
    assert api.client.get(BASE).status_code == 403
