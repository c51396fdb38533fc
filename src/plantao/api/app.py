"""The application factory: one place that wires settings, database, routers and middleware."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

import plantao
from plantao.api import (
    docs_page,
    errors,
    handoff_routes,
    health,
    routine_routes,
    shift_routes,
    similar_routes,
)
from plantao.api.body_guard import BodyGuard
from plantao.api.middleware import RequestContext
from plantao.api.ratelimit import RateLimits
from plantao.api.security_headers import SecurityHeaders
from plantao.auth import keyring
from plantao.auth import views as token_views
from plantao.catalog import views as catalog_views
from plantao.command.views import checklists as command_checklist_views
from plantao.command.views import declare as declare_views
from plantao.command.views import responders as responder_views
from plantao.command.views import roles as role_views
from plantao.command.views import stakeholders as stakeholder_views
from plantao.command.views import updates as status_update_views
from plantao.comms import views as comms_views
from plantao.config import Settings, get_settings
from plantao.db import make_engine, make_sessionmaker
from plantao.engine.runner import make_loop, start_in_thread
from plantao.incidents import views as incident_views
from plantao.intake import views as intake_views
from plantao.intake.inbox_postgres import PostgresInbox
from plantao.intake.writer import IntakeWriter
from plantao.kpis import views as kpi_views
from plantao.kpis.metrics import register_kpi_collector
from plantao.notify import views as notify_views
from plantao.observability import logging as plantao_logging
from plantao.oncall import views as oncall_views
from plantao.people import views as people_views
from plantao.postmortems.views import actions as action_views
from plantao.postmortems.views import calendars as business_calendar_views
from plantao.postmortems.views import due_metrics as postmortem_due_metrics
from plantao.postmortems.views import gate as gate_views
from plantao.postmortems.views import postmortems as postmortem_views
from plantao.postmortems.views import reviews as review_views
from plantao.runbooks import views as runbook_views
from plantao.statuspage.views import maintenance as status_maintenance_views
from plantao.statuspage.views import pages as status_page_views
from plantao.statuspage.views import public as status_public_views
from plantao.statuspage.views import publishing as status_publishing_views
from plantao.statuspage.views import subscribe as status_subscribe_views
from plantao.statuspage.views import subscribers as status_subscriber_views
from plantao.web import error_pages, live_routes
from plantao.web import views as web_views

_collector: health.OpenIncidentsCollector | None = None


def _register_collector(app: FastAPI) -> None:
    """Register the DB-backed gauge once per process; the newest app's database wins."""
    global _collector
    if _collector is None:
        _collector = health.OpenIncidentsCollector(app.state.sessions)
        REGISTRY.register(_collector)
    else:
        _collector.factory = app.state.sessions


def _lifespan(
    app: FastAPI, *, run_engine: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Flush the intake writer at shutdown; with ``run_engine`` (``plantao serve``'s default)
    also run the engine in a thread for the life of this process."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        thread, stop = None, None
        if run_engine:
            loop = make_loop(app.state.sessions)
            app.state.engine_loop = loop
            thread, stop = start_in_thread(loop)
        await app.state.live_hub.start()
        if getattr(app.state, "freeze_gc", False):
            # Everything alive now (modules, routes, compiled templates, the pool) lives as long
            # as the process: moved out of the collector's view, a full collection no longer
            # walks ~280,000 objects, which paused page renders for 160-180 ms (the incident
            # page's p99; benchmarks/README.md, Web pages).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await app.state.live_hub.stop()
            app.state.intake_writer.close()
            if stop is not None and thread is not None:
                stop.set()
                thread.join(timeout=10)

    return lifespan


def serve_app() -> FastAPI:
    """Factory used by ``plantao serve`` (also once per worker with ``--workers``)."""
    settings = get_settings()
    app = create_app(settings, run_engine=settings.engine_in_serve)
    app.state.freeze_gc = True
    return app


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, run_engine: bool = False
) -> FastAPI:
    settings = settings or get_settings()
    plantao_logging.configure(
        settings.log_level,
        json=settings.log_json,
        secrets=[settings.secret_key, *settings.previous_secret_keys, settings.smtp_password],
    )
    engine = engine or make_engine(settings.database_url, pool_size=settings.db_pool_size)
    app = FastAPI(
        title="Plantão",
        version=plantao.__version__,
        description="Alert intake, incidents, on-call. Every route except intake and health "
        "needs `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
    )
    app.router.lifespan_context = _lifespan(app, run_engine=run_engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.live_hub = live_routes.make_hub(
        app, session_check=settings.live_session_check_seconds
    )
    app.state.intake_writer = IntakeWriter(
        app.state.sessions,
        postgres=PostgresInbox(engine, app.state.sessions)
        if engine.dialect.name == "postgresql"
        else None,
    )
    with app.state.sessions() as session:
        ring = keyring.ensure(session, settings)
        session.commit()
    errors.install(app)
    error_pages.install(app)  # web routes: the same errors as HTML pages
    docs_page.install(app)
    app.include_router(health.router)
    app.include_router(status_subscribe_views.router)  # before /status/{slug} pages
    app.include_router(status_subscriber_views.router)
    app.include_router(intake_views.router)
    app.include_router(incident_views.router)
    app.include_router(similar_routes.router)
    app.include_router(declare_views.router)
    app.include_router(role_views.router)
    app.include_router(catalog_views.router)
    app.include_router(token_views.router)
    app.include_router(people_views.router)
    app.include_router(oncall_views.router)
    app.include_router(handoff_routes.router)
    app.include_router(shift_routes.router)
    app.include_router(routine_routes.router)
    app.include_router(runbook_views.router)
    app.include_router(notify_views.router)
    app.include_router(responder_views.router)
    app.include_router(stakeholder_views.router)
    app.include_router(status_update_views.router)
    app.include_router(command_checklist_views.router)
    app.include_router(comms_views.router)
    app.include_router(postmortem_views.router)
    app.include_router(gate_views.router)
    app.include_router(action_views.router)
    app.include_router(business_calendar_views.router)
    app.include_router(review_views.router)
    app.include_router(kpi_views.router)
    app.include_router(status_page_views.router)
    app.include_router(status_maintenance_views.router)
    app.include_router(status_publishing_views.router)
    app.include_router(web_views.router)
    app.include_router(live_routes.router)
    app.include_router(status_public_views.router)  # last: /status/{rest} misses
    app.mount(
        "/static",
        StaticFiles(directory=str(Path(web_views.__file__).parent / "static")),
        name="static",
    )
    https = settings.base_url.startswith("https://")
    # The cookie only points at a row of web_sessions (plantao.auth.web_sessions); its signature
    # uses the installation's key, so a rotation logs browsers out.
    app.add_middleware(
        SessionMiddleware,
        secret_key=ring.signing,
        session_cookie="plantao_session",
        same_site="lax",
        https_only=https,
        max_age=settings.session_max_hours * 3600,
    )
    app.add_middleware(BodyGuard, settings=settings, sessions=app.state.sessions)
    app.add_middleware(RateLimits, settings=settings)  # outside BodyGuard: 429 before any work
    app.add_middleware(SecurityHeaders, https=https)
    app.add_middleware(RequestContext)
    # Outermost: public status pages answer from their snapshots without the stack (why: the
    # module's docstring); what it does not answer goes through the stack to the router above.
    app.state.status_snapshots = status_public_views.make_store(app.state.sessions, settings)
    app.add_middleware(
        status_public_views.StatusFastPath, store=app.state.status_snapshots, https=https
    )
    _register_collector(app)
    notify_views.register_outbox_collector(app.state.sessions)
    status_update_views.register_overdue_collector(app.state.sessions)
    postmortem_due_metrics.register_due_collector(app.state.sessions)
    register_kpi_collector(app.state.sessions)
    return app
