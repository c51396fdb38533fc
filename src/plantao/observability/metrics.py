"""Prometheus metrics. Label sets are bounded (route templates, not raw paths) on purpose."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "plantao_http_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "plantao_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ALERTS_ACCEPTED = Counter(
    "plantao_intake_accepted_total",
    "Alerts committed to the intake inbox (answered 2xx), by source",
    ["source"],
)
ALERTS_RECEIVED = Counter(
    "plantao_alerts_received_total",
    "Alerts by source and outcome: invalid at the edge; created, refreshed, updated, resolved, "
    "reopened, acknowledged or ignored when the engine applied them",
    ["source", "outcome"],
)
INTAKE_REJECTED = Counter(
    "plantao_intake_rejected_total",
    "Intake requests rejected whole, by source and reason",
    ["source", "reason"],
)
NOTIFY_DELIVERIES = Counter(
    "plantao_notify_deliveries_total",
    "Delivery attempts by channel and outcome (sent, retrying, dead, lost = lease lost)",
    ["channel", "outcome"],
)
NOTIFY_SEND_SECONDS = Histogram(
    "plantao_notify_send_duration_seconds",
    "Time a channel took to deliver or fail one message",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ENGINE_CYCLE = Histogram(
    "plantao_engine_cycle_duration_seconds",
    "Duration of one engine cycle (claim and run due jobs, delivery step)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0),
)
INCIDENTS_UNPAGED = Counter(
    "plantao_incidents_unpaged_total",
    "Incidents opened with no escalation policy after fallback (service, team, global): "
    "nobody was paged",
)
INBOX_FAILED = Counter(
    "plantao_intake_inbox_failed_total",
    "Inbox entries set aside because they could not be applied (kept, retryable)",
)
INBOX_APPLY_DELAY = Histogram(
    "plantao_intake_apply_delay_seconds",
    "From an intake request's commit to the engine applying it (oldest entry of each batch)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
INTAKE_COMMIT_SECONDS = Histogram(
    "plantao_intake_commit_duration_seconds",
    "Time to store one group of intake requests in the inbox (one transaction)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
INTAKE_COMMIT_REQUESTS = Histogram(
    "plantao_intake_commit_requests",
    "Intake requests stored per inbox transaction (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
