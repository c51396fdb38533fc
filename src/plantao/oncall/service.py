"""On-call use cases, the one entry other domains and entry points call.

Schedules live in :mod:`plantao.oncall.schedules`, running escalations in
:mod:`plantao.oncall.escalations`, windows in :mod:`plantao.oncall.window_store`, monitors in
:mod:`plantao.oncall.heartbeats`; this module re-exports their verbs. Incidents opening,
reopening or being acknowledged reach on-call through the engine's reaction step
(``plantao.engine.reactions``), never through a call from the incidents domain.
"""

from __future__ import annotations

from plantao.oncall import escalations, heartbeats, schedules, settings
from plantao.oncall.escalations import escalate_now, pages, run_timer
from plantao.oncall.heartbeats import beat
from plantao.oncall.heartbeats import check as check_heartbeat

__all__ = [
    "beat",
    "check_heartbeat",
    "escalate_now",
    "escalations",
    "heartbeats",
    "pages",
    "run_timer",
    "schedules",
    "settings",
]
