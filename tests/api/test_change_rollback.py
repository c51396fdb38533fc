"""What changed, and roll it back: an Argo CD change event on the incident's service gets a
"Roll back" link to the shipped runbook's argocd-rollback step with the change's values filled
in; other changes get none; the step still goes through its guard when requested."""

from __future__ import annotations

import html
import re
from datetime import datetime

from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, page_section, visible_text
from tests.factories.config import GENERIC_KEY, PD_KEY

STEP = "step-release-regression-rollback-argocd-rollback"


def _change(api: Api, source: str, summary: str, **custom: object) -> None:
    res = api.send(
        "/v2/change/enqueue",
        {
            "routing_key": PD_KEY,
            "payload": {"summary": summary, "source": source, "custom_details": custom},
        },
    )
    assert res.status_code == 202, res.text


def _incident_after_changes(api: Api) -> str:
    _change(
        api,
        "argocd",
        "Synced checkout-api to 4f2a9c1",
        app="checkout-api",
        history_id=12,
        previous_history_id=11,
    )
    _change(api, "github", "Merged PR #311", repository="shop/checkout")
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout 5xx", "dedup_key": "c5", "severity": "error"},
    )


def _rollback_links(section: str) -> list[str]:
    return [
        html.unescape(h) for h in re.findall(r'class="inc-rollback-link" href="([^"]+)"', section)
    ]


def test_argocd_change_links_to_its_rollback_step(api: Api, frozen: datetime) -> None:
    """The Argo CD change has one Roll back link to the argocd-rollback step with app and
    revision (the previous history id) filled in; the GitHub change has none; a viewer sees
    the changes but no link."""
    ref = _incident_after_changes(api)
    api.login("responder")
    section = page_section(page_html(api, ref), "inc-changes")
    items = re.findall(r'<li class="inc-change" data-rollback="(yes|no)">(.*?)</li>', section, re.S)
    by_summary = {("argocd" if "checkout-api" in body else "github"): flag for flag, body in items}
    assert by_summary == {"argocd": "yes", "github": "no"}
    [link] = _rollback_links(section)
    assert link == (
        f"/incidents/{ref}/runs?runbook=release-regression-rollback&action=argocd-rollback"
        f"&lang=en&param_app=checkout-api&param_revision=11#{STEP}"
    )
    assert "Roll back" in visible_text(section)
    assert "argocd-rollback" in visible_text(section) and "(mutate)" in visible_text(section)
    api.client.post("/logout", data={"csrf": api.csrf(page_html(api, ref))})
    api.login("viewer")
    viewer_section = page_section(page_html(api, ref), "inc-changes")
    assert "Synced checkout-api to 4f2a9c1" in visible_text(viewer_section)
    assert _rollback_links(viewer_section) == []


def test_rollback_link_opens_the_step_prefilled_and_the_guard_still_applies(
    api: Api, frozen: datetime
) -> None:
    """The link opens the step-run page on that step (not linked to the incident otherwise)
    with the change's values typed in and no error; sending it without typing the command is
    refused (409, nothing queued); typing the command queues it with the change's values."""
    ref = _incident_after_changes(api)
    api.login("responder")
    [link] = _rollback_links(page_section(page_html(api, ref), "inc-changes"))
    page = api.client.get(link.split("#")[0])
    assert page.status_code == 200, page.text
    form = re.search(rf'<form [^>]*id="{STEP}-form".*?</form>', page.text, re.S)
    assert form, "the rollback step's form is on the page"
    assert 'name="param_app" value="checkout-api"' in form.group(0)
    assert 'name="param_revision" value="11"' in form.group(0)
    assert 'class="banner error"' not in page.text
    fields = {
        "csrf": api.csrf(page.text),
        "runbook": "release-regression-rollback",
        "action": "argocd-rollback",
        "lang": "en",
        "param_app": "checkout-api",
        "param_revision": "11",
    }
    refused = api.client.post(f"/incidents/{ref}/runs", data=fields, follow_redirects=False)
    assert refused.status_code == 409
    runs_url = f"/api/v1/incidents/{ref}/runs"
    assert api.client.get(runs_url, headers=api.headers("viewer")).json() == []
    command = re.search(
        r'<pre class="rr-command"><code>(argocd app set.*?)</code></pre>', page.text, re.S
    )
    assert command
    fields["confirm_command"] = html.unescape(command.group(1))
    queued = api.client.post(f"/incidents/{ref}/runs", data=fields, follow_redirects=False)
    assert queued.status_code == 303, queued.text
    [run] = api.client.get(runs_url, headers=api.headers("viewer")).json()
    assert (run["action_id"], run["params"], run["requested_by"]) == (
        "argocd-rollback",
        {"app": "checkout-api", "revision": "11"},
        "responder-u",
    )
    assert run["status"] == "queued"
