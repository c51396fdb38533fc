"""RBAC matrix: every operation of the OpenAPI document called by every kind of caller, and every
web form and page an admin can reach, used by people who may not.

Each operation is classified in ``ROUTES`` by what it needs (see ``Need``); an operation of the
document that the table does not classify fails the run, so a new route must be classified here
before it lands. The callers (``CALLERS``) are: nobody (no token), a viewer, a responder of team A
(alpha) acting on an incident of team B (sre), a responder and a manager of team B, an admin, and
three tokens of that admin narrowed by their scopes: read only, gate only, intake only. What each
may do is ``ALLOWED`` below, written from the rules (issue 10 and ``plantao.auth.roles``), not
computed by the code under test. "Allowed" means the call got past authorization: any answer but
401/403 (a 404 or 409 from the object's state is fine) and never a 5xx; "denied" means exactly 403
(401 for nobody).

Routes whose protection disagrees with the rules today are listed in ``KNOWN_WRONG`` with the
reason; they are reported to the lead and excluded from the matrix, and the matrix fails once one
of them answers right, so the entry is removed.

The web walk logs in as the admin, follows same-site links from ``/`` (bounded), and collects
every page and ``<form method=post>``. Each page is then read, and each form posted with what a
person would submit (the viewer's own CSRF token), by a viewer (403 unless ``FORM_RULES`` /
``PAGE_RULES`` say the form is their own business), by team A's responder on team B's incident
(403), and by nobody (sent to the login page). Nothing the refused posts tried may show on the
incident's timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.config import Settings
from plantao.db import session_scope
from tests.api.rbac_routes import (
    ALLOWED,
    ANONYMOUS,
    CALLERS,
    FORM_RULES,
    KNOWN_WRONG,
    PAGE_RULES,
    ROUTES,
    VARIANTS,
    Call,
    Form,
    Need,
    World,
)
from tests.factories.config import AM_KEY, apply_config, apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user, token_for
from tests.factories.web_forms import Form as WebForm
from tests.factories.web_forms import FormParser, crawl, parse

WORLD = """
version: 1
teams: [{slug: sre, name: SRE}, {slug: alpha, name: Alpha}]
users: [{handle: ana, name: Ana}, {handle: bruno, name: Bruno}]
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: pay}
schedules:
  - slug: primary
    name: Primary
    layers:
      - {name: weekly, rotation: {type: weekly, start: 2026-11-16, participants: [ana, bruno]}}
escalation_policies:
  - {slug: pay, name: Pay, steps: [{delay: 0m, targets: [{schedule: primary}]}]}
"""
#: Who holds which token: (handle, global role, {team: role}, token scopes).
PEOPLE = {
    # A viewer's token carries every scope a browser session has: only the role limits it.
    "viewer": ("m-viewer", "viewer", {}, ["read", "respond"]),
    "responder_a": ("m-resp-a", "none", {"alpha": "responder"}, ["respond"]),
    "responder_b": ("m-resp-b", "none", {"sre": "responder"}, ["respond"]),
    "manager_b": ("m-mgr-b", "none", {"sre": "manager"}, ["respond"]),
    "admin": ("m-admin", "admin", {}, ["admin"]),
    "admin_read_token": ("m-admin", "admin", {}, ["read"]),
    "gate_token": ("m-admin", "admin", {}, ["gate"]),
    "intake_token": ("m-admin", "admin", {}, ["intake"]),
}


@dataclass
class Matrix:
    client: TestClient
    factory: sessionmaker[Session]
    world: World


def settings_for(db_url: str) -> Settings:
    """Rate limits off: one client makes hundreds of refused calls on purpose."""
    return Settings(
        database_url=db_url, env="test", base_url="http://plantao.test", rate_limit_enabled=False
    )


@pytest.fixture
def matrix(db_url: str, engine: Engine, factory: sessionmaker[Session]) -> Iterator[Matrix]:
    """The app on the standard config plus team alpha, a schedule paging for sre, the people of
    ``PEOPLE`` with their tokens, and one incident of sre with a checklist."""
    apply_standard(factory)
    apply_config(factory, WORLD)
    tokens: dict[str, str] = {}
    with session_scope(factory) as session:
        for caller, (handle, role, team_roles, scopes) in PEOPLE.items():
            # no passwords (argon2 is slow on purpose): the web walk sets the few it needs
            user = make_user(
                session, handle, global_role=role, team_roles=team_roles, password=None
            )
            tokens[caller] = token_for(session, user, scopes)
        make_user(session, "m-spare", global_role="viewer", password=None)
    app = create_app(settings_for(db_url), engine=engine)
    with TestClient(app) as client:
        res = client.post(
            f"/api/v1/intake/{AM_KEY}/alertmanager", json=am_webhook([am_alert("Matrix")])
        )
        assert res.status_code == 202, res.text
        drain(factory)
        world = World(
            client=client,
            factory=factory,
            tokens=tokens,
            handles={caller: spec[0] for caller, spec in PEOPLE.items()},
            ref=latest_incident(factory),
        )
        world.prepare()
        yield Matrix(client=client, factory=factory, world=world)


def outcome(status: int, call: Call) -> str:
    """'allowed', 'denied' (401/403, or a denial status the call declares) or 'error'."""
    if status in call.answers:
        return "allowed"
    if status >= 500:
        return "error"
    if status in (401, 403) or status in call.denied:
        return "denied"
    return "allowed"


def expected(call: Call, caller: str) -> str:
    return "allowed" if caller in ALLOWED[call.need] else "denied"


def run(m: Matrix, call: Call, caller: str) -> tuple[int, str]:
    res = m.world.send(call, caller)
    return res.status_code, res.text[:200]


def every_call() -> list[Call]:
    return [*ROUTES.values(), *VARIANTS]


def test_every_operation_is_classified(matrix: Matrix) -> None:
    """The table classifies exactly the operations of /openapi.json: none missing, none stale."""
    spec = matrix.client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert sorted(documented - ROUTES.keys()) == [], "classify these routes in rbac_routes.ROUTES"
    assert sorted(ROUTES.keys() - documented) == [], "these classified routes no longer exist"


def walk(m: Matrix, caller: str) -> list[str]:
    """What ``caller`` gets wrong: calls answered against the rules, and KNOWN_WRONG entries
    that have become right."""
    wrong = []
    known = {(m_, p) for m_, p, c in KNOWN_WRONG if c == caller}
    still_wrong: dict[tuple[str, str], bool] = dict.fromkeys(known, False)
    for call in every_call():
        status, body = run(m, call, caller)
        got, want = outcome(status, call), expected(call, caller)
        if caller == ANONYMOUS and want == "denied" and status != 401:
            got = f"not 401 ({status})"
        if (call.method, call.path) in known:
            still_wrong[(call.method, call.path)] |= got != want
        elif got != want:
            wrong.append(
                f"{caller}: {call.method} {call.path}{call.label}: {status} {got}, want {want}: "
                + body
            )
    wrong += [
        f"{caller}: {m_} {p} now answers right: remove it from KNOWN_WRONG"
        for (m_, p), bad in sorted(still_wrong.items())
        if not bad
    ]
    return wrong


def test_matrix(matrix: Matrix) -> None:
    """Every operation answers every caller as the rules say: allowed past authorization, or
    401/403; never a server error. One walk per caller on one world (nothing a caller does
    changes another caller's rights: only spare objects are revoked, renamed or ended)."""
    wrong = [line for caller in CALLERS for line in walk(matrix, caller)]
    assert len(every_call()) >= 70
    assert wrong == [], "\n".join(wrong)


def test_need_table_covers_every_caller() -> None:
    """Every need says which callers it allows, naming only known callers."""
    assert set(ALLOWED) == set(Need)
    for allowed in ALLOWED.values():
        assert allowed <= set(CALLERS)
    assert set(PEOPLE) | {ANONYMOUS} == set(CALLERS)


ORIGIN = "http://testserver"
#: What a viewer's post of each kind of form must answer (kinds not listed must work).
REFUSED: dict[Form | None, set[int]] = {Form.DENY: {403}, Form.OTHERS_TOKEN: {403, 404}}


def rule(rules: list[tuple[str, Form]], path: str) -> Form | None:
    return next((kind for pattern, kind in rules if re.search(pattern, path)), None)


def log_in(m: Matrix, handle: str) -> str:
    """A fresh browser session for ``handle``; its CSRF token."""
    m.client.cookies.clear()
    res = m.client.post(
        "/login", data={"handle": handle, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert res.status_code == 303, res.text[:300]
    match = re.search(r'name="csrf" value="([^"]+)"', m.client.get("/").text)
    assert match, "no CSRF token on the list page"
    return match.group(1)


def admin_walk(m: Matrix) -> dict[str, FormParser]:
    """Every page the admin reaches from /, with its post forms."""
    with session_scope(m.factory) as session:
        for handle in ("m-admin", "m-viewer", "m-resp-a"):
            make_user(session, handle, password=PASSWORD)
    m.world.override_id()  # so the schedule page offers to delete one
    m.world.silence_id()  # and the silences page to end one
    log_in(m, "m-admin")
    pages = crawl(lambda path: m.client.get(path, follow_redirects=False), "/", origin=ORIGIN)
    assert "/" in pages and f"/incidents/{m.world.ref}" in pages and "/runbooks" in pages
    return pages


def own_copy(m: Matrix, form: WebForm) -> WebForm | None:
    """The same form as the signed-in person's own page shows it, or None when their page has
    no such form."""
    res = m.client.get(urlsplit(form.page).path, follow_redirects=False)
    if res.status_code != 200:
        return None
    copies = [f for f in parse(form.page, res.text).forms if f.action == form.action]
    return copies[0] if copies else None


def timeline(m: Matrix) -> tuple[str, int]:
    got = m.world.admin("GET", f"/api/v1/incidents/{m.world.ref}")
    return got["status"], len(got["timeline"])


def to_login(status: int, location: str) -> bool:
    return status in (401, 403) or (status == 303 and location.startswith("/login"))


def test_web_pages_as_a_viewer_and_as_nobody(matrix: Matrix) -> None:
    """Every page the admin reaches is shown to a viewer or refused with 403 as PAGE_RULES
    say, and sends nobody to the login page."""
    pages = sorted(admin_walk(matrix))
    unclassified = [p for p in pages if rule(PAGE_RULES, p) is None]
    assert unclassified == [], "classify these pages in rbac_routes.PAGE_RULES"
    assert len(pages) >= 12, pages
    wrong = []
    log_in(matrix, "m-viewer")
    for path in pages:
        want = 403 if rule(PAGE_RULES, path) is Form.DENY else 200
        status = matrix.client.get(path, follow_redirects=False).status_code
        if status != want:
            wrong.append(f"viewer GET {path}: {status}, want {want}")
    matrix.client.cookies.clear()
    for path in pages:
        res = matrix.client.get(path, follow_redirects=False)
        if not to_login(res.status_code, res.headers.get("location", "")):
            wrong.append(f"nobody GET {path}: {res.status_code}, want the login page")
    assert wrong == [], "\n".join(wrong)


def test_web_forms_refuse_who_may_not_use_them(matrix: Matrix) -> None:
    """Every post form the admin sees, submitted by a viewer, answers 403 unless it is their
    own business; team A's responder gets 403 on team B's incident forms; nobody is sent to
    log in; and the incident's timeline shows none of it."""
    pages = admin_walk(matrix)
    forms = {urlsplit(f.action).path: f for page in pages.values() for f in page.forms}
    kinds = {action: rule(FORM_RULES, action) for action in forms}
    assert sorted(a for a, kind in kinds.items() if kind is None) == [], (
        "classify these form actions in rbac_routes.FORM_RULES"
    )
    incident_forms = [a for a in forms if a.startswith(f"/incidents/{matrix.world.ref}/")]
    assert len(forms) >= 15 and len(incident_forms) >= 8, sorted(forms)
    before = timeline(matrix)
    wrong = []

    owners = {
        f"/tokens/{t['id']}/revoke": t["user"]
        for t in matrix.world.admin("GET", "/api/v1/tokens?all=true")
    }
    csrf = log_in(matrix, "m-viewer")
    for action, admins_form in sorted(forms.items(), key=lambda item: kinds[item[0]] is Form.SELF):
        kind = kinds[action]
        if kind is Form.OTHERS_TOKEN and owners.get(action) == "m-viewer":
            kind = Form.SELF
        # their own business: the form as their own page offers it (their choices, not the admin's)
        form = (own_copy(matrix, admins_form) if kind is Form.SELF else None) or admins_form
        res = matrix.client.post(action, data=form.data(csrf), follow_redirects=False)
        status = res.status_code
        refused = REFUSED.get(kind)
        if refused is not None and status not in refused:
            wrong.append(f"viewer POST {action}: {status}, want {sorted(refused)}")
        elif refused is None and (status >= 500 or status in (401, 403)):
            wrong.append(f"viewer POST {action} ({kind}): {status}, want it to work")
        if action.startswith("/logout"):
            csrf = log_in(matrix, "m-viewer")

    csrf = log_in(matrix, "m-resp-a")
    for action in incident_forms:
        if kinds[action] is Form.SELF:
            continue
        res = matrix.client.post(action, data=forms[action].data(csrf), follow_redirects=False)
        if res.status_code != 403:
            wrong.append(f"team A responder POST {action}: {res.status_code}, want 403")

    matrix.client.cookies.clear()
    for action, form in forms.items():
        res = matrix.client.post(action, data=form.data(), follow_redirects=False)
        location = res.headers.get("location", "")
        if action.startswith("/logout"):
            ok = res.status_code < 500
        else:
            ok = to_login(res.status_code, location)
        if not ok:
            wrong.append(f"nobody POST {action}: {res.status_code} {location}, want the login page")

    assert wrong == [], "\n".join(wrong)
    assert timeline(matrix) == before, "a refused form changed the incident"
