"""Catalog API: integrations (with their keys and intake URLs) and services."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from plantao.api.deps import Admin, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.catalog import service as catalog_service
from plantao.incidents import severity_config

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=problem_responses())


class IntegrationOut(BaseModel):
    slug: str
    name: str
    kind: str
    service: str
    key: str
    urls: dict[str, str]


class ServiceOut(BaseModel):
    slug: str
    name: str
    description: str


@router.get("/integrations", response_model=list[IntegrationOut])
def list_integrations(
    session: SessionDep, settings: SettingsDep, _who: Admin
) -> list[IntegrationOut]:
    return [
        IntegrationOut(
            slug=i.slug,
            name=i.name,
            kind=i.kind,
            service=s.slug,
            key=i.key,
            urls=catalog_service.intake_urls(settings.base_url, i.key),
        )
        for i, s in catalog_service.list_integrations(session)
    ]


@router.get("/services", response_model=list[ServiceOut])
def list_services(session: SessionDep, _who: Viewer) -> list[ServiceOut]:
    return [
        ServiceOut(slug=s.slug, name=s.name, description=s.description)
        for s in catalog_service.list_services(session)
    ]


@router.get("/severity-matrix")
def severity_matrix(session: SessionDep, _who: Viewer) -> dict[str, object]:
    matrix = severity_config.severity_matrix(session)
    return {
        "default": matrix.default,
        "levels": [level.as_dict() for level in matrix.levels],
        "rules": [
            {"matchers": [str(m) for m in rule.matchers], "severity": rule.severity}
            for rule in matrix.rules
        ],
    }
