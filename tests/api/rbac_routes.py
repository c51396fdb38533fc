"""The RBAC matrix's table: what each API operation needs, who may call it, and how to call it
with real objects (see ``tests/api/test_rbac_matrix.py``).

A new operation in the OpenAPI document must get a line in ``ROUTES``: its ``Need`` and, when
its handler checks permissions after reading the body, a valid ``body`` (a 422 would hide the
403 the matrix expects). A new web page or form action must match a line of ``PAGE_RULES`` or
``FORM_RULES``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.config import AM_KEY, GENERIC_KEY, GRAFANA_KEY, PD_KEY
from tests.factories.handoffs import matrix_handoff
from tests.factories.payloads import am_alert, am_webhook


class Need(Enum):
    """What an operation needs, in the words of the rules."""

    OPEN = "open: credentials travel in the URL or body (intake keys, feed secrets) or a probe"
    WHOAMI = "any valid token, whatever its scopes: who am I"
    OWN_READ = "any person reading their own things (a token that can read)"
    OWN_WRITE = (
        "any person changing their own things (not with a read-, gate- or intake-only token)"
    )
    READ = "read: every signed-in person with a role, read/respond/admin scopes"
    ACT_B = "respond on team B's incident or schedule: B's responders and managers, admins"
    MANAGE_B = "manage team B's on-call objects (overrides for others, silences, retries)"
    ADMIN = "global admin with an admin-scoped token"
    GATE = "the release gate: a gate-only token or any token that can read"


ANONYMOUS = "anonymous"
CALLERS = (
    ANONYMOUS,
    "viewer",
    "responder_a",
    "responder_b",
    "manager_b",
    "admin",
    "admin_read_token",
    "gate_token",
    "intake_token",
)
_PEOPLE = frozenset({"viewer", "responder_a", "responder_b", "manager_b", "admin"})
ALLOWED: Mapping[Need, frozenset[str]] = {
    Need.OPEN: frozenset(CALLERS),
    Need.WHOAMI: frozenset(CALLERS) - {ANONYMOUS},
    Need.OWN_READ: _PEOPLE | {"admin_read_token"},
    Need.OWN_WRITE: _PEOPLE,
    Need.READ: _PEOPLE | {"admin_read_token"},
    Need.ACT_B: frozenset({"responder_b", "manager_b", "admin"}),
    Need.MANAGE_B: frozenset({"manager_b", "admin"}),
    Need.ADMIN: frozenset({"admin"}),
    Need.GATE: _PEOPLE | {"admin_read_token", "gate_token"},
}

Body = Callable[["World", str], Any]


def future() -> dict[str, str]:
    """Tomorrow, for a day: overrides and silences must lie ahead (and within 90 days)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()}


_serial = itertools.count(1)


@dataclass(frozen=True)
class Call:
    """One way of calling an operation: its path template, need, and how to fill it in."""

    method: str
    path: str
    need: Need
    body: Body | None = None
    params: Mapping[str, Callable[[World, str], str]] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    denied: frozenset[int] = frozenset()  # statuses that also mean "refused" (e.g. 404)
    # Statuses that are an answer past authorization, not an error (a probe reporting trouble).
    answers: frozenset[int] = frozenset()
    label: str = ""


@dataclass
class World:
    """The objects calls point at, and how each caller authenticates."""

    client: TestClient
    factory: sessionmaker[Session]
    tokens: dict[str, str]
    handles: dict[str, str]
    ref: str
    checklist: tuple[int, int] = (0, 0)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == ANONYMOUS:
            return {}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}

    def admin(self, method: str, url: str, body: Any = None) -> Any:
        res = self.client.request(method, url, json=body, headers=self.headers("admin"))
        assert res.status_code < 300, f"{method} {url}: {res.status_code} {res.text}"
        return res.json()

    def prepare(self) -> None:
        made = self.admin(
            "POST", f"/api/v1/incidents/{self.ref}/checklists", {"runbook": "api-error-spike"}
        )
        self.checklist = (made["id"], made["items"][0]["id"])

    def spare_token(self, owner: str) -> str:
        body = {"name": f"spare-{next(_serial)}", "scopes": ["read"], "user": owner}
        return str(self.admin("POST", "/api/v1/tokens", body)["id"])

    def override_id(self) -> str:
        body = {"kind": "add", "user": "ana", **future()}
        return str(self.admin("POST", "/api/v1/schedules/primary/overrides", body)["id"])

    def silence_id(self) -> str:
        body = {
            "name": f"spare-{next(_serial)}",
            "ends_at": future()["end"],
            "services": ["checkout"],
        }
        return str(self.admin("POST", "/api/v1/silences", body)["id"])

    def send(self, call: Call, caller: str) -> Response:
        values = {**DEFAULT_PARAMS, **call.params}
        url = call.path
        for name, value in values.items():
            if "{" + name + "}" in url:
                url = url.replace("{" + name + "}", value(self, caller))
        assert "{" not in url, f"no value for a parameter of {call.path}"
        body = call.body(self, caller) if call.body is not None else None
        res: Response = self.client.request(
            call.method, url, params=dict(call.query), json=body, headers=self.headers(caller)
        )
        return res


def _owner(world: World, caller: str) -> str:
    return world.handles.get(caller, "m-admin")


DEFAULT_PARAMS: dict[str, Callable[[World, str], str]] = {
    "ref": lambda w, _: w.ref,
    "key": lambda _w, _c: AM_KEY,
    "entry_id": lambda _w, _c: "999999",
    "token_id": lambda w, c: w.spare_token(_owner(w, c)),
    "handle": lambda _w, _c: "m-spare",
    "slug": lambda _w, _c: "sre",
    "secret": lambda _w, _c: "no-such-feed",
    "override_id": lambda w, _: w.override_id(),
    "silence_id": lambda w, _: w.silence_id(),
    "rid": lambda _w, _c: "api-error-spike",
    "cid": lambda w, _: str(w.checklist[0]),
    "iid": lambda w, _: str(w.checklist[1]),
    "action": lambda _w, _c: "no-such-step",
    "run_id": lambda _w, _c: "999999",
    "delivery_id": lambda _w, _c: "999999",
}
SCHEDULE = {"slug": lambda _w, _c: "primary"}


def _const(value: Any) -> Body:
    return lambda _w, _c: value


def _key(value: str) -> Callable[[World, str], str]:
    return lambda _w, _c: value


def _new_user(_w: World, _c: str) -> Any:
    return {"handle": f"new-{next(_serial)}", "name": "New Person"}


def _self_override(w: World, c: str) -> Any:
    return {"kind": "add", "user": _owner(w, c), **future()}


ALERTS = _const(am_webhook([am_alert("MatrixIntake")]))
PD_EVENT = {
    "routing_key": PD_KEY,
    "event_action": "trigger",
    "payload": {"summary": "matrix", "source": "matrix", "severity": "info"},
}
PD_CHANGE = {"routing_key": PD_KEY, "payload": {"summary": "matrix", "source": "matrix"}}
GENERIC = _const({"title": "matrix"})
ASSUMPTION = _const({"assumption": "a", "evidence": "b", "signal": "c", "fallback": "d"})
DECLARED = _const({"title": "matrix", "service": "checkout", "severity": "sev4"})
ROLE = {"role": _key("scribe")}


def OVERRIDE_FOR_ANA(_w: World, _c: str) -> Any:  # noqa: N802 - a body, like the constants
    return {"kind": "add", "user": "ana", **future()}


def SILENCE(_w: World, _c: str) -> Any:  # noqa: N802
    return {"name": "matrix", "ends_at": future()["end"], "services": ["checkout"]}


def STAKEHOLDER(_w: World, _c: str) -> Any:  # noqa: N802
    return {
        "scope": "team",
        "scope_slug": "sre",
        "name": f"matrix-{next(_serial)}",
        "kind": "email",
        "address": "cs@example.com",
    }


STATUS_PAGE = {"page_slug": _key("public")}
SPARE_SUB = {
    "subscriber_id": lambda w, c: str(
        w.admin(
            "POST",
            "/api/v1/status-pages/public/webhook-subscribers",
            {"url": f"https://hooks.example.com/{next(_serial)}"},
        )["id"]
    )
}


def STATUS_COMPONENT(_w: World, _c: str) -> dict[str, str]:  # noqa: N802
    return {"slug": f"matrix-{next(_serial)}", "name": "Matrix component"}


SPARE_COMPONENT = {
    "page_slug": _key("public"),
    "component": lambda w, c: str(
        w.admin("POST", "/api/v1/status-pages/public/components", STATUS_COMPONENT(w, c))["slug"]
    ),
}
SPARE_STK = {
    "stakeholder_id": lambda w, c: str(
        w.admin("POST", "/api/v1/stakeholders", STAKEHOLDER(w, c))["id"]
    )
}


def GATE_OVERRIDE(_w: World, _c: str) -> Any:  # noqa: N802
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    return {"service": "checkout", "reason": "matrix", "expires_at": expires.isoformat()}


GATE_OVERRIDES = "/api/v1/release-gate/overrides"
SPARE_GATE = {
    "override_id": lambda w, c: str(w.admin("POST", GATE_OVERRIDES, GATE_OVERRIDE(w, c))["id"])
}
PM = "/api/v1/postmortems/{pm_id}"
#: The world incident's postmortem (started by the admin: 201 once, then 200).
THE_PM = {"pm_id": lambda w, _: str(w.admin("POST", f"/api/v1/incidents/{w.ref}/postmortem")["id"])}
#: The world incident, once its postmortem exists (so reading it is not a 404).
PM_REF = {"ref": lambda w, c: THE_PM["pm_id"](w, c) and w.ref}
ACTION = "/api/v1/actions/{action_ref}"
#: A corrective action of the world incident's postmortem, owned by ana (none of the callers).
AN_ACTION = {
    "action_ref": lambda w, c: str(
        w.admin("POST", f"{PM.format(pm_id=THE_PM['pm_id'](w, c))}/actions", NEW_ACTION(w, c))["id"]
    )
}


def NEW_ACTION(_w: World, _c: str) -> Any:  # noqa: N802 - a body, like the constants
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    return {"title": "matrix", "owner": "ana", "due_date": due, "must_fix": True}


PUBLISH_BODY = {"title": "matrix", "body": "matrix", "components": {}}


def _public_incident(w: World, _c: str) -> str:
    """The world incident's public incident (the admin publishes it the first time)."""
    found = w.admin("GET", f"/api/v1/incidents/{w.ref}/publication")["published"]
    if not found:
        return str(w.admin("POST", f"/api/v1/incidents/{w.ref}/publish", PUBLISH_BODY)["incident"])
    return str(found[0]["id"])


PUBLIC_INCIDENT = {"public_id": _public_incident}
HANDOFF = {"handoff_id": matrix_handoff}
OVERRIDES = "/api/v1/schedules/{slug}/overrides"
COMMS_TEMPLATE = "/api/v1/comms/templates/{name}/{language}"
TEMPLATE = {"name": _key("status_update"), "language": _key("en")}
INCIDENT = "/api/v1/incidents/{ref}"
RUNS = INCIDENT + "/runbooks/{rid}/actions/{action}/runs"
TICK = "/api/v1/me/shift/{schedule}/ticks/{item}"
TICK_PARAMS = {"schedule": _key("primary"), "item": _key("test-page")}
CHECKLIST = "/api/v1/schedules/{slug}/checklist"
CHECKLIST_BODY = {"items": [{"key": "a", "phase": "start", "en": "A", "pt-BR": "A"}]}
TASK = "/api/v1/routine-tasks/{task_id}"
ROUTINE_BODY = {
    "title_en": "Matrix",
    "title_pt-BR": "Matriz",
    "recurrence": {"every": "daily"},
    "team": "sre",
}


def _routine(w: World, _c: str) -> str:
    """A routine of team sre (the admin declares it again after each delete)."""
    w.admin("PUT", "/api/v1/routines/matrix", ROUTINE_BODY)
    return "matrix"


def _routine_task(w: World, c: str) -> str:
    """A fresh task of the sre routine, as the engine would create it."""
    from plantao.db import run_transaction
    from plantao.oncall import routines
    from plantao.oncall.routine_models import RoutineTask

    _routine(w, c)

    def work(s: Session) -> int:
        task = RoutineTask(
            routine_id=routines.get(s, "matrix").id,
            due_at=datetime.now(UTC) - timedelta(seconds=next(_serial)),
            created_at=datetime.now(UTC),
            note="",
        )
        s.add(task)
        s.flush()
        return task.id

    return str(run_transaction(w.factory, work))


_ROUTES = [
    # open: probes, and intake that authenticates by a key in the URL or body
    Call("GET", "/healthz", Need.OPEN),
    Call("GET", "/readyz", Need.OPEN),
    # 503 "lagging": the matrix sends alerts with no engine running; after 30 s the probe says so.
    Call("GET", "/healthz/engine", Need.OPEN, answers=frozenset({503})),
    Call("GET", "/metrics", Need.OPEN),
    Call("POST", "/api/v1/intake/{key}/alertmanager", Need.OPEN, ALERTS),
    Call("POST", "/api/v1/intake/{key}/grafana", Need.OPEN, ALERTS, {"key": _key(GRAFANA_KEY)}),
    Call("POST", "/api/v1/intake/{key}/generic", Need.OPEN, GENERIC, {"key": _key(GENERIC_KEY)}),
    Call("POST", "/v2/enqueue", Need.OPEN, _const(PD_EVENT)),
    Call("POST", "/v2/change/enqueue", Need.OPEN, _const(PD_CHANGE)),
    Call("POST", "/api/v1/heartbeats/{key}", Need.OPEN, params={"key": _key("no-such-beat")}),
    Call("GET", "/ical/{secret}.ics", Need.OPEN),
    # the intake inbox is the installation's plumbing
    Call("GET", "/api/v1/intake/inbox", Need.ADMIN),
    Call("POST", "/api/v1/intake/inbox/retry", Need.ADMIN),
    Call("POST", "/api/v1/intake/inbox/{entry_id}/retry", Need.ADMIN),
    # incidents: reading is open to every signed-in person, acting needs team B
    Call("GET", "/api/v1/incidents", Need.READ),
    Call("GET", INCIDENT, Need.READ),
    # declaring by hand needs the responder role on the service's team (checkout: B)
    Call("POST", "/api/v1/incidents", Need.ACT_B, DECLARED),
    Call("PUT", INCIDENT + "/roles/{role}", Need.ACT_B, _const({"user": "ana"}), ROLE),
    Call("DELETE", INCIDENT + "/roles/{role}", Need.ACT_B, params=ROLE, query={"user": "ana"}),
    Call("POST", INCIDENT + "/acknowledge", Need.ACT_B),
    Call("POST", INCIDENT + "/mitigate", Need.ACT_B),
    Call("POST", INCIDENT + "/resolve", Need.ACT_B),
    Call("POST", INCIDENT + "/reopen", Need.ACT_B),
    Call("POST", INCIDENT + "/close", Need.ACT_B),
    Call("POST", INCIDENT + "/notes", Need.ACT_B, _const({"text": "matrix note"})),
    Call("POST", INCIDENT + "/severity", Need.ACT_B, _const({"severity": "sev2"})),
    Call("POST", INCIDENT + "/snooze", Need.ACT_B, _const({"minutes": 10})),
    Call(
        "POST",
        INCIDENT + "/status-updates",
        Need.ACT_B,
        _const({"status": "investigating", "impact": "matrix impact"}),
    ),
    Call("GET", INCIDENT + "/status-updates", Need.READ),
    Call("POST", INCIDENT + "/visibility", Need.ACT_B, _const({"private": False})),
    Call("GET", INCIDENT + "/escalation", Need.READ),
    Call("GET", INCIDENT + "/similar", Need.READ),
    Call("POST", INCIDENT + "/escalate", Need.ACT_B),
    # responders: paging more people is acting; acknowledging a page is the paged person's own
    Call("GET", INCIDENT + "/responders", Need.READ),
    Call("POST", INCIDENT + "/responders", Need.ACT_B, _const({"schedule": "primary"})),
    Call(
        "POST",
        INCIDENT + "/responders/{handle}/acknowledge",
        Need.OWN_WRITE,
        params={"handle": _owner},
    ),
    Call("POST", INCIDENT + "/join", Need.ACT_B),
    Call("GET", INCIDENT + "/runbooks", Need.READ),
    Call("POST", INCIDENT + "/runbooks/{rid}/confirm", Need.ACT_B),
    Call("POST", INCIDENT + "/runbooks/{rid}/reject", Need.ACT_B),
    Call("GET", INCIDENT + "/checklists", Need.READ),
    Call("POST", INCIDENT + "/checklists", Need.ACT_B, _const({"runbook": "api-error-spike"})),
    Call("POST", INCIDENT + "/checklists/{cid}/items/{iid}/check", Need.ACT_B),
    Call("POST", INCIDENT + "/checklists/{cid}/items/{iid}/uncheck", Need.ACT_B),
    Call("POST", INCIDENT + "/risk", Need.ACT_B, _const({"level": "low", "rationale": "matrix"})),
    Call("POST", INCIDENT + "/assumptions", Need.ACT_B, ASSUMPTION),
    # the setup and close checklists (incident command)
    Call("GET", INCIDENT + "/command-checklists", Need.READ),
    Call(
        "PUT",
        INCIDENT + "/command-checklists/{checklist}/{item}",
        Need.ACT_B,
        _const({"done": True, "value": "public"}),
        {"checklist": _key("setup"), "item": _key("status_page")},
    ),
    Call("POST", RUNS, Need.ACT_B, _const({"params": {}})),
    Call("GET", INCIDENT + "/runs", Need.READ),
    Call("GET", INCIDENT + "/runs/{run_id}", Need.READ),
    Call("POST", INCIDENT + "/runs/{run_id}/approve", Need.ACT_B),
    Call("POST", RUNS + "/{run_id}/approve", Need.ACT_B),
    # the catalog and the library
    Call("GET", "/api/v1/integrations", Need.ADMIN),  # shows intake keys
    Call("GET", "/api/v1/services", Need.READ),
    Call("GET", "/api/v1/severity-matrix", Need.READ),
    Call("GET", "/api/v1/runbooks", Need.READ),
    Call("GET", "/api/v1/runbooks/{rid}", Need.READ),
    Call("GET", "/api/v1/kpis/runbook-coverage", Need.READ),
    # the on-call person's shift, test pages, routines (seed 003 §7, §11)
    Call("GET", "/api/v1/me/shift", Need.OWN_READ),
    Call("PUT", TICK, Need.OWN_WRITE, params=TICK_PARAMS),
    Call("DELETE", TICK, Need.OWN_WRITE, params=TICK_PARAMS),
    Call("POST", "/api/v1/me/test-page", Need.OWN_WRITE),
    Call("GET", "/api/v1/me/test-pages/{page_id}", Need.OWN_READ, params={"page_id": _key("9999")}),
    Call("GET", CHECKLIST, Need.READ, params=SCHEDULE),
    Call("PUT", CHECKLIST, Need.MANAGE_B, _const(CHECKLIST_BODY), SCHEDULE),
    Call("DELETE", CHECKLIST, Need.MANAGE_B, params=SCHEDULE),
    Call("GET", "/api/v1/routines", Need.READ),
    Call("PUT", "/api/v1/routines/{slug}", Need.MANAGE_B, _const(ROUTINE_BODY)),
    Call("DELETE", "/api/v1/routines/{slug}", Need.MANAGE_B, params={"slug": _routine}),
    Call("GET", "/api/v1/routine-tasks", Need.READ),
    Call("POST", TASK + "/done", Need.ACT_B, _const({}), {"task_id": _routine_task}),
    Call("POST", TASK + "/reopen", Need.ACT_B, params={"task_id": _routine_task}),
    # tokens and the person themselves
    Call("GET", "/api/v1/me", Need.WHOAMI),
    Call("POST", "/api/v1/me/logout-everywhere", Need.OWN_WRITE),
    Call("GET", "/api/v1/tokens", Need.OWN_READ),
    Call("POST", "/api/v1/tokens", Need.OWN_WRITE, _const({"name": "matrix", "scopes": ["read"]})),
    Call("DELETE", "/api/v1/tokens/{token_id}", Need.OWN_WRITE),
    # people, teams, audit
    Call("GET", "/api/v1/users", Need.READ),
    Call("POST", "/api/v1/users", Need.ADMIN, _new_user),
    Call("GET", "/api/v1/users/{handle}", Need.READ),
    Call("PATCH", "/api/v1/users/{handle}", Need.ADMIN, _const({"name": "Spare"})),
    Call("GET", "/api/v1/teams", Need.READ),
    Call("GET", "/api/v1/teams/{slug}", Need.READ),
    # a team's admins may change its members too; none of the callers is one
    Call("PUT", "/api/v1/teams/{slug}/members/{handle}", Need.ADMIN, _const({"role": "viewer"})),
    Call("GET", "/api/v1/audit", Need.ADMIN),
    Call("GET", "/api/v1/audit/export", Need.ADMIN),
    # on call
    Call("GET", "/api/v1/schedules", Need.READ),
    Call("GET", "/api/v1/schedules/{slug}/oncall", Need.READ, params=SCHEDULE),
    Call("GET", "/api/v1/schedules/{slug}/shifts", Need.READ, params=SCHEDULE),
    Call("GET", "/api/v1/schedules/{slug}/overrides", Need.READ, params=SCHEDULE),
    # putting someone else on call is a manager's move (yourself: see VARIANTS)
    Call("POST", OVERRIDES, Need.MANAGE_B, OVERRIDE_FOR_ANA, SCHEDULE),
    Call("DELETE", OVERRIDES + "/{override_id}", Need.MANAGE_B, params=SCHEDULE),
    Call("GET", "/api/v1/schedules/{slug}/feed", Need.ADMIN, params=SCHEDULE),  # the feed's secret
    # handoffs: everyone reads; notes and "send now" for the outgoing person (no caller here),
    # a manager of the schedule's service team (B) or an admin
    Call("GET", "/api/v1/handoffs", Need.READ),
    Call("GET", "/api/v1/handoffs/{handoff_id}", Need.READ, params=HANDOFF),
    Call(
        "PATCH",
        "/api/v1/handoffs/{handoff_id}",
        Need.MANAGE_B,
        _const({"notes": "matrix"}),
        HANDOFF,
    ),
    Call("POST", "/api/v1/handoffs/{handoff_id}/send", Need.MANAGE_B, params=HANDOFF),
    Call("GET", "/api/v1/users/{handle}/feed", Need.ADMIN),
    Call("GET", "/api/v1/silences", Need.READ),
    Call("POST", "/api/v1/silences", Need.MANAGE_B, SILENCE),
    Call("POST", "/api/v1/silences/{silence_id}/end", Need.MANAGE_B),
    Call(
        "POST",
        "/api/v1/maintenance/{silence_id}/status-page",
        Need.MANAGE_B,
        _const({"title": "Planned work", "body": "Upgrading.", "components": []}),
    ),
    Call("DELETE", "/api/v1/maintenance/{silence_id}/status-page", Need.MANAGE_B),
    # notifications: contact addresses are personal data; retrying is managing
    Call("GET", "/api/v1/deliveries", Need.ADMIN),
    Call("POST", "/api/v1/deliveries/{delivery_id}/retry", Need.MANAGE_B),
    # stakeholders: addresses are personal data and webhook URLs credentials; team B's
    # stakeholders are B's managers' (global ones an admin's)
    Call("GET", "/api/v1/stakeholders", Need.MANAGE_B),
    Call("POST", "/api/v1/stakeholders", Need.MANAGE_B, STAKEHOLDER),
    Call("DELETE", "/api/v1/stakeholders/{stakeholder_id}", Need.MANAGE_B, params=SPARE_STK),
    # status page subscribers: managers see counts and masked addresses, admins manage webhooks
    Call("GET", "/api/v1/status-pages/{page_slug}/subscribers", Need.MANAGE_B, params=STATUS_PAGE),
    Call(
        "POST",
        "/api/v1/status-pages/{page_slug}/webhook-subscribers",
        Need.ADMIN,
        lambda _w, _c: {"url": f"https://hooks.example.com/{next(_serial)}"},
        STATUS_PAGE,
    ),
    Call("DELETE", "/api/v1/status-subscribers/{subscriber_id}", Need.ADMIN, params=SPARE_SUB),
    # status pages and components: everyone reads them, admins change them
    Call("GET", "/api/v1/status-pages", Need.READ),
    Call("GET", "/api/v1/status-pages/{page_slug}", Need.READ, params=STATUS_PAGE),
    Call(
        "PUT",
        "/api/v1/status-pages/{page_slug}/branding",
        Need.ADMIN,
        _const({"name": "Status"}),
        STATUS_PAGE,
    ),
    Call("GET", "/api/v1/status-pages/{page_slug}/components", Need.READ, params=STATUS_PAGE),
    Call(
        "POST",
        "/api/v1/status-pages/{page_slug}/components",
        Need.ADMIN,
        STATUS_COMPONENT,
        STATUS_PAGE,
    ),
    Call(
        "PATCH",
        "/api/v1/status-pages/{page_slug}/components/{component}",
        Need.ADMIN,
        _const({"name": "Renamed"}),
        SPARE_COMPONENT,
    ),
    Call(
        "DELETE",
        "/api/v1/status-pages/{page_slug}/components/{component}",
        Need.ADMIN,
        params=SPARE_COMPONENT,
    ),
    # message templates: everyone reads them, managers and admins change them; a preview reads
    Call("GET", "/api/v1/comms/templates", Need.READ),
    Call("GET", COMMS_TEMPLATE, Need.READ, params=TEMPLATE),
    Call(
        "PUT",
        COMMS_TEMPLATE,
        Need.MANAGE_B,
        _const({"subject": "{{ incident.ref }}", "body": "x"}),
        TEMPLATE,
    ),
    Call("DELETE", COMMS_TEMPLATE, Need.MANAGE_B, params=TEMPLATE),
    Call("POST", INCIDENT + "/messages/preview", Need.READ, _const({"template": "status_update"})),
    # the release gate: a pipeline's gate-only token asks; overrides are an admin's
    Call("GET", "/api/v1/release-gate", Need.GATE, query={"service": "checkout"}),
    Call("GET", "/api/v1/release-gate/decisions", Need.READ),
    Call("GET", "/api/v1/reviews/weekly", Need.READ, query={"week": "2026-W49"}),
    Call("GET", "/api/v1/reviews/weekly.md", Need.READ),
    # KPIs: aggregates, incidents named by id only; everyone who reads
    Call("GET", "/api/v1/kpis", Need.READ),
    Call("GET", "/api/v1/kpis/response", Need.READ),
    Call("GET", "/api/v1/kpis/{section}", Need.READ, params={"section": lambda w, _: "routines"}),
    Call("GET", GATE_OVERRIDES, Need.READ),
    Call("POST", GATE_OVERRIDES, Need.ADMIN, GATE_OVERRIDE),
    Call("DELETE", GATE_OVERRIDES + "/{override_id}", Need.ADMIN, params=SPARE_GATE),
    Call("GET", "/api/v1/business-calendars", Need.READ),
    # postmortems: reading is reading the incident, changing it acting on it; a review is the
    # requested reviewer's own (nobody is asked in this world: 409 past authorization)
    Call("POST", INCIDENT + "/postmortem", Need.ACT_B),
    Call("GET", INCIDENT + "/postmortem", Need.READ, params=PM_REF),
    Call("GET", "/api/v1/postmortems", Need.READ),
    Call("GET", PM, Need.READ, params=THE_PM),
    Call("PATCH", PM, Need.ACT_B, _const({"root_cause": "capacity"}), THE_PM),
    Call("GET", PM + "/versions", Need.READ, params=THE_PM),
    Call("GET", PM + "/versions/{number}", Need.READ, params={**THE_PM, "number": _key("1")}),
    # an unknown reviewer: 422 past authorization, so the world stays a draft nobody reviews
    Call("POST", PM + "/submit", Need.ACT_B, _const({"reviewers": ["m-nobody"]}), THE_PM),
    Call("POST", PM + "/reviews", Need.OWN_WRITE, _const({"decision": "approve"}), THE_PM),
    Call("POST", PM + "/publish", Need.ACT_B, params=THE_PM),
    Call("POST", PM + "/reopen", Need.ACT_B, params=THE_PM),
    Call("GET", PM + "/export.md", Need.READ, params=THE_PM),
    # corrective actions: reading is reading the incident, adding and editing acting on it (the
    # owner may also change the status: ana, none of the callers)
    Call("POST", PM + "/actions", Need.ACT_B, NEW_ACTION, THE_PM),
    Call("GET", PM + "/actions", Need.READ, params=THE_PM),
    Call("GET", PM + "/suggestions", Need.READ, params=THE_PM),
    Call("GET", "/api/v1/actions", Need.READ),
    Call("GET", ACTION, Need.READ, params=AN_ACTION),
    Call("PATCH", ACTION, Need.ACT_B, _const({"status": "in_progress"}), AN_ACTION),
    # the status page: reading is reading the incident; publishing is its Comms Lead's or IC's
    # (nobody's here) or a manager's of its team (a second publication: 409 past authorization)
    Call("POST", INCIDENT + "/publish", Need.MANAGE_B, _const(PUBLISH_BODY)),
    Call("GET", INCIDENT + "/publication", Need.READ),
    Call("POST", INCIDENT + "/publication/dismiss", Need.MANAGE_B, _const({"page": "public"})),
    Call("GET", "/api/v1/public-incidents", Need.READ),
    Call("GET", "/api/v1/public-incidents/{public_id}", Need.READ, params=PUBLIC_INCIDENT),
    Call(
        "POST",
        "/api/v1/public-incidents/{public_id}/updates",
        Need.MANAGE_B,
        _const({"status": "monitoring", "body": "matrix"}),
        PUBLIC_INCIDENT,
    ),
]  # fmt: skip
ROUTES: dict[tuple[str, str], Call] = {(c.method, c.path): c for c in _ROUTES}
assert len(ROUTES) == len(_ROUTES), "an operation is classified twice"

VARIANTS = [
    Call("GET", "/api/v1/tokens", Need.ADMIN, query={"all": "true"}, label=" ?all=true"),
    Call(
        "POST",
        "/api/v1/tokens",
        Need.ADMIN,
        _const({"name": "matrix", "scopes": ["read"], "user": "m-spare"}),
        label=" for another person",
    ),
    Call(
        "POST",
        "/api/v1/tokens",
        Need.ADMIN,  # only an admin's token may carry the admin scope
        _const({"name": "matrix", "scopes": ["admin"]}),
        label=" with the admin scope",
    ),
    Call(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        Need.ADMIN,
        params={"token_id": lambda w, _: w.spare_token("m-spare")},
        denied=frozenset({404}),  # someone else's token is not found, not forbidden
        label=" of another person",
    ),
    Call(
        "POST",
        OVERRIDES,
        Need.ACT_B,
        _self_override,
        SCHEDULE,
        label=" putting yourself on call",
    ),
]

#: (method, path, caller) whose answer disagrees with the rules today, with why; reported to
#: the lead. Delete an entry once its route is fixed (a test says when).
KNOWN_WRONG: dict[tuple[str, str, str], str] = {}


class Form(Enum):
    """What a web form (or page) needs, as seen by a viewer."""

    SELF = "any signed-in person, on their own session or things"
    OTHERS_TOKEN = "revoking a token: someone else's is refused (403) or not found (404)"
    BULK = "a bulk action: answers with a per-incident summary; must change nothing it may not"
    DENY = "needs more than a viewer has: 403"
    READ = "a page every signed-in person reads"


#: Every web form action (first match wins); an action no rule matches fails the walk.
FORM_RULES: list[tuple[str, Form]] = [
    (r"^/logout(/everywhere)?$", Form.SELF),
    (r"^/tokens$", Form.SELF),
    (r"^/tokens/\d+/revoke$", Form.OTHERS_TOKEN),
    (r"^/incidents/[^/]+/pending/discard$", Form.SELF),
    (r"^/incidents/bulk$", Form.BULK),
    (r"^/incidents/new$", Form.DENY),  # declaring needs a responder role
    (r"^/incidents/[^/]+/.+$", Form.DENY),
    (r"^/schedules/[^/]+/overrides(/\d+/delete)?$", Form.DENY),
    (r"^/silences(/windows|/\d+/end)?$", Form.DENY),
    (r"^/deliveries/\d+/retry$", Form.DENY),
    (r"^/stakeholders(/\d+/delete)?$", Form.DENY),
    (r"^/inbox/(retry|\d+/retry)$", Form.DENY),
    (r"^/users(/[^/]+/(role|enable|disable))?$", Form.DENY),
    (r"^/teams/[^/]+/members$", Form.DENY),
    (r"^/settings/[\w-]+$", Form.DENY),
    (r"^/services/[^/]+/release-gate/overrides(/\d+/revoke)?$", Form.DENY),  # admins
    (r"^/admin/templates/[\w-]+/[\w-]+(/reset)?$", Form.DENY),  # managers, admins
    (r"^/postmortems/\d+/.+$", Form.DENY),  # acting on the incident; a review: the reviewer's
    (r"^/actions/[^/]+$", Form.DENY),  # a corrective action: its incident's responders, its owner
    (r"^/admin/status-pages/.+$", Form.DENY),  # admins: status page components, branding
    (r"^/admin/status-subscribers/.+$", Form.DENY),  # admins: webhook subscribers
    (r"^/handoffs/\d+/(notes|send)$", Form.DENY),  # outgoing person, team managers, admins
    (r"^/shift/(test-page|[^/]+/ticks/[^/]+)$", Form.SELF),  # your own shift and test page
    (r"^/routine-tasks/\d+/done$", Form.DENY),  # the assignee's, or the team's responders
]
#: Every page an admin reaches, as a viewer sees it; a page no rule matches fails the walk.
PAGE_RULES: list[tuple[str, Form]] = [
    (r"^/(audit|settings|inbox)(/|$)", Form.DENY),  # admin
    (r"^/incidents/new$", Form.DENY),  # declaring needs a responder role somewhere
    (r"^/deliveries(/|$)", Form.DENY),  # managers: contact addresses, retries
    (r"^/stakeholders(/|$)", Form.DENY),  # managers: addresses, webhook hosts
    (r"^/admin/templates(/|$)", Form.DENY),  # managers: message templates
    (r"^/admin/status-pages(/|$)", Form.DENY),  # admins: status pages
    (r"^/admin/status-subscribers(/|$)", Form.DENY),  # admins: subscriber counts, webhooks
    (r"^/reviews/weekly(\.md)?$", Form.READ),  # the weekly operational review
    (r"^/(shift|routines)$", Form.READ),  # my shift (checklist, test page, tasks); routines
    (r"^/kpis(/|$)", Form.READ),  # KPIs, charts and their CSV/JSON downloads
    (r"^/handoffs(/\d+)?$", Form.READ),  # shift handoffs
    (
        r"^/$|^/(incidents|oncall|policies|schedules|silences|services|heartbeats|runbooks"
        r"|tokens|users|teams)(/|$)",
        Form.READ,
    ),
    (r"^/postmortems/\d+/edit$", Form.DENY),  # editing needs the responder role on its team
    (r"^/postmortems(/|$)", Form.READ),
    (r"^/actions(/|$)", Form.READ),  # corrective actions
]
