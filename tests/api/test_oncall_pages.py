"""The on-call pages through the ASGI app: who is on call, schedules with their timeline and
override forms, policies, silences and maintenance windows; content, time zones, RBAC, and
errors that keep what was typed.

The clock is frozen at 2026-11-22 12:00 UTC (Sunday 09:00 in São Paulo), inside ana's week on
the weekly ``primary`` schedule; bruno takes over at 2026-11-23 12:00 UTC.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from plantao.db import session_scope
from plantao.oncall.models import ScheduleOverride, Silence
from plantao.people import directory
from plantao.people.models import AuditEntry
from tests.api.conftest import Api
from tests.factories.config import apply_config
from tests.factories.oncall import ONCALL
from tests.factories.people import make_user

WINDOW = """maintenance_windows:
  - name: nightly-backup
    recurrence: {every: 1d, start: "02:00", duration: 1h, time_zone: UTC}
    services: [checkout]
"""


def _setup(api: Api, *, extra: str = "") -> None:
    """The on-call document, a manager, a responder of another team only, and the viewer in
    São Paulo's time zone."""
    apply_config(api.factory, ONCALL + extra)
    apply_config(api.factory, "teams: [{slug: web, name: Web}]\n")
    with session_scope(api.factory) as session:
        make_user(session, "manager-u", global_role="manager")
        make_user(session, "outsider-u", team_roles={"web": "responder"})
        viewer = directory.get(session, "viewer-u")
        directory.change(session, viewer, {"time_zone": "America/Sao_Paulo"})


def _page(api: Api, path: str) -> str:
    res = api.client.get(path)
    assert res.status_code == 200, res.text
    text: str = res.text
    return text


def _overrides(api: Api) -> list[ScheduleOverride]:
    with session_scope(api.factory) as session:
        rows = session.scalars(select(ScheduleOverride).order_by(ScheduleOverride.id))
        return list(rows)


def _audit(api: Api, action: str) -> list[AuditEntry]:
    with session_scope(api.factory) as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.scalars(query))


def _override(api: Api, csrf: str, **fields: str) -> tuple[int, str]:
    data = {"csrf": csrf, "kind": "replace", "start": "2026-11-24T10:00", "end": "2026-11-24T12:00"}
    res = api.client.post(
        "/schedules/primary/overrides", data=data | fields, follow_redirects=False
    )
    return res.status_code, res.text


def test_oncall_page_names_who_until_when_in_the_viewers_zone(api: Api, frozen: datetime) -> None:
    """/oncall shows ana on call until Monday 09:00 São Paulo time and bruno next, per team
    (through the payments policy) and per schedule, with <time datetime> in UTC."""
    _setup(api)
    api.login("viewer")
    html = _page(api, "/oncall")
    team = html[html.index('id="team-sre"') : html.index("</article>", html.index('id="team-sre"'))]
    assert "Payments" in team and "Checkout" in team and "Primary" in team
    assert '<strong class="oc-person">ana</strong>' in team
    assert '<time datetime="2026-11-23T12:00:00Z"' in team
    assert "2026-11-23 09:00 -03" in team
    assert '<strong class="oc-person">bruno</strong>' in team
    row = html[html.index('id="schedule-future"') :]
    assert "dora" in row[: row.index("</tr>")] and "2027-06-01 06:00 -03" in row
    assert "America/Sao_Paulo" in html
    assert " style=" not in html


def test_schedule_page_draws_two_weeks_per_layer_and_final(api: Api, frozen: datetime) -> None:
    """The schedule page has a timeline row per layer and a final row, blocks positioned with
    percent x/width attributes (no style attribute), a now marker and the shift list."""
    _setup(api)
    api.login("viewer")
    html = _page(api, "/schedules/primary")
    assert "Layer weekly" in html and "Final" in html
    blocks = re.findall(r'<svg class="tl-block" x="([\d.]+)%" y="\d+" width="([\d.]+)%"', html)
    assert len(blocks) == 6  # ana, bruno, ana in the layer row and again in the final row
    assert blocks[1] == ("9.821", "50.0")  # bruno: Monday 09:00 -03 to the next Monday
    assert 'class="tl-now" x1="2.679%"' in html  # 09:00 of the first day, local midnight
    assert "bruno: 2026-11-23 09:00 -03 – 2026-11-30 09:00 -03" in html
    assert "Shifts as a list (3)" in html
    assert " style=" not in html
    later = _page(api, "/schedules/primary?start=2026-12-06")
    assert "2026-12-06 00:00 -03" in later and 'class="tl-now"' not in later
    listing = _page(api, "/schedules")
    primary = listing[listing.index('id="schedule-primary"') :]
    primary = primary[: primary.index("</article>")]
    assert "Final" in primary and "Layer weekly" not in primary
    assert primary.count('<svg class="tl-block"') == 3


def test_viewer_sees_no_forms_and_their_posts_are_refused(api: Api, frozen: datetime) -> None:
    """A viewer reads schedules and silences without any form; posting one anyway is 403 and
    writes nothing."""
    _setup(api)
    api.login("viewer")
    schedule = _page(api, "/schedules/primary")
    silences = _page(api, "/silences")
    assert "/overrides" not in schedule and "Add an override" not in schedule
    assert 'action="/silences' not in silences
    csrf = api.csrf(schedule)  # the log-out form's token is the session's
    assert _override(api, csrf, user="viewer-u")[0] == 403
    res = api.client.post("/silences", data={"csrf": csrf, "matchers": 'alertname="X"'})
    assert res.status_code == 403
    window = {"csrf": csrf, "services": "checkout", "start": "2026-11-22T10:00"}
    assert api.client.post("/silences/windows", data=window).status_code == 403
    assert _overrides(api) == [] and _audit(api, "override.create") == []


def test_responder_puts_only_themselves_on_call(api: Api, frozen: datetime) -> None:
    """A responder's form offers only themselves; their override is created and audited;
    one for carla is refused; a manager may put carla on call."""
    _setup(api)
    api.login("responder")
    html = _page(api, "/schedules/primary")
    options = re.findall(r'<option value="([^"]*)"', html[html.index('id="oc-user"') :])
    assert options[0] == "responder-u" and "carla" not in options[: options.index("replace")]
    assert "put yourself on call" in html
    csrf = api.csrf(html)
    assert _override(api, csrf, user="carla")[0] == 403
    assert _override(api, csrf, user="responder-u", replaces="bruno")[0] == 303
    [mine] = _overrides(api)
    assert (mine.user, mine.replaces, mine.created_by) == ("responder-u", "bruno", "responder-u")
    # typed in UTC (the responder's zone): 10:00-12:00 UTC on Tuesday
    assert mine.starts_at.isoformat().startswith("2026-11-24T10:00")
    [entry] = _audit(api, "override.create")
    assert (entry.actor, entry.via, entry.object_id) == ("responder-u", "session", str(mine.id))
    assert entry.after is not None and entry.after["user"] == "responder-u"
    page = _page(api, "/schedules/primary")
    assert f'id="override-{mine.id}"' in page and "instead of bruno" in page
    api.client.post("/logout", data={"csrf": csrf})
    api.login("manager")
    manager = _page(api, "/schedules/primary")
    assert 'value="carla"' in manager
    assert _override(api, api.csrf(manager), user="carla", kind="add")[0] == 303
    assert [o.user for o in _overrides(api)] == ["responder-u", "carla"]


def test_responder_of_another_team_cannot_take_a_shift(api: Api, frozen: datetime) -> None:
    """Only a team the schedule pages for counts: a responder of team web sees no form on
    primary (which pages checkout, team sre) and is refused."""
    _setup(api)
    api.client.post(
        "/login",
        data={"handle": "outsider-u", "password": "correct horse battery staple", "next": "/"},
    )
    html = _page(api, "/schedules/primary")
    assert "Add an override" not in html
    assert _override(api, api.csrf(html), user="outsider-u")[0] == 403


def test_override_errors_keep_what_was_typed(api: Api, frozen: datetime) -> None:
    """An end before the start, or an unknown person, re-renders the page (422) with the
    message and the fields as typed; nothing is stored."""
    _setup(api)
    api.login("manager")
    csrf = api.csrf(_page(api, "/schedules/primary"))
    status, html = _override(
        api, csrf, user="carla", kind="add", start="2026-11-25T18:30", end="2026-11-25T08:00"
    )
    assert status == 422
    assert "The end must come after the start." in html and 'role="alert"' in html
    assert 'value="2026-11-25T18:30"' in html and 'value="2026-11-25T08:00"' in html
    assert '<option value="carla" selected>' in html
    assert '<option value="add" selected>' in html
    status, html = _override(api, csrf, user="zed")
    assert status == 422 and "There is no user with that handle." in html
    status, html = _override(api, csrf, user="carla", start="tomorrow")
    assert status == 422 and 'value="tomorrow"' in html
    assert _overrides(api) == []


def test_deleting_overrides_follows_whose_they_are(api: Api, frozen: datetime) -> None:
    """A responder deletes their own override but has no button for (and is refused on)
    someone else's; a manager deletes it; each deletion is audited with what it was."""
    _setup(api)
    api.login("manager")
    assert _override(api, api.csrf(_page(api, "/schedules/primary")), user="carla")[0] == 303
    api.client.post("/logout", data={"csrf": api.csrf(_page(api, "/oncall"))})
    api.login("responder")
    csrf = api.csrf(_page(api, "/schedules/primary"))
    assert _override(api, csrf, user="responder-u")[0] == 303
    carla, mine = _overrides(api)
    html = _page(api, "/schedules/primary")
    assert f"/overrides/{mine.id}/delete" in html and f"/overrides/{carla.id}/delete" not in html
    refused = api.client.post(
        f"/schedules/primary/overrides/{carla.id}/delete", data={"csrf": csrf}
    )
    assert refused.status_code == 403
    done = api.client.post(
        f"/schedules/primary/overrides/{mine.id}/delete",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [o.id for o in _overrides(api)] == [carla.id]
    [entry] = _audit(api, "override.delete")
    assert entry.object_id == str(mine.id) and entry.after is None
    assert entry.before is not None and entry.before["user"] == "responder-u"


def test_policies_page_lists_levels_targets_and_services(api: Api, frozen: datetime) -> None:
    """/policies shows each level with its delay and targets (with who is on call now), the
    repeat, the last resort and the services (with their team) the policy pages."""
    _setup(api)
    api.login("viewer")
    html = _page(api, "/policies")
    policy = html[html.index('id="policy-payments"') :]
    assert "Level 1" in policy and "immediately" in policy
    assert "after 5 min" in policy and "after 30 min" in policy
    assert 'href="/schedules/primary"' in policy and "carla" in policy
    assert "Last resort" in policy and "dora" in policy
    assert "Checkout" in policy and "(SRE)" in policy
    assert "1×" in policy
    assert "<form" not in html[html.index("<main") :]


def test_manager_silences_alerts_and_ends_the_silence(api: Api, frozen: datetime) -> None:
    """A manager creates a silence from matchers and a length; it is listed with its matchers,
    end time in their zone and creator, audited, and ended early from the list."""
    _setup(api)
    with session_scope(api.factory) as session:
        directory.change(
            session, directory.get(session, "manager-u"), {"time_zone": "Europe/Lisbon"}
        )
    api.login("manager")
    csrf = api.csrf(_page(api, "/silences"))
    res = api.client.post(
        "/silences",
        data={
            "csrf": csrf,
            "matchers": 'alertname="DiskFull"\ninstance=~"db-.*"',
            "length": "2h",
            "comment": "disk swap on db-3",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303
    html = _page(api, "/silences")
    listed = html[html.index('id="silences"') :]
    assert "<code>alertname=&#34;DiskFull&#34;</code>" in listed
    assert "2026-11-22 14:00 WET" in listed and "manager-u" in listed
    assert "disk swap on db-3" in listed
    with session_scope(api.factory) as session:
        row = session.scalars(select(Silence)).one()
        silence_id = row.id
    [created] = _audit(api, "silence.create")
    assert created.after is not None and created.after["matchers"][0] == 'alertname="DiskFull"'
    ended = api.client.post(
        f"/silences/{silence_id}/end", data={"csrf": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert 'id="silences"' not in _page(api, "/silences")
    [end] = _audit(api, "silence.end")
    assert end.before is not None and end.before["ended_at"] is None
    assert end.after is not None and end.after["ended_at"] is not None


def test_manager_plans_a_maintenance_window(api: Api, frozen: datetime) -> None:
    """A window for checkout typed in the manager's zone is listed as upcoming and audited; the
    file's recurring window is listed with no end button."""
    _setup(api, extra=WINDOW)
    api.login("manager")
    html = _page(api, "/silences")
    assert "nightly-backup" in html and "change it in plantao.yaml" in html
    res = api.client.post(
        "/silences/windows",
        data={
            "csrf": api.csrf(html),
            "name": "db upgrade",
            "services": ["checkout"],
            "start": "2026-11-23T01:00",
            "end": "2026-11-23T03:00",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    windows = _page(api, "/silences")
    listed = windows[windows.index('id="windows"') :]
    assert "db upgrade" in listed and "upcoming" in listed and "checkout" in listed
    assert '<time datetime="2026-11-23T01:00:00Z"' in listed
    from_file, created = _audit(api, "maintenance_window.create")
    assert (from_file.object_id, from_file.via) == ("nightly-backup", "config")
    assert (created.actor, created.via) == ("manager-u", "session")
    assert created.after is not None and created.after["services"] == ["checkout"]
    with session_scope(api.factory) as session:
        window_id = session.scalars(select(Silence.id).where(Silence.name == "db upgrade")).one()
    assert f"/silences/{window_id}/end" in listed


def test_silence_errors_keep_what_was_typed(api: Api, frozen: datetime) -> None:
    """A malformed matcher, a bad length, or a window without a service re-renders the page
    (422) with the message and the typed text; nothing is stored."""
    _setup(api)
    api.login("manager")
    csrf = api.csrf(_page(api, "/silences"))
    bad = api.client.post(
        "/silences", data={"csrf": csrf, "matchers": "alertname=\nfine", "comment": "keep me"}
    )
    assert bad.status_code == 422
    assert "A label matcher is not valid (2: &#39;fine&#39; is not a matcher" in bad.text
    assert ">alertname=\nfine</textarea>" in bad.text and ">keep me</textarea>" in bad.text
    length = api.client.post(
        "/silences", data={"csrf": csrf, "matchers": 'job="x"', "length": "soon"}
    )
    assert length.status_code == 422 and 'value="soon"' in length.text
    window = api.client.post(
        "/silences/windows",
        data={"csrf": csrf, "name": "upgrade", "start": "2026-11-23T01:00", "end": "x"},
    )
    assert window.status_code == 422 and "Choose at least one service." in window.text
    assert 'value="upgrade"' in window.text
    with session_scope(api.factory) as session:
        assert session.scalars(select(Silence)).all() == []


def test_responder_cannot_silence(api: Api, frozen: datetime) -> None:
    """Silences need a manager: a responder sees no silence form and their post is 403."""
    _setup(api)
    api.login("responder")
    html = _page(api, "/silences")
    assert 'action="/silences"' not in html
    res = api.client.post("/silences", data={"csrf": api.csrf(html), "matchers": 'job="x"'})
    assert res.status_code == 403


def test_pages_in_portuguese(api: Api, frozen: datetime) -> None:
    """?lang=pt-BR puts the on-call pages in Portuguese."""
    _setup(api)
    api.login("manager")
    assert "Por equipe" in _page(api, "/oncall?lang=pt-BR")
    assert "Adicionar substituição" in _page(api, "/schedules/primary")
    assert "Último recurso" in _page(api, "/policies")
    assert "Silenciar alertas" in _page(api, "/silences")


def test_pages_need_login(api: Api) -> None:
    """Anonymous visitors to the on-call pages are sent to log in, and come back after."""
    for path in ("/oncall", "/schedules", "/schedules/primary", "/policies", "/silences"):
        res = api.client.get(path, follow_redirects=False)
        assert res.status_code == 303
        assert res.headers["location"].startswith("/login?next=")
