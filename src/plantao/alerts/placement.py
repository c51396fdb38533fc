"""Where an alert event goes: its route, service, group key, window and severity, decided once
per event before anything is locked; and the counts an ingest call reports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from plantao.alerts.identity import group_key as compute_group_key
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationLike
from plantao.incidents import severity_config
from plantao.incidents.models import Incident

CHUNK = 500


@dataclass
class IntakeResult:
    created: int = 0
    refreshed: int = 0
    updated: int = 0
    resolved: int = 0
    reopened: int = 0
    acknowledged: int = 0
    ignored: int = 0
    touched: dict[int, Incident] = field(default_factory=dict)

    @property
    def incidents(self) -> set[str]:
        """Human ids of the incidents touched; final only once the transaction committed."""
        return {incident.human_id for incident in self.touched.values()}

    def touch(self, incident: Incident) -> None:
        self.touched[incident.id] = incident

    @property
    def accepted(self) -> int:
        return (
            self.created
            + self.refreshed
            + self.updated
            + self.resolved
            + self.reopened
            + self.acknowledged
            + self.ignored
        )

    def outcomes(self) -> dict[str, int]:
        return {
            "created": self.created,
            "refreshed": self.refreshed,
            "updated": self.updated,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "acknowledged": self.acknowledged,
            "ignored": self.ignored,
        }


@dataclass
class Placed:
    event: AlertEvent
    service_id: int
    route_id: int | None
    group_key: str
    window: timedelta
    auto_resolve: bool
    severity: str


def content_hash(event: AlertEvent, severity: str) -> str:
    blob = orjson.dumps(
        [event.summary, severity, event.labels, event.annotations, event.details],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def actor_of(integration: IntegrationLike) -> str:
    return f"integration:{integration.slug}"


def place(
    event: AlertEvent, integration: IntegrationLike, table: catalog_service.RoutingTable
) -> Placed:
    route = table.route_for(event.labels)
    severity = (route.severity if route and route.severity else None) or severity_config.matrix_of(
        table
    ).classify(event.labels, event.sender_severity)
    if route and route.group_by:
        key = compute_group_key(event.labels, route.group_by)
    elif event.sender_group_key:
        key = f"sender:{event.sender_group_key}"
    else:
        key = f"alert:{integration.id}:{event.identity}"
    return Placed(
        event=event,
        service_id=route.service_id if route else integration.service_id,
        route_id=route.id if route else None,
        group_key=key,
        window=route.group_window if route else catalog_service.DEFAULT_GROUP_WINDOW,
        auto_resolve=route.auto_resolve if route else True,
        severity=severity,
    )
