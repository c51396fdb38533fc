"""The "my shift" web page: checklist ticks by form, the test page and its result, routine
tasks marked done, refusals rendered with the reason, both languages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from plantao import clock
from plantao.db import run_transaction
from plantao.notify.specs import ContactMethodSpec
from plantao.oncall import routines
from plantao.oncall.routine_models import SelfTestPage
from tests.api.conftest import Api
from tests.api.test_shift_routines_api import DESK, ROUTINE
from tests.factories.config import apply_config
from tests.factories.notify import give_contacts


def _shift_page(api: Api, query: str = "") -> str:
    res = api.client.get(f"/shift{query}")
    assert res.status_code == 200, res.text
    return str(res.text)


def test_signed_out_is_sent_to_log_in(api: Api) -> None:
    """Nobody signed in: the page redirects to the login page that comes back to it."""
    res = api.client.get("/shift", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login?next=/shift"


def test_checklist_ticked_and_unticked_by_form(api: Api, frozen: datetime) -> None:
    """The on-call person sees the default checklist, ticks one item, then takes it back."""
    apply_config(api.factory, DESK)
    api.login("responder")
    html = _shift_page(api)
    assert "Desk" in html and "0 of 20 done" in html
    assert "Send yourself a test page" in html
    csrf = api.csrf(html)
    res = api.client.post(
        "/shift/desk/ticks/calendar",
        data={"csrf": csrf, "action": "tick"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/shift#item-desk-calendar"
    html = _shift_page(api)
    assert "1 of 20 done" in html
    item = re.search(r'<li id="item-desk-calendar" class="sh-item sh-ticked">', html)
    assert item is not None
    api.client.post("/shift/desk/ticks/calendar", data={"csrf": csrf, "action": "untick"})
    assert "0 of 20 done" in _shift_page(api)


def test_test_page_form_then_refused_within_the_minute(api: Api, frozen: datetime) -> None:
    """The form sends one test page (result pending shown); a second within a minute renders
    the page with the 409 reason and stores nothing."""
    give_contacts(
        api.factory, [ContactMethodSpec("mail", "email", "r@example.com")], handle="responder-u"
    )
    api.login("responder")
    csrf = api.csrf(_shift_page(api))
    res = api.client.post("/shift/test-page", data={"csrf": csrf}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/shift?sent=1#test-page"
    html = _shift_page(api, "?sent=1")
    assert "Test page sent" in html
    assert '<span class="status pending">pending</span>' in html and ">mail<" in html
    again = api.client.post("/shift/test-page", data={"csrf": csrf})
    assert again.status_code == 409 and "try again in 60 s" in again.text
    with api.factory() as s:
        assert s.scalar(select(func.count()).select_from(SelfTestPage)) == 1


def test_routine_task_done_by_form_in_portuguese(api: Api, frozen: datetime) -> None:
    """The assignee sees the task in Portuguese and marks it done; it moves to 'done'."""
    apply_config(api.factory, DESK)
    res = api.client.put(
        "/api/v1/routines/alert-review", json=ROUTINE, headers=api.headers("admin")
    )
    assert res.status_code == 200, res.text
    clock.advance(timedelta(minutes=30))
    run_transaction(api.factory, routines.create_due_tasks)
    api.login("responder")
    html = _shift_page(api, "?lang=pt-BR")
    assert "Meu turno" in html and "Revisar os alertas" in html
    [task_id] = re.findall(r'action="/routine-tasks/(\d+)/done"', html)
    res = api.client.post(
        f"/routine-tasks/{task_id}/done",
        data={"csrf": api.csrf(html), "note": "feito"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    html = _shift_page(api)
    assert "Nenhuma tarefa de rotina esperando por você." in html
    assert "Feitas recentemente" in html and "responder-u" in html


def test_routines_page_shows_rules_and_task_states(api: Api, frozen: datetime) -> None:
    """The routines page says the rule in words, the next due time, and each task's state as
    the KPI counts it (done on time, late, open), in both languages."""
    apply_config(api.factory, DESK)
    res = api.client.put(
        "/api/v1/routines/alert-review", json=ROUTINE, headers=api.headers("admin")
    )
    assert res.status_code == 200, res.text
    api.login("viewer")
    assert "No routine task is waiting for you." in api.client.get("/routines").text
    for _ in range(3):  # three daily tasks: 22, 23 and 24 November
        clock.advance(timedelta(minutes=30))
        run_transaction(api.factory, routines.create_due_tasks)
        clock.advance(timedelta(hours=23, minutes=30))
    tasks = run_transaction(
        api.factory, lambda s: [t.id for t, _ in routines.tasks(s)]
    )  # newest first
    run_transaction(api.factory, lambda s: routines.mark_done(s, tasks[2], actor="ana"))
    api.login("viewer")  # three days later: the first session has expired
    html = api.client.get("/routines").text
    assert "every day at 09:30 (America/Sao_Paulo)" in html
    assert "Next due" in html and "2026-11-25" in html
    states = re.findall(r'<span class="status (ok|overdue|pending)">([^<]+)</span>', html)
    assert states == [("pending", "open"), ("overdue", "late"), ("overdue", "late")]
    html = api.client.get("/routines?lang=pt-BR").text
    assert "todo dia às 09:30 (America/Sao_Paulo)" in html and "atrasada" in html
    assert "0 %" in html  # one late done, one late open: 0 of 2 finished on time
