"""Status pages API: the pages with their components (anyone who may read), and their
components and branding (admins). Component statuses are read-only here: they come from
published incidents and maintenance. A page whose components are declared in ``plantao.yaml``
gets them back from the file on the next apply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import Admin, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.statuspage import components, default_components, page_admin, pages
from plantao.statuspage.models import StatusComponent, StatusPage

router = APIRouter(prefix="/api/v1", tags=["status pages"], responses=problem_responses())

PageSlug = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="the page's slug (public…)")
]
ComponentRef = Annotated[
    str, Path(min_length=1, max_length=200, description="the component's slug (or its name)")
]


class ComponentOut(BaseModel):
    slug: str
    name: str
    description: str
    group: str | None
    position: int
    services: list[str]
    status: str


class PageOut(BaseModel):
    slug: str
    name: str
    audience: str
    host: str | None
    language: str
    path: str
    branding: dict[str, Any]
    #: True while the components are the default one-per-service list.
    components_follow_services: bool
    components: list[ComponentOut]


class ComponentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    group: str | None = Field(default=None, max_length=200)
    services: list[str] = Field(default_factory=list, max_length=100)


class ComponentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    group: str | None = Field(default=None, max_length=200, description="'' removes it")
    services: list[str] | None = Field(default=None, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10_000, description="0 = first")


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(max_length=100)
    url: str = Field(max_length=2048)


class BrandingIn(BaseModel):
    """The page's name and branding, replaced as a whole (omitted parts are cleared)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    logo_url: str | None = Field(default=None, max_length=2048)
    colors: dict[str, str] = Field(default_factory=dict, max_length=3)
    footer_links: list[LinkIn] = Field(default_factory=list, max_length=20)


def _component(row: StatusComponent) -> ComponentOut:
    return ComponentOut(
        slug=row.slug,
        name=row.name,
        description=row.description,
        group=row.group_name,
        position=row.position,
        services=list(row.services),
        status=row.status,
    )


def _page(session: SessionDep, page: StatusPage) -> PageOut:
    branding = dict(page.branding or {})
    return PageOut(
        slug=page.slug,
        name=page.name,
        audience=page.audience,
        host=page.host,
        language=page.language,
        path=pages.path_of(page.slug),
        branding=branding,
        components_follow_services=page.slug == pages.DEFAULT_SLUG
        and not default_components.declared(page),
        components=[_component(c) for c in components.on_page(session, page.id)],
    )


@router.get("/status-pages", response_model=list[PageOut])
def list_status_pages(session: SessionDep, _who: Viewer) -> list[PageOut]:
    out = [_page(session, p) for p in page_admin.list_pages(session)]
    session.commit()  # the default page, created on first need
    return out


@router.get("/status-pages/{page_slug}", response_model=PageOut)
def get_status_page(page_slug: PageSlug, session: SessionDep, _who: Viewer) -> PageOut:
    out = _page(session, page_admin.get_page(session, page_slug))
    session.commit()
    return out


@router.put("/status-pages/{page_slug}/branding", response_model=PageOut)
def set_status_page_branding(
    page_slug: PageSlug, body: BrandingIn, session: SessionDep, who: Admin
) -> PageOut:
    page = page_admin.get_page(session, page_slug)
    fields = page_admin.BrandingFields(
        name=body.name,
        logo_url=body.logo_url,
        colors=dict(body.colors),
        footer_links=[(link.label, link.url) for link in body.footer_links],
    )
    page_admin.update_branding(session, page, fields, actor=who.audit_actor)
    out = _page(session, page)
    session.commit()
    return out


@router.get("/status-pages/{page_slug}/components", response_model=list[ComponentOut])
def list_status_components(
    page_slug: PageSlug, session: SessionDep, _who: Viewer
) -> list[ComponentOut]:
    page = page_admin.get_page(session, page_slug)
    out = [_component(c) for c in components.on_page(session, page.id)]
    session.commit()
    return out


@router.post("/status-pages/{page_slug}/components", status_code=201, response_model=ComponentOut)
def add_status_component(
    page_slug: PageSlug, body: ComponentIn, session: SessionDep, who: Admin
) -> ComponentOut:
    page = page_admin.get_page(session, page_slug)
    fields = page_admin.ComponentFields(**body.model_dump())
    row = page_admin.create_component(session, page, fields, actor=who.audit_actor)
    out = _component(row)
    session.commit()
    return out


@router.patch("/status-pages/{page_slug}/components/{component}", response_model=ComponentOut)
def change_status_component(
    page_slug: PageSlug,
    component: ComponentRef,
    body: ComponentPatch,
    session: SessionDep,
    who: Admin,
) -> ComponentOut:
    page = page_admin.get_page(session, page_slug)
    row = components.resolve(session, page.id, component)
    given = body.model_dump(exclude_unset=True)
    fields = page_admin.ComponentFields(
        slug=given.get("slug") or row.slug,
        name=given.get("name") or row.name,
        description=row.description if body.description is None else body.description,
        group=row.group_name if "group" not in given else body.group,
        services=list(row.services) if body.services is None else body.services,
    )
    page_admin.update_component(session, page, row, fields, actor=who.audit_actor)
    if body.position is not None:
        page_admin.move_component(session, page, row, body.position, actor=who.audit_actor)
    out = _component(row)
    session.commit()
    return out


@router.delete("/status-pages/{page_slug}/components/{component}", status_code=204)
def delete_status_component(
    page_slug: PageSlug, component: ComponentRef, session: SessionDep, who: Admin
) -> Response:
    page = page_admin.get_page(session, page_slug)
    row = components.resolve(session, page.id, component)
    page_admin.delete_component(session, page, row, actor=who.audit_actor)
    session.commit()
    return Response(status_code=204)
