"""The public subscription forms: subscribe, confirm, unsubscribe (no login, by design).

``GET/POST /status/subscribe`` (``?page=<slug>`` or ``/status/<slug>/subscribe`` for another
page), ``GET/POST /status/confirm?token=``, ``GET/POST /status/unsubscribe?token=``. A GET never
changes anything (mail scanners follow links): it shows a button that POSTs. The unsubscribe
POST also takes RFC 8058's one-click body (``List-Unsubscribe=One-Click``) at the same URL.

There is no session here, so no session CSRF token: the subscribe form carries a signed form
token (the page and when the form was shown, valid two hours) and a honeypot field a person
never sees. Rate limits, counted in this process like ``plantao.api.ratelimit``'s (whose
windows are reused): :data:`PER_IP` subscriptions per client address, :data:`PER_ADDRESS` per
e-mail address; beyond them a 429 page. The answer to a valid form is the same whatever the
address's state (see ``plantao.statuspage.subscriptions``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from plantao import clock
from plantao.api.deps import SessionDep, SettingsDep
from plantao.api.limiter import ClientAddress, Limit, Windows, parse_networks
from plantao.auth import keyring
from plantao.config import Settings
from plantao.errors import ValidationFailed
from plantao.statuspage import subscriber_texts, subscriptions
from plantao.statuspage import subscription_tokens as tokens
from plantao.statuspage.models import StatusComponent, StatusPage
from plantao.statuspage.pages import DEFAULT_SLUG, by_host, by_slug, ensure_default, path_of

router = APIRouter(include_in_schema=False)

PER_IP = Limit.parse("5/1h")
PER_ADDRESS = Limit.parse("3/24h")
_env = Environment(
    loader=PackageLoader("plantao.statuspage", "templates/html"),
    autoescape=select_autoescape(default=True),
)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class _Limits:
    """The windows of one application (kept on ``app.state``)."""

    def __init__(self, settings: Settings) -> None:
        self.ip = Windows(PER_IP)
        self.address = Windows(PER_ADDRESS)
        self.client = ClientAddress(parse_networks(settings.trusted_proxies))


def _limits(request: Request, settings: Settings) -> _Limits:
    found = getattr(request.app.state, "status_subscribe_limits", None)
    if not isinstance(found, _Limits):
        found = _Limits(settings)
        request.app.state.status_subscribe_limits = found
    return found


def _page(session: SessionDep, slug: str | None, host: str = "") -> StatusPage | None:
    """The page, if it is one the public may subscribe to: named by ``slug``, else the one
    served on ``host``, else the default page."""
    own = by_host(session, host) if not slug and host else None
    if own is not None:
        return own if own.audience == "public" else None
    if not slug or slug == DEFAULT_SLUG:
        return ensure_default(session)
    page = by_slug(session, slug)
    return page if page is not None and page.audience == "public" else None


def _lang(request: Request, page: StatusPage | None, given: str | None = None) -> str:
    for value in (given, request.query_params.get("lang")):
        if value in subscriber_texts.LANGUAGES:
            return str(value)
    if page is not None and page.language in subscriber_texts.LANGUAGES:
        return page.language
    return "en"


def _html(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _env.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _not_found(lang: str) -> HTMLResponse:
    t = subscriber_texts.texts(lang)
    page = {"name": "Status"}
    return _html(
        "subscribe_message.html",
        404,
        page=page,
        path="/status",
        lang=lang,
        t=t,
        heading=t["bad_link_title"],
        message=t["bad_link"],
        error=True,
    )


def _form(
    session: SessionDep,
    settings: Settings,
    page: StatusPage,
    lang: str,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    chosen: list[str] | None = None,
) -> HTMLResponse:
    t = subscriber_texts.texts(lang)
    components = list(
        session.scalars(
            select(StatusComponent)
            .where(StatusComponent.page_id == page.id)
            .order_by(StatusComponent.position, StatusComponent.id)
        )
    )
    key = keyring.current(session, settings).signing
    path = path_of(page.slug)
    response = _html(
        "subscribe.html",
        status,
        page=page,
        path=path,
        lang=lang,
        t=t,
        heading=t["title"],
        action=f"{path}/subscribe",
        form_token=tokens.sign_form(key, page.slug, clock.now()),
        components=components,
        chosen=chosen or [],
        email=email,
        error=error,
    )
    session.commit()  # a default page or a first key made while showing the form
    return response


def _message(
    page: StatusPage,
    lang: str,
    heading: str,
    message: str,
    *,
    status: int = 200,
    error: bool = False,
    button: str | None = None,
    action: str = "",
    token: str = "",
) -> HTMLResponse:
    return _html(
        "subscribe_message.html",
        status,
        page=page,
        path=path_of(page.slug),
        lang=lang,
        t=subscriber_texts.texts(lang),
        heading=heading,
        message=message,
        error=error,
        button=button,
        action=action,
        token=token,
    )


def _too_many(page: StatusPage, lang: str, wait: float) -> HTMLResponse:
    t = subscriber_texts.texts(lang)
    response = _message(page, lang, t["too_many_title"], t["too_many"], status=429, error=True)
    response.headers["Retry-After"] = str(max(1, int(wait) + 1))
    return response


@router.get("/status/subscribe", response_class=HTMLResponse)
@router.get("/status/{slug}/subscribe", response_class=HTMLResponse)
def subscribe_form(
    request: Request, session: SessionDep, settings: SettingsDep, slug: str | None = None
) -> HTMLResponse:
    page = _page(session, slug or request.query_params.get("page"), request.headers.get("host", ""))
    if page is None:
        return _not_found(_lang(request, None))
    return _form(session, settings, page, _lang(request, page))


@router.post("/status/subscribe", response_class=HTMLResponse)
@router.post("/status/{slug}/subscribe", response_class=HTMLResponse)
def subscribe_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    form_token: Annotated[str, Form(max_length=2000)] = "",
    website: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    components: Annotated[list[str] | None, Form(max_length=200)] = None,
    slug: str | None = None,
) -> HTMLResponse:
    page = _page(session, slug or request.query_params.get("page"), request.headers.get("host", ""))
    if page is None:
        return _not_found(_lang(request, None))
    lang = _lang(request, page, language)
    t = subscriber_texts.texts(lang)
    email = email[:254]
    chosen = [c[:64] for c in components or []][:200]
    limits = _limits(request, settings)
    wait = limits.ip.hit(limits.client(request.scope))
    if wait:
        return _too_many(page, lang, wait)
    keys = keyring.current(session, settings).verifying
    try:
        tokens.verify_form(form_token, keys, page.slug, clock.now())
    except tokens.TokenError:
        return _form(session, settings, page, lang, 400, t["bad_form"], email, chosen)
    sent = _message(page, lang, t["sent_title"], t["sent"])
    if website:
        return sent  # the honeypot: only a robot fills a field nobody sees
    address = subscriptions.normalise_email(email)
    if address is None:
        return _form(session, settings, page, lang, 422, t["bad_email"], email, chosen)
    wait = limits.address.hit(f"{page.id}:{address.lower()}")
    if wait:
        return _too_many(page, lang, wait)
    source = limits.client(request.scope)
    try:
        subscriptions.subscribe(session, settings, page, address, chosen, lang, source)
    except ValidationFailed:
        return _form(session, settings, page, lang, 422, t["bad_email"], email, chosen)
    session.commit()
    return sent


def _link_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    slug: str | None,
    purpose: str,
    token: str,
) -> HTMLResponse:
    """The GET of a link: check it, then offer the button that acts."""
    page = _page(session, slug, request.headers.get("host", ""))
    lang = _lang(request, page)
    if page is None:
        return _not_found(lang)
    t = subscriber_texts.texts(lang)
    try:
        sub = subscriptions.live_link(session, settings, page, token, purpose)
        lang = _lang(request, page, sub.language)
        t = subscriber_texts.texts(lang)
    except tokens.TokenError:
        return _message(page, lang, t["bad_link_title"], t["bad_link"], status=400, error=True)
    heading, intro, button = (
        (t["confirm_title"], t["intro"], t["confirm_button"])
        if purpose == tokens.CONFIRM
        else (t["unsub_title"], t["unsub_intro"], t["unsub_button"])
    )
    action = f"{path_of(page.slug)}/{purpose}"
    return _message(page, lang, heading, intro, button=button, action=action, token=token)


def _link_post(
    request: Request,
    session: SessionDep,
    settings: Settings,
    slug: str | None,
    purpose: str,
    token: str,
) -> HTMLResponse:
    page = _page(session, slug, request.headers.get("host", ""))
    lang = _lang(request, page)
    if page is None:
        return _not_found(lang)
    token = token or request.query_params.get("token") or ""
    t = subscriber_texts.texts(lang)
    try:
        if purpose == tokens.CONFIRM:
            subscriptions.confirm(session, settings, page, token)
        else:
            subscriptions.unsubscribe(session, settings, page, token)
    except tokens.TokenError:
        session.rollback()
        return _message(page, lang, t["bad_link_title"], t["bad_link"], status=400, error=True)
    session.commit()
    if purpose == tokens.CONFIRM:
        return _message(page, lang, t["confirmed_title"], t["confirmed"])
    return _message(page, lang, t["unsubscribed_title"], t["unsubscribed"])


@router.get("/status/confirm", response_class=HTMLResponse)
@router.get("/status/{slug}/confirm", response_class=HTMLResponse)
def confirm_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    slug: str | None = None,
    token: str = "",
) -> HTMLResponse:
    return _link_page(request, session, settings, slug, tokens.CONFIRM, token)


@router.post("/status/confirm", response_class=HTMLResponse)
@router.post("/status/{slug}/confirm", response_class=HTMLResponse)
def confirm_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=2000)] = "",
    slug: str | None = None,
) -> HTMLResponse:
    return _link_post(request, session, settings, slug, tokens.CONFIRM, token)


@router.get("/status/unsubscribe", response_class=HTMLResponse)
@router.get("/status/{slug}/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    slug: str | None = None,
    token: str = "",
) -> HTMLResponse:
    return _link_page(request, session, settings, slug, tokens.UNSUBSCRIBE, token)


@router.post("/status/unsubscribe", response_class=HTMLResponse)
@router.post("/status/{slug}/unsubscribe", response_class=HTMLResponse)
def unsubscribe_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=2000)] = "",
    slug: str | None = None,
) -> HTMLResponse:
    return _link_post(request, session, settings, slug, tokens.UNSUBSCRIBE, token)
