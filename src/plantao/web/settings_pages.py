"""Installation settings for admins: local password login on or off (for when single sign-on
works and passwords should no longer be accepted). Audited by ``auth.passwords``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao.api.deps import SessionDep
from plantao.auth import passwords
from plantao.auth.roles import Need
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)


@router.get("/settings", response_class=HTMLResponse, response_model=None)
def settings_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    settings = request.app.state.settings
    return admin_common.page(
        request,
        "admin/settings.html",
        principal,
        password_login=passwords.password_login_enabled(session),
        sso=bool(settings.oidc_issuer),
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/settings/password-login", response_model=None)
def password_login_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    enabled: Annotated[Literal["on", "off"], Form()],
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    wanted = enabled == "on"
    if wanted != passwords.password_login_enabled(session):
        passwords.set_password_login(session, wanted, actor=who.audit_actor)
        session.commit()
    return RedirectResponse("/settings?saved=1", status_code=303)
