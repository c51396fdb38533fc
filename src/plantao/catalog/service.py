"""Reading the catalog: integrations by key, the routing table and the severity matrix document."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import ConfigDocument, Integration, Route, Service
from plantao.errors import NotFound
from plantao.matchers import Matcher, all_match, parse_matchers

SEVERITY_DOCUMENT = "severity_matrix"
REVISION_DOCUMENT = "revision"
DEFAULT_GROUP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CompiledRoute:
    id: int
    name: str
    matchers: tuple[Matcher, ...]
    service_id: int
    group_by: tuple[str, ...]
    group_window: timedelta
    auto_resolve: bool
    severity: str | None


@dataclass(frozen=True)
class RoutingTable:
    """Routes compiled once per configuration revision, and the severity matrix document of the
    same revision (compiled by ``incidents.severity``, a domain above this one)."""

    routes: tuple[CompiledRoute, ...]
    revision: str
    matrix_document: dict[str, Any] | None

    def route_for(self, labels: dict[str, str]) -> CompiledRoute | None:
        for route in self.routes:
            if all_match(route.matchers, labels):
                return route
        return None


class IntegrationLike(Protocol):
    """An integration row or its cached value: all that intake reads."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...

    @property
    def service_id(self) -> int: ...


@dataclass(frozen=True)
class IntegrationRef:
    """What intake needs of an integration; cached, so it is a plain value, not an ORM row."""

    id: int
    slug: str
    service_id: int
    kind: str


def integration_by_key(session: Session, key: str) -> Integration | None:
    if not key or len(key) > 64:
        return None
    return session.scalars(select(Integration).where(Integration.key == key)).one_or_none()


def revision(session: Session) -> str:
    """A token replaced by every configuration change; caches are valid for one token.

    Random rather than a counter so that a database that was emptied and configured again
    (tests, restores) can never present an old token for new content.
    """
    body = session.execute(
        select(ConfigDocument.body).where(ConfigDocument.name == REVISION_DOCUMENT)
    ).scalar()  # the column alone: this runs once per intake transaction
    return str(body.get("id", "")) if isinstance(body, dict) else ""


def bump_revision(session: Session) -> None:
    body = {"id": uuid.uuid4().hex}
    doc = session.get(ConfigDocument, REVISION_DOCUMENT)
    if doc is None:
        session.add(ConfigDocument(name=REVISION_DOCUMENT, body=body, updated_at=clock.now()))
    else:
        doc.body = body
        doc.updated_at = clock.now()
    session.flush()


@dataclass
class _Snapshot:
    revision: str
    table: RoutingTable
    keys: dict[str, IntegrationRef]


_snapshots: dict[str, _Snapshot] = {}
_snapshots_lock = threading.Lock()


def _snapshot(session: Session) -> _Snapshot:
    """Routes, matrix and integration keys compiled once per configuration revision.

    Intake reads these on every request; re-reading and re-compiling them (regexes included)
    cost more than the rest of a dedup request. One small query checks the revision.
    """
    current = revision(session)
    bind_key = str(session.get_bind().engine.url)
    cached = _snapshots.get(bind_key)
    if cached is not None and cached.revision == current:
        return cached
    keys = {
        i.key: IntegrationRef(id=i.id, slug=i.slug, service_id=i.service_id, kind=i.kind)
        for i in session.scalars(select(Integration))
    }
    fresh = _Snapshot(revision=current, table=_load_routing_table(session, current), keys=keys)
    with _snapshots_lock:
        _snapshots[bind_key] = fresh
    return fresh


def cached_integration_refs(bind_key: str, current: str) -> dict[str, IntegrationRef] | None:
    """The keys of the snapshot already compiled for ``current``, if any: for callers that read
    the revision themselves (the PostgreSQL inbox writer) and must not open a Session for it."""
    cached = _snapshots.get(bind_key)
    return cached.keys if cached is not None and cached.revision == current else None


def integration_ref(session: Session, key: str) -> IntegrationRef | None:
    if not key or len(key) > 64:
        return None
    return _snapshot(session).keys.get(key)


def integration_refs(session: Session) -> dict[str, IntegrationRef]:
    """Every integration by key, from one snapshot: a batch of requests checks the revision once."""
    return _snapshot(session).keys


def integrations_by_id(session: Session) -> dict[int, IntegrationRef]:
    return {ref.id: ref for ref in _snapshot(session).keys.values()}


def ref_of(integration: Integration) -> IntegrationRef:
    return IntegrationRef(
        id=integration.id,
        slug=integration.slug,
        service_id=integration.service_id,
        kind=integration.kind,
    )


def list_integrations(session: Session) -> list[tuple[Integration, Service]]:
    rows = session.execute(
        select(Integration, Service)
        .join(Service, Service.id == Integration.service_id)
        .order_by(Integration.slug)
    )
    return [(i, s) for i, s in rows.tuples()]


def list_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.slug)))


def service_by_slug(session: Session, slug: str) -> Service:
    found = session.scalars(select(Service).where(Service.slug == slug)).one_or_none()
    if found is None:
        raise NotFound(f"service '{slug}' does not exist")
    return found


def severity_document(session: Session) -> dict[str, Any] | None:
    """The configured severity matrix as declared; ``incidents.severity`` compiles it."""
    doc = session.get(ConfigDocument, SEVERITY_DOCUMENT)
    return doc.body if doc else None


def routing_table(session: Session) -> RoutingTable:
    return _snapshot(session).table


def _load_routing_table(session: Session, current: str) -> RoutingTable:
    routes = session.scalars(select(Route).order_by(Route.position))
    compiled = tuple(
        CompiledRoute(
            id=r.id,
            name=r.name,
            matchers=tuple(parse_matchers(r.matchers)),
            service_id=r.service_id,
            group_by=tuple(r.group_by),
            group_window=timedelta(seconds=r.group_window_seconds),
            auto_resolve=r.auto_resolve,
            severity=r.severity,
        )
        for r in routes
    )
    return RoutingTable(
        routes=compiled, revision=current, matrix_document=severity_document(session)
    )


def intake_urls(base_url: str, key: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {
        "alertmanager": f"{base}/api/v1/intake/{key}/alertmanager",
        "grafana": f"{base}/api/v1/intake/{key}/grafana",
        "generic": f"{base}/api/v1/intake/{key}/generic",
        "pagerduty_events_v2": f"{base}/v2/enqueue",
        "pagerduty_change_events": f"{base}/v2/change/enqueue",
    }
