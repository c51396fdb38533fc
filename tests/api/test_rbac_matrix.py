"""RBAC matrix: every operation of the OpenAPI document called by every kind of caller, and every
web form posted by people who may not use it.

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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
    KNOWN_WRONG,
    ROUTES,
    VARIANTS,
    Call,
    Need,
    World,
)
from tests.factories.config import AM_KEY, apply_config, apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user, token_for

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
