"""The incident page's Status page forms: publish the incident, post a public update (or the
resolution), and dismiss the proposal for a page (``plantao.statuspage.publishing``).

They go through :func:`plantao.web.incident_pages.change_incident` like every incident form
(session, CSRF, the incident's own check, a refusal rendered with what was typed), then the
publishing check: the Comms Lead, the IC or a manager of the team. Component choices arrive as
``slug=status`` values of one ``components`` field, so the form needs no per-component names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.errors import NotFound
from plantao.incidents.models import Incident
from plantao.statuspage import publishing
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=20_000)]
Choices = Annotated[list[str], Form(max_length=200)]


def _choices(values: list[str]) -> dict[str, str]:
    """``["api=major_outage", ""]`` → ``{"api": "major_outage"}`` (empty: not affected)."""
    out: dict[str, str] = {}
    for value in values:
        slug, _, status = value.partition("=")
        if slug.strip() and status.strip():
            out[slug.strip()[:200]] = status.strip()[:32]
    return out


def _typed(values: list[str], **fields: str) -> dict[str, str]:
    typed = {f"spp_{k}": v for k, v in fields.items()}
    for value in values:
        slug, _, status = value.partition("=")
        if slug:
            typed[f"spp_component_{slug[:200]}"] = status[:32]
    return typed


@router.post("/incidents/{ref}/status-page/publish", response_model=None)
def publish_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    page: Annotated[str, Form(max_length=64)] = "",
    title: Text = "",
    body: Text = "",
    components: Choices | None = None,
    pending: Annotated[str, Form()] = "",
) -> Response:
    """Publish the incident with the public title, text and component statuses typed."""
    chosen = components or []

    def change(incident: Incident, who: Principal) -> None:
        publishing.require_publisher(session, who, incident)
        publishing.publish(
            session,
            incident,
            page=page or None,
            title=title,
            body=body,
            components=_choices(chosen),
            actor=who.actor,
        )

    typed = _typed(chosen, title=title, body=body)
    return change_incident(request, session, csrf, ref, change, post=FormPost("", typed, pending))


@router.post("/incidents/{ref}/status-page/{public_id}/updates", response_model=None)
def update_form(
    ref: str,
    public_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    status: Annotated[str, Form(max_length=16)] = "",
    body: Text = "",
    components: Choices | None = None,
    pending: Annotated[str, Form()] = "",
) -> Response:
    """Post a public update of one of the incident's public incidents; ``resolved`` ends it."""
    chosen = components or []

    def change(incident: Incident, who: Principal) -> None:
        publishing.require_publisher(session, who, incident)
        public = publishing.open_public(session, public_id)
        if public.incident_id != incident.id:
            raise NotFound(f"no public incident {public_id} for {incident.human_id}")
        publishing.post_update(
            session,
            public,
            status=status,
            body=body,
            components=_choices(chosen),
            actor=who.actor,
        )

    typed = _typed(chosen, status=status, body=body, update_for=str(public_id))
    return change_incident(request, session, csrf, ref, change, post=FormPost("", typed, pending))


@router.post("/incidents/{ref}/status-page/dismiss", response_model=None)
def dismiss_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    page: Annotated[str, Form(max_length=64)] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    """Do not publish the incident on this page: the proposal goes away."""

    def change(incident: Incident, who: Principal) -> None:
        publishing.require_publisher(session, who, incident)
        publishing.dismiss(session, incident, page or None, who.actor)

    return change_incident(
        request, session, csrf, ref, change, post=FormPost("", {"spp_page": page}, pending)
    )
