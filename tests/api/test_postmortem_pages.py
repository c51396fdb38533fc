"""The postmortem pages without JavaScript: started from the incident page's card, rendered as
safe HTML, edited with a Preview that saves nothing and a Save that makes a version, a stale
save that keeps the typed text, review and publish forms, the printable page and the Markdown
download, the list, and the pt-BR texts."""

from __future__ import annotations

import re
from datetime import datetime

from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, visible_text
from tests.factories.config import GENERIC_KEY


def _open(api: Api) -> str:
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout down", "dedup_key": "pmw", "severity": "critical"},
    )


def _start_from_the_card(api: Api, ref: str) -> int:
    html = page_html(api, ref)
    assert f'action="/incidents/{ref}/postmortem"' in _section(html, "inc-postmortem")
    res = api.client.post(
        f"/incidents/{ref}/postmortem", data={"csrf": api.csrf(html)}, follow_redirects=False
    )
    assert res.status_code == 303, res.text
    match = re.fullmatch(r"/postmortems/(\d+)", res.headers["location"])
    assert match, res.headers["location"]
    return int(match.group(1))


def _section(page: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


def _version(api: Api, pm_id: int) -> int:
    got = api.client.get(f"/api/v1/postmortems/{pm_id}", headers=api.headers("viewer")).json()
    return int(got["version"])


def test_started_from_the_incident_card_and_rendered_safely(api: Api, frozen: datetime) -> None:
    """The card starts the postmortem; its page shows the state, due date, the text rendered
    with raw HTML escaped, and the card now links to it."""
    ref = _open(api)
    api.login("responder")
    assert "Start the postmortem" in visible_text(_section(page_html(api, ref), "inc-postmortem"))
    pm_id = _start_from_the_card(api, ref)
    edit = api.client.get(f"/postmortems/{pm_id}/edit")
    form = {
        "csrf": api.csrf(edit.text),
        "markdown": "# Findings\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n",
        "base_version": "1",
        "intent": "save",
    }
    assert api.client.post(f"/postmortems/{pm_id}/edit", data=form).status_code == 200
    page = api.client.get(f"/postmortems/{pm_id}")
    assert page.status_code == 200
    assert "<h1>Findings</h1>" in page.text and "<script>alert" not in page.text
    assert 'href="javascript:' not in page.text
    text = visible_text(page.text)
    assert "Draft" in text and "Due" in text and ref in text
    card = visible_text(_section(page_html(api, ref), "inc-postmortem"))
    assert "Open the postmortem" in card and "Draft" in card


def test_preview_saves_nothing_and_save_makes_a_version(api: Api) -> None:
    """Preview renders the typed text and its blameless warnings beside the form and saves
    nothing; Save stores version 2 and goes back to the page."""
    ref = _open(api)
    api.login("responder")
    pm_id = _start_from_the_card(api, ref)
    csrf = api.csrf(api.client.get(f"/postmortems/{pm_id}/edit").text)
    text = "# Timeline\n\nIt was human error by the on-call.\n"
    body = {"csrf": csrf, "markdown": text, "base_version": "1", "intent": "preview"}
    preview = api.client.post(f"/postmortems/{pm_id}/edit", data=body)
    assert preview.status_code == 200
    assert "Preview (not saved)" in preview.text and "<h1>Timeline</h1>" in preview.text
    assert "It was human error by the on-call." in preview.text  # still in the textarea
    lint = visible_text(_section(preview.text, "pm-lint"))
    assert "line 3" in lint
    assert _version(api, pm_id) == 1
    saved = api.client.post(
        f"/postmortems/{pm_id}/edit", data=body | {"intent": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/postmortems/{pm_id}?saved=2"
    assert _version(api, pm_id) == 2
    assert "Saved as version 2." in api.client.get(saved.headers["location"]).text
    versions = visible_text(api.client.get(f"/postmortems/{pm_id}/versions").text)
    assert "Version 2" in versions and "Version 1" in versions
    one = api.client.get(f"/postmortems/{pm_id}/versions/1")
    assert one.status_code == 200


def test_a_stale_save_is_409_and_keeps_the_typed_text(api: Api) -> None:
    """When someone saved in between, the editor answers 409 with the typed text still in the
    form, the current version shown under it, and nothing saved."""
    ref = _open(api)
    api.login("responder")
    pm_id = _start_from_the_card(api, ref)
    csrf = api.csrf(api.client.get(f"/postmortems/{pm_id}/edit").text)
    other = api.client.patch(
        f"/api/v1/postmortems/{pm_id}",
        headers=api.headers("admin"),
        json={"markdown": "# Theirs\n", "base_version": 1},
    )
    assert other.status_code == 200
    body = {"csrf": csrf, "markdown": "# Mine, typed\n", "base_version": "1", "intent": "save"}
    res = api.client.post(f"/postmortems/{pm_id}/edit", data=body)
    assert res.status_code == 409
    assert "# Mine, typed" in res.text and "# Theirs" in res.text
    assert "Someone saved a newer version" in res.text
    assert 'name="base_version" value="2"' in res.text
    assert _version(api, pm_id) == 2


def test_review_and_publish_forms(api: Api) -> None:
    """The responder asks the admin to review; the admin approves from the page; the responder
    publishes; the page then offers Reopen and no editor (409 until reopened)."""
    ref = _open(api)
    api.login("responder")
    pm_id = _start_from_the_card(api, ref)
    page = api.client.get(f"/postmortems/{pm_id}").text
    res = api.client.post(
        f"/postmortems/{pm_id}/submit",
        data={"csrf": api.csrf(page), "reviewers": "admin-u"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    early = api.client.post(
        f"/postmortems/{pm_id}/publish", data={"csrf": api.csrf(page)}, follow_redirects=False
    )
    assert early.status_code == 409
    api.client.cookies.clear()
    api.login("admin")
    page = api.client.get(f"/postmortems/{pm_id}").text
    assert 'id="pm-review-form"' in page
    res = api.client.post(
        f"/postmortems/{pm_id}/review",
        data={"csrf": api.csrf(page), "decision": "approve", "comment": ""},
        follow_redirects=False,
    )
    assert res.status_code == 303
    api.client.cookies.clear()
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm_id}").text
    res = api.client.post(
        f"/postmortems/{pm_id}/publish", data={"csrf": api.csrf(page)}, follow_redirects=False
    )
    assert res.status_code == 303
    page = api.client.get(f"/postmortems/{pm_id}").text
    assert 'id="pm-reopen-form"' in page and f"/postmortems/{pm_id}/edit" not in page
    assert api.client.get(f"/postmortems/{pm_id}/edit").status_code == 409
    assert "Published" in visible_text(page)


def test_a_viewer_reads_but_may_not_edit(api: Api) -> None:
    """A viewer sees the page and the list, gets 403 on the editor and on its form."""
    ref = _open(api)
    api.login("responder")
    pm_id = _start_from_the_card(api, ref)
    api.client.cookies.clear()
    api.login("viewer")
    page = api.client.get(f"/postmortems/{pm_id}")
    assert page.status_code == 200 and 'id="pm-submit-form"' not in page.text
    assert api.client.get(f"/postmortems/{pm_id}/edit").status_code == 403
    res = api.client.post(
        f"/postmortems/{pm_id}/edit",
        data={"csrf": api.csrf(page.text), "markdown": "# x", "base_version": "1"},
    )
    assert res.status_code == 403
    listing = api.client.get("/postmortems")
    assert listing.status_code == 200 and ref in listing.text


def test_print_page_and_markdown_download(api: Api) -> None:
    """The printable page has no navigation nor inline script and a print button wired by the
    shipped script; the Markdown download is an attachment with the text."""
    ref = _open(api)
    api.login("responder")
    pm_id = _start_from_the_card(api, ref)
    page = api.client.get(f"/postmortems/{pm_id}/print")
    assert page.status_code == 200
    assert "<nav" not in page.text and 'class="site-header"' not in page.text
    assert '<script src="/static/print.js" defer></script>' in page.text
    assert re.search(r"<script>(?!</script>)", page.text) is None
    assert "data-print" in page.text and ref in page.text
    assert "@media print" in api.client.get("/static/pages/postmortems.css").text
    md = api.client.get(f"/postmortems/{pm_id}/export.md")
    assert md.status_code == 200 and md.headers["content-disposition"].startswith("attachment")
    assert ref in md.text


def test_pages_in_portuguese(api: Api) -> None:
    """With pt-BR chosen the card, the page, the editor and the list speak Portuguese."""
    ref = _open(api)
    api.login("responder")
    card = visible_text(_section(page_html(api, ref, "?lang=pt-BR"), "inc-postmortem"))
    assert "Iniciar o postmortem" in card
    pm_id = _start_from_the_card(api, ref)
    page = visible_text(api.client.get(f"/postmortems/{pm_id}").text)
    assert "Rascunho" in page and "Prazo" in page and "Pedir revisão" in page
    editor = visible_text(api.client.get(f"/postmortems/{pm_id}/edit").text)
    assert "Pré-visualizar" in editor and "Salvar" in editor
    listing = visible_text(api.client.get("/postmortems").text)
    assert "Vencem em breve" in listing and "Em revisão" in listing
