"""Services and heartbeat monitors: who owns what, who gets paged, where alerts come in.

Every signed-in person reads them. An intake URL carries the integration's key (a sender needs
nothing else to post alerts), so only admins see it, masked until revealed, with a copy button.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plantao.api.deps import SessionDep
from plantao.catalog import service as catalog_service
from plantao.oncall import service_overview
from plantao.web import admin_common, gate_pages

router = APIRouter(include_in_schema=False)
router.include_router(gate_pages.router)  # /services/{slug}/release-gate

MASK = "••••••••"
#: The URL path of each integration kind's endpoint (PagerDuty's carries the key in the body).
_PATHS = {"alertmanager": "alertmanager", "grafana": "grafana", "generic": "generic"}


def intake_url(base_url: str, kind: str, key: str) -> str:
    urls = catalog_service.intake_urls(base_url, key)
    return urls["pagerduty_events_v2"] if kind == "pagerduty" else urls[_PATHS[kind]]


def masked(url: str, key: str) -> str:
    return url.replace(key, MASK)


@router.get("/services", response_class=HTMLResponse, response_model=None)
def services_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    base_url = request.app.state.settings.base_url
    return admin_common.page(
        request,
        "admin/services.html",
        principal,
        services=service_overview.services(session),
        intake_url=lambda kind, key: intake_url(base_url, kind, key),
        masked=masked,
        mask=MASK,
    )


@router.get("/heartbeats", response_class=HTMLResponse, response_model=None)
def heartbeats_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    base = request.app.state.settings.base_url.rstrip("/")
    return admin_common.page(
        request,
        "admin/heartbeats.html",
        principal,
        heartbeats=service_overview.heartbeats(session),
        beat_url=lambda key: f"{base}/api/v1/heartbeats/{key}",
        masked=masked,
    )
