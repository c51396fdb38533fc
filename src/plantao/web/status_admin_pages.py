"""The status pages admin screens: every page with its components, groups and current
statuses; per page, forms to add, edit, reorder and delete components and to set its name and
branding. Admins only (a page is what the company says in public).

The components are the same rows ``plantao apply`` declares; the screens say so, as the next
apply of a file declaring a page's components replaces what was changed here. A refused form
is shown again with what was typed and the reason (422); nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import Conflict, ValidationFailed
from plantao.statuspage import components, default_components, page_admin, page_rules, pages
from plantao.statuspage.models import StatusPage
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)
BASE = "/admin/status-pages"
_LINKS = 3  # footer link rows a form shows (more come from plantao.yaml)


def _url(request: Request, page: StatusPage) -> str:
    """Where the page is read: its own host when it has one, else this installation's path."""
    path = pages.path_of(page.slug)
    if page.host:
        scheme = "https" if request.url.scheme == "https" else "http"
        return f"{scheme}://{page.host}{path}"
    return path


def _component_form(fields: page_admin.ComponentFields | None = None) -> dict[str, str]:
    if fields is None:
        return {"slug": "", "name": "", "description": "", "group": "", "services": ""}
    return {
        "slug": fields.slug,
        "name": fields.name,
        "description": fields.description,
        "group": fields.group or "",
        "services": ", ".join(fields.services),
    }


def _branding_form(fields: page_admin.BrandingFields) -> dict[str, Any]:
    links = list(fields.footer_links) + [("", "")] * max(0, _LINKS - len(fields.footer_links))
    return {
        "name": fields.name,
        "logo_url": fields.logo_url or "",
        "colors": {k: fields.colors.get(k, "") for k in page_rules.COLOR_KEYS},
        "links": links,
    }


@router.get(BASE, response_class=HTMLResponse, response_model=None)
def status_pages_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    rows = page_admin.list_pages(session)
    session.commit()  # the default page, created on first need
    return admin_common.page(
        request,
        "admin/status_pages.html",
        principal,
        rows=[(p, _url(request, p), components.on_page(session, p.id)) for p in rows],
    )


def _page_view(
    request: Request,
    session: Session,
    principal: Principal,
    page: StatusPage,
    *,
    component_form: dict[str, str] | None = None,
    branding_form: dict[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return admin_common.page(
        request,
        "admin/status_page.html",
        principal,
        status_code=422 if error else 200,
        page=page,
        url=_url(request, page),
        follows=page.slug == pages.DEFAULT_SLUG and not default_components.declared(page),
        rows=components.on_page(session, page.id),
        component_form=component_form or _component_form(),
        branding_form=branding_form or _branding_form(page_admin.branding_of(page)),
        color_keys=page_rules.COLOR_KEYS,
        error=error,
        notice=request.query_params.get("done"),
    )


@router.get(BASE + "/{slug}", response_class=HTMLResponse, response_model=None)
def status_page_page(slug: str, request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    page = page_admin.get_page(session, slug)
    session.commit()
    return _page_view(request, session, principal, page)


def _fields(
    slug: str, name: str, description: str, group: str, services: str
) -> page_admin.ComponentFields:
    wanted = [s.strip() for s in services.replace("\n", ",").split(",") if s.strip()]
    return page_admin.ComponentFields(slug, name, description, group or None, wanted)


def _back(page: StatusPage, done: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/{quote(page.slug)}?done={done}", status_code=303)


@router.post(BASE + "/{slug}/components", response_model=None)
def add_component_form(
    slug: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    component_slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    services: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    page = page_admin.get_page(session, slug)
    fields = _fields(component_slug, name, description, group, services)
    try:
        page_admin.create_component(session, page, fields, actor=who.audit_actor)
        session.commit()
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        page = page_admin.get_page(session, slug)
        typed = _component_form(fields) | {"services": services}
        return _page_view(request, session, who, page, component_form=typed, error=exc.detail)
    return _back(page, "saved")


@router.post(BASE + "/{slug}/branding", response_model=None)
async def branding_form(slug: str, request: Request, session: SessionDep) -> Response:
    form = await request.form()
    who = rendering.writer(request, session, str(form.get("csrf", "")), Need.ADMIN)
    if isinstance(who, Response):
        return who
    page = page_admin.get_page(session, slug)
    text = {key: str(value)[:2048] for key, value in form.items()}
    fields = page_admin.BrandingFields(
        name=text.get("name", ""),
        logo_url=text.get("logo_url") or None,
        colors={k: text.get(f"color_{k}", "") for k in page_rules.COLOR_KEYS},
        footer_links=[
            (text.get(f"link_label_{n}", ""), text.get(f"link_url_{n}", ""))
            for n in range(1, _LINKS + 1)
        ],
    )
    try:
        page_admin.update_branding(session, page, fields, actor=who.audit_actor)
        session.commit()
    except ValidationFailed as exc:
        session.rollback()
        page = page_admin.get_page(session, slug)
        return _page_view(
            request, session, who, page, branding_form=_branding_form(fields), error=exc.detail
        )
    return _back(page, "saved")


@router.get(
    BASE + "/{slug}/components/{component}", response_class=HTMLResponse, response_model=None
)
def component_page(slug: str, component: str, request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    page = page_admin.get_page(session, slug)
    row = components.resolve(session, page.id, component)
    fields = page_admin.ComponentFields(
        row.slug, row.name, row.description, row.group_name, list(row.services)
    )
    session.commit()
    return _edit_view(request, principal, page, row.slug, _component_form(fields))


def _edit_view(
    request: Request,
    principal: Principal,
    page: StatusPage,
    ref: str,
    form: dict[str, str],
    error: str | None = None,
) -> HTMLResponse:
    return admin_common.page(
        request,
        "admin/status_component.html",
        principal,
        status_code=422 if error else 200,
        page=page,
        ref=ref,
        form=form,
        error=error,
    )


@router.post(BASE + "/{slug}/components/{component}", response_model=None)
def edit_component_form(
    slug: str,
    component: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    component_slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    services: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    page = page_admin.get_page(session, slug)
    row = components.resolve(session, page.id, component)
    fields = _fields(component_slug, name, description, group, services)
    try:
        page_admin.update_component(session, page, row, fields, actor=who.audit_actor)
        session.commit()
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        typed = _component_form(fields) | {"services": services}
        return _edit_view(request, who, page, component, typed, exc.detail)
    return _back(page, "saved")


@router.post(BASE + "/{slug}/components/{component}/move", response_model=None)
def move_component_form(
    slug: str,
    component: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    direction: Annotated[str, Form()] = "up",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    page = page_admin.get_page(session, slug)
    row = components.resolve(session, page.id, component)
    rows = components.on_page(session, page.id)
    index = next(i for i, c in enumerate(rows) if c.id == row.id)
    target = index - 1 if direction == "up" else index + 1
    page_admin.move_component(session, page, row, target, actor=who.audit_actor)
    session.commit()
    return _back(page, "saved")


@router.post(BASE + "/{slug}/components/{component}/delete", response_model=None)
def delete_component_form(
    slug: str, component: str, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    page = page_admin.get_page(session, slug)
    row = components.resolve(session, page.id, component)
    page_admin.delete_component(session, page, row, actor=who.audit_actor)
    session.commit()
    return _back(page, "deleted")
