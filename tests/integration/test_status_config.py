"""``status_pages:`` in plantao.yaml against SQLite and PostgreSQL: pages, branding and
components applied idempotently with a readable diff, errors pointing into the file, the public
page's default components following the services, and removal that never loses history."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.configfile.schema import ConfigError, load_text
from plantao.db import session_scope
from plantao.errors import Conflict, ValidationFailed
from plantao.statuspage import components, default_components, pages
from plantao.statuspage.models import PublicIncident, StatusPage, StatusPageState
from tests.factories.config import STANDARD, apply_config

PAGES = """
status_pages:
  - slug: public
    name: Acme status
    host: status.example.com
    language: pt-BR
    branding:
      logo_url: https://example.com/logo.png
      colors: {brand: "#112233", text: "#000000", background: "#FFFFFF"}
      footer_links: [{label: Home, url: "https://example.com"}]
    components:
      - {slug: web, name: Website, group: Storefront, order: 2, services: [checkout]}
      - {slug: api, name: Public API, group: Storefront, order: 1, services: [checkout, orders]}
      - {slug: mail, name: E-mail, description: Receipts}
  - slug: internal
    name: Internal
    audience: internal
    components:
      - {slug: orders, name: Orders, services: [orders]}
"""


PUBLIC_ONLY = PAGES.split("  - slug: internal", maxsplit=1)[0]


def _changes(factory: sessionmaker[Session], text: str) -> list[str]:
    return [str(c) for c in apply_config(factory, text) if "status " in c.kind]


def _layout(session: Session, slug: str) -> list[tuple[str, str | None, list[str]]]:
    page = pages.by_slug(session, slug)
    assert page is not None
    return [(c.slug, c.group_name, c.services) for c in components.on_page(session, page.id)]


def test_apply_declares_pages_and_is_idempotent(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Pages and components are created in their order, stored with their branding, touched,
    and a second apply reports nothing."""
    apply_config(factory, STANDARD)
    first = _changes(factory, STANDARD + PAGES)
    assert "+ status page internal" in first
    assert "+ status component public/api" in first
    assert "~ status page public (name, host, language, branding)" in first
    assert _changes(factory, STANDARD + PAGES) == []
    with session_scope(factory) as session:
        assert _layout(session, "public") == [
            ("api", "Storefront", ["checkout", "orders"]),
            ("web", "Storefront", ["checkout"]),
            ("mail", None, []),
        ]
        public = pages.by_slug(session, "public")
        assert public is not None and public.host == "status.example.com"
        assert public.branding["colors"]["background"] == "#ffffff"
        assert public.branding["footer_links"] == [{"label": "Home", "url": "https://example.com"}]
        internal = pages.by_slug(session, "internal")
        assert internal is not None and internal.audience == "internal"
        versions = dict(
            session.execute(select(StatusPageState.page_id, StatusPageState.version)).tuples().all()
        )
        assert versions[internal.id] >= 1


def test_a_changed_file_reports_its_diff(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Renaming, regrouping and removing components and pages is described line by line."""
    apply_config(factory, STANDARD + PAGES)
    changed = (
        PAGES.replace("name: Website, group: Storefront", "name: Web shop, group: Shop")
        .replace("      - {slug: mail, name: E-mail, description: Receipts}\n", "")
        .split("  - slug: internal")[0]
    )
    assert sorted(_changes(factory, STANDARD + changed)) == [
        "- status component public/mail",
        "- status page internal",
        "~ status component public/web (name, group)",
    ]


@pytest.mark.parametrize(
    ("fragment", "problem"),
    [
        ("services: [checkout]}", "status_pages[0].components[0].services[0]: unknown service"),
        ('brand: "#112233"', "status_pages[0].branding.colors.brand: 'red' is not a colour"),
        ("https://example.com/logo.png", "status_pages[0].branding.logo_url: 'javascript:x'"),
        ("slug: internal", "status_pages[1].slug: duplicate 'public'"),
        ("{slug: mail,", "status_pages[0].components[2].slug: duplicate 'web'"),
    ],
)
def test_errors_point_into_the_file(fragment: str, problem: str) -> None:
    """Unknown services, bad colours, non-web URLs and duplicates are located in the file."""
    replacement = {
        "services: [checkout]}": "services: [nope]}",
        'brand: "#112233"': "brand: red",
        "https://example.com/logo.png": "javascript:x",
        "slug: internal": "slug: public",
        "{slug: mail,": "{slug: web,",
    }[fragment]
    with pytest.raises(ConfigError) as caught:
        load_text(STANDARD + PAGES.replace(fragment, replacement, 1))
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_reserved_slug_and_stored_services(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A page may not take a route's name; without a services section, components are checked
    against the stored services and nothing is applied when one is unknown."""
    with pytest.raises(ConfigError, match=r"status_pages\[1\].slug: 'history' is reserved"):
        load_text(PAGES.replace("slug: internal", "slug: history"))
    apply_config(factory, STANDARD)
    with pytest.raises(ValidationFailed, match=r"services\[0\]: unknown service 'nope'"):
        apply_config(factory, PAGES.replace("services: [orders]}", "services: [nope]}"))
    with session_scope(factory) as session:
        assert pages.by_slug(session, "internal") is None
    assert "+ status page internal" in _changes(factory, PAGES)


def test_default_components_follow_services(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """With no status_pages, the public page shows one component per service, kept in step
    (renamed, pruned) until a component list is declared, which then replaces them for good."""
    first = _changes(factory, STANDARD)
    assert "+ status component public/checkout (from its service)" in first
    with session_scope(factory) as session:
        assert [s for s, _, _ in _layout(session, "public")] == ["checkout", "default", "orders"]
    renamed = STANDARD.replace("{slug: checkout, name: Checkout", "{slug: checkout, name: Shop")
    assert _changes(factory, renamed) == ["~ status component public/checkout (name)"]
    apply_config(factory, STANDARD + PUBLIC_ONLY)
    apply_config(factory, STANDARD.replace("Checkout,", "Cart,"))
    with session_scope(factory) as session:
        page = pages.by_slug(session, "public")
        assert page is not None and default_components.declared(page)
        assert [s for s, _, _ in _layout(session, "public")] == ["api", "web", "mail"]


def test_removal_keeps_public_and_refuses_to_lose_history(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A page left out is deleted unless it has public incidents; 'public' always stays; a
    file without status_pages leaves the pages alone."""
    apply_config(factory, STANDARD + PAGES)
    assert _changes(factory, STANDARD) == []
    with session_scope(factory) as session:
        internal = pages.by_slug(session, "internal")
        assert internal is not None
        now = clock.now()
        session.add(
            PublicIncident(
                page_id=internal.id,
                incident_id=None,
                title="Orders slow",
                status="investigating",
                impact="minor",
                published_by="ana",
                created_at=now,
                updated_at=now,
                resolved_at=None,
            )
        )
    only_public = STANDARD + PUBLIC_ONLY
    with pytest.raises(Conflict, match="'internal': it has 1 public incident"):
        apply_config(factory, only_public)
    with session_scope(factory) as session:
        session.execute(delete(PublicIncident))
    elsewhere = "status_pages: [{slug: elsewhere, name: Elsewhere, host: other.example.com}]\n"
    apply_config(factory, STANDARD + elsewhere)
    with session_scope(factory) as session:
        assert {p.slug for p in session.scalars(select(StatusPage))} == {"public", "elsewhere"}
