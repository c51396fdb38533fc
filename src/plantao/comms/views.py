"""Message templates over the API: list them, read one (shipped text and override), override
or reset one (a manager or admin; refused with 422 and the failing line when it does not render
for every sample incident), and preview any template from an incident's real data.

``POST /api/v1/incidents/{ref}/messages/preview`` renders from the same facts the engine's
fan-out uses (``plantao.engine.incident_facts``) with the operator's overrides, so what a person
previews is what stakeholders would receive. It sends and stores nothing, and reading the
incident is enough to preview it (a private one only for who may see it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Response

from plantao.api.deps import Manager, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.comms import overrides
from plantao.comms import render as comms_render
from plantao.comms.render import Source
from plantao.comms.schemas import (
    OverrideOut,
    PreviewIn,
    RenderedOut,
    SourceOut,
    TemplateDetail,
    TemplateIn,
    TemplateList,
    TemplateState,
)
from plantao.engine import incident_facts
from plantao.errors import ValidationFailed
from plantao.incidents import access as incident_access

router = APIRouter(tags=["messages"], responses=problem_responses())
TEMPLATES = "/api/v1/comms/templates"
Name = Annotated[str, Path(max_length=64)]
Language = Annotated[str, Path(max_length=16)]


@router.get(TEMPLATES, response_model=TemplateList)
def list_templates(session: SessionDep, _who: Viewer) -> TemplateList:
    """Every message template in every language, and whether an operator overrode it."""
    return TemplateList(
        items=[
            TemplateState.model_validate(s, from_attributes=True)
            for s in overrides.listing(session)
        ]
    )


def _detail(session: SessionDep, settings: SettingsDep, name: str, language: str) -> TemplateDetail:
    row = overrides.get(session, name, language)
    shipped = comms_render.shipped(name, language, settings.notify_template_dir)
    return TemplateDetail(
        name=name,
        language=language,
        shipped=SourceOut(subject=shipped.subject, body=shipped.body),
        override=None
        if row is None
        else OverrideOut(
            subject=row.subject, body=row.body, updated_by=row.updated_by, updated_at=row.updated_at
        ),
    )


@router.get(TEMPLATES + "/{name}/{language}", response_model=TemplateDetail)
def get_template(
    name: Name, language: Language, session: SessionDep, settings: SettingsDep, _who: Viewer
) -> TemplateDetail:
    """The shipped text and the operator's override, if any."""
    return _detail(session, settings, name, language)


@router.put(
    TEMPLATES + "/{name}/{language}",
    response_model=TemplateDetail,
    responses=problem_responses(422),
)
def put_template(
    name: Name,
    language: Language,
    body: TemplateIn,
    session: SessionDep,
    settings: SettingsDep,
    who: Manager,
) -> TemplateDetail:
    """Override the template; 422 (and nothing saved) unless it renders for every severity
    with and without the optional facts."""
    overrides.save(session, name, language, Source(body.subject, body.body), actor=who.audit_actor)
    session.commit()
    return _detail(session, settings, name, language)


@router.delete(TEMPLATES + "/{name}/{language}", status_code=204)
def delete_template(name: Name, language: Language, session: SessionDep, who: Manager) -> Response:
    """Back to the shipped template (404 when there was no override)."""
    overrides.delete(session, name, language, actor=who.audit_actor)
    session.commit()
    return Response(status_code=204)


def _usable_zone(name: str | None) -> str:
    """The reader's own zone when this machine knows it, else UTC (a zone typed in the request
    is checked by the renderer and refused when unknown)."""
    try:
        comms_render.zone(name)
    except ValidationFailed:
        return "UTC"
    return name or "UTC"


@router.post("/api/v1/incidents/{ref}/messages/preview", response_model=RenderedOut)
def preview(
    ref: str, body: PreviewIn, session: SessionDep, settings: SettingsDep, who: Viewer
) -> RenderedOut:
    """Render a template from the incident's real data (nothing is sent or stored)."""
    incident = incident_access.get_to_read(session, ref, who)
    facts = incident_facts.facts_for(session, incident, settings)
    facts = replace(
        facts,
        escalation=body.escalation.facts() if body.escalation else None,
        data_loss=body.data_loss.facts() if body.data_loss else None,
    )
    language = comms_render.language_for(body.language or who.language)
    zone = body.time_zone or _usable_zone(who.time_zone)
    comms_render.check_name(body.template)
    out = overrides.render_for(
        session,
        body.template,
        language,
        facts,
        zone,
        template_dir=settings.notify_template_dir,
    )
    return RenderedOut(
        template=body.template,
        language=language,
        time_zone=zone,
        subject=out.subject,
        text=out.text,
    )
