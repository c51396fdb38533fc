"""One year of history for the KPI benchmark, written by PostgreSQL itself.

Why server-side ``INSERT … SELECT generate_series``: 2,000,000 alerts sent through intake would
take hours on two CPUs, and even COPY from Python spends most of its time building rows in the
client. Generating the rows in the database costs one statement per table and finishes in a few
minutes. ``session_replication_role = replica`` skips the foreign-key triggers during the load
(the rows are consistent by construction: every id is read back from the tables the statement
joins); indexes are kept, so the planner sees what production has.

Proportions (per 50,000 incidents over 365 days; every figure scales with ``--incidents``):
severities 3 % Sev1, 15 % Sev2, 42 % Sev3, 40 % Sev4; the first alert 15 s to 10 min before
the incident; acknowledgement delays around each severity's target (about a fifth late, a tenth
of Sev4 auto-resolved unacknowledged); 40 alerts per incident on average, 90 % of them named
like their incident (Alertmanager groups by alertname), the rest any of 300 names, skewed so a
few are loud; 3 % flapping; one page per incident plus a second for a fifth; three status
updates per Sev1/Sev2; a postmortem for every resolved Sev1/Sev2 and a tenth of Sev3 with two
corrective actions each; 20,000 change events (a release version each); a runbook link on
60 % of incidents, half of them confirmed; a timeline of opened/acknowledged/resolved entries,
a reopening for one incident in 33, and one ``alert.attached`` entry per alert.
``setseed`` makes runs repeatable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

ROOT_CAUSES = (
    "change_config",
    "change_code",
    "change_infra",
    "capacity",
    "external_dependency",
    "data",
    "security",
    "process",
)

INCIDENTS = """
INSERT INTO incidents (human_id, title, status, severity, service_id, group_key,
  group_window_seconds, auto_resolve, detected_at, triggered_at, acknowledged_at, mitigated_at,
  resolved_at, closed_at, last_alert_at, created_by, private, category)
SELECT 'INC-B' || g, 'Bench incident ' || g,
  CASE WHEN g >= %(n)s - 20 THEN 'triggered' ELSE 'resolved' END,
  sev, (%(services)s::int[])[1 + g %% cardinality(%(services)s::int[])], 'bench-' || g, 300,
  (g %% 3 = 0), t, t,
  CASE WHEN g >= %(n)s - 20 OR (sev = 'sev4' AND r2 < 0.1) THEN NULL
       ELSE t + make_interval(secs => ack * (0.2 + 1.3 * r2 * r2)) END,
  CASE WHEN g >= %(n)s - 20 THEN NULL ELSE t + make_interval(secs => fix * 0.5 * r3) END,
  CASE WHEN g >= %(n)s - 20 THEN NULL ELSE t + make_interval(secs => fix * (0.3 + r3)) END,
  NULL, t + interval '60 seconds', 'bench', false, NULL
FROM (
  SELECT g, t, r2, r3,
    CASE WHEN r1 < 0.03 THEN 'sev1' WHEN r1 < 0.18 THEN 'sev2'
         WHEN r1 < 0.60 THEN 'sev3' ELSE 'sev4' END AS sev,
    CASE WHEN r1 < 0.03 THEN 300 WHEN r1 < 0.18 THEN 900 ELSE 3600 END AS ack,
    CASE WHEN r1 < 0.03 THEN 3600 WHEN r1 < 0.18 THEN 14400 ELSE 86400 END AS fix
  FROM (
    SELECT g, random() AS r1, random() AS r2, random() AS r3,
      %(start)s::timestamptz + make_interval(secs => g * %(step)s + random() * %(step)s) AS t
    FROM generate_series(0, %(n)s - 1) AS g
  ) raw
) picked
"""

ALERTS = """
INSERT INTO alerts (integration_id, service_id, incident_id, identity, source, status, summary,
  severity, labels, annotations, details, content_hash, starts_at, ends_at, first_seen_at,
  last_seen_at, resolved_at, repeat_count, flap_count)
SELECT ig.id, i.service_id, i.id, 'bench-' || a.g, 'alertmanager', 'resolved',
  'Alert ' || a.aname || ' on node-' || (a.g %% 50), i.severity,
  jsonb_build_object('alertname', a.aname, 'instance', 'node-' || (a.g %% 50)), '{}'::jsonb,
  '{}'::jsonb, md5(a.g::text), a.started,
  coalesce(i.resolved_at, i.triggered_at + interval '1 hour'),
  a.started, i.triggered_at + make_interval(secs => 60 * a.r),
  coalesce(i.resolved_at, i.triggered_at + interval '1 hour'), (a.g %% 7),
  CASE WHEN a.r < 0.03 THEN 1 + (a.g %% 3) ELSE 0 END
FROM (
  SELECT g, random() AS r, random() AS r2,
    'Alert' || floor(300 * power(random(), 3))::int AS other
  FROM generate_series(0, %(alerts)s - 1) AS g
) raw
JOIN incidents i ON i.id = %(first)s + (raw.g %% %(n)s)
CROSS JOIN LATERAL (
  SELECT raw.g, raw.r,
    i.triggered_at - make_interval(secs => (30 + (i.id * 7919) %% 600) * (0.5 + 0.5 * raw.r))
      AS started,
    CASE WHEN raw.r2 < 0.9
    THEN 'Alert' || floor(300 * power(((i.id * 2654435761::bigint) %% 1000) / 1000.0, 3))::int
    ELSE raw.other END AS aname
) a
JOIN integrations ig ON ig.service_id = i.service_id
"""

PAGES = """
INSERT INTO oncall_pages (incident_id, firing, label, user_id, urgency, paged_at)
SELECT i.id, f, 'step ' || f,
  (%(users)s::int[])[1 + (i.id * 7 + f) %% cardinality(%(users)s::int[])],
  CASE WHEN i.severity IN ('sev1', 'sev2') THEN 'high' ELSE 'low' END,
  i.triggered_at + make_interval(secs => 5 + (f - 1) * 300)
FROM incidents i CROSS JOIN generate_series(1, 2) AS f
WHERE f = 1 OR i.id %% 5 = 0
"""

STATUS_UPDATES = """
INSERT INTO status_updates (incident_id, kind, status, impact, next_steps, posted_by, posted_at,
  next_update_due_at)
SELECT i.id, CASE k WHEN 0 THEN 'initial' WHEN 1 THEN 'update' ELSE 'resolution' END,
  CASE k WHEN 0 THEN 'investigating' WHEN 1 THEN 'identified' ELSE 'resolved' END,
  'Checkout slower for some customers', '[]'::jsonb, 'bench',
  i.triggered_at + make_interval(secs => 600 + k * (1500 + 900 * random())),
  i.triggered_at + make_interval(secs => 600 + k * 1500 + 1800)
FROM incidents i CROSS JOIN generate_series(0, 2) AS k
WHERE i.severity IN ('sev1', 'sev2')
"""

CHANGES = """
INSERT INTO change_events (integration_id, service_id, summary, source, occurred_at, received_at,
  details)
SELECT ig.id, ig.service_id, 'Deploy ' || v, 'ci', at, at,
  jsonb_build_object('version', v, 'release', v)
FROM (
  SELECT g, (%(services)s::int[])[1 + g %% cardinality(%(services)s::int[])] AS service_id,
    %(start)s::timestamptz + make_interval(secs => random() * 365 * 86400) AS at,
    'v1.' || (g / 100) || '.' || (g %% 100) AS v
  FROM generate_series(0, %(changes)s - 1) AS g
) c
JOIN integrations ig ON ig.service_id = c.service_id
"""

POSTMORTEMS = """
INSERT INTO postmortems (incident_id, status, required, due_at, owner_user_id, language, markdown,
  version, root_cause, cause_change_id, created_by, created_at, updated_at, published_at,
  published_by)
SELECT i.id, CASE WHEN r < 0.85 THEN 'published' ELSE 'draft' END, true,
  i.resolved_at + interval '5 days', (%(users)s::int[])[1 + i.id %% cardinality(%(users)s::int[])],
  'en', '', 1, (%(causes)s::text[])[1 + i.id %% 8],
  CASE WHEN i.id %% 8 < 3 THEN (
    SELECT c.id FROM change_events c
    WHERE c.service_id = i.service_id AND c.occurred_at <= i.triggered_at
    ORDER BY c.occurred_at DESC LIMIT 1) END,
  'bench', i.resolved_at, i.resolved_at,
  CASE WHEN r < 0.85 THEN i.resolved_at + make_interval(secs => r * 8 * 86400) END,
  CASE WHEN r < 0.85 THEN 'bench' END
FROM (SELECT *, random() AS r FROM incidents) i
WHERE i.resolved_at IS NOT NULL
  AND (i.severity IN ('sev1', 'sev2') OR (i.severity = 'sev3' AND i.id %% 10 = 0))
"""

ACTIONS = """
INSERT INTO corrective_actions (postmortem_id, incident_id, service_id, title, owner_user_id,
  due_date, severity, kind, must_fix, status, created_by, created_at, updated_at, done_at)
SELECT p.id, i.id, i.service_id, 'Action ' || a || ' of ' || i.human_id, p.owner_user_id,
  (p.created_at + interval '14 days')::date, i.severity,
  (ARRAY['quick_fix', 'hardening', 'prevention', 'follow_up'])[1 + (p.id + a) %% 4],
  a = 0 AND i.severity = 'sev1', CASE WHEN r < 0.7 THEN 'done' ELSE 'open' END, 'bench',
  p.created_at, p.created_at,
  CASE WHEN r < 0.7 THEN p.created_at + make_interval(secs => r * 20 * 86400) END
FROM postmortems p JOIN incidents i ON i.id = p.incident_id
CROSS JOIN LATERAL (SELECT a, random() AS r FROM generate_series(0, 1) AS a) x
"""

# The timeline as intake and responders write it: opened, acknowledged, resolved (by the
# integration when nobody acknowledged), a reopening and second resolution for the flapping 3 %,
# and one ``alert.attached`` entry per alert, so the noise KPIs' (kind, incident_id) probes run
# against a table the size of production's rather than an empty one.
TIMELINE = """
INSERT INTO timeline_entries (incident_id, at, kind, actor, message, data)
SELECT i.id, e.at, e.kind, e.actor, e.kind, e.data
FROM incidents i CROSS JOIN LATERAL (VALUES
  (i.triggered_at, 'incident.triggered', 'integration:am', '{}'::jsonb),
  (i.acknowledged_at, 'incident.acknowledged', 'user:bench', '{}'::jsonb),
  (i.resolved_at, 'incident.resolved',
   CASE WHEN i.acknowledged_at IS NULL THEN 'integration:am' ELSE 'user:bench' END, '{}'::jsonb),
  (CASE WHEN i.id %% 33 = 0 THEN i.resolved_at + interval '3 minutes' END,
   'incident.triggered', 'integration:am', '{"from": "resolved"}'::jsonb),
  (CASE WHEN i.id %% 33 = 0 THEN i.resolved_at + interval '9 minutes' END,
   'incident.resolved', 'integration:am', '{}'::jsonb)
) AS e(at, kind, actor, data)
WHERE e.at IS NOT NULL
UNION ALL
SELECT a.incident_id, a.first_seen_at, 'alert.attached', 'integration:am', a.summary, '{}'::jsonb
FROM alerts a
"""

RUNBOOK_LINKS = """
INSERT INTO runbook_links (incident_id, ref, runbook_id, lang, title, source, score, why,
  created_at, confirmed_at, confirmed_by)
SELECT i.id, 'rb-' || (i.id %% 40), 'rb-' || (i.id %% 40), 'en', 'Runbook ' || (i.id %% 40),
  CASE WHEN i.id %% 2 = 0 THEN 'suggestion' ELSE 'matcher' END, 0.8, 'bench', i.triggered_at,
  CASE WHEN i.id %% 10 < 3 THEN i.triggered_at + interval '10 minutes' END,
  CASE WHEN i.id %% 10 < 3 THEN 'bench' END
FROM incidents i WHERE i.id %% 10 < 6
"""


def seed(
    url: str,
    *,
    incidents: int,
    alerts: int,
    changes: int,
    now: datetime,
    report: Callable[[str, int, float], None],
) -> None:
    """Write the history described in the module docstring into the migrated database ``url``
    (services, integrations and users already applied); ``report(table, rows, seconds)`` after
    each statement."""
    start = now - timedelta(days=365)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SELECT setseed(0.42)")
        services = [r[0] for r in conn.execute("SELECT id FROM services ORDER BY id")]
        users = [r[0] for r in conn.execute("SELECT id FROM users WHERE kind = 'user' ORDER BY id")]
        params = {
            "n": incidents,
            "alerts": alerts,
            "changes": changes,
            "start": start,
            "step": 365 * 86400 / incidents,
            "services": services,
            "users": users,
            "causes": list(ROOT_CAUSES),
        }

        def run(table: str, sql: str) -> None:
            began = time.monotonic()
            cursor = conn.execute(sql.encode(), params)
            report(table, cursor.rowcount, time.monotonic() - began)

        run("incidents", INCIDENTS)
        first = conn.execute("SELECT min(id) FROM incidents").fetchone()
        params["first"] = int(first[0]) if first else 1
        run("alerts", ALERTS)
        run("oncall_pages", PAGES)
        run("status_updates", STATUS_UPDATES)
        run("change_events", CHANGES)
        run("postmortems", POSTMORTEMS)
        run("corrective_actions", ACTIONS)
        run("runbook_links", RUNBOOK_LINKS)
        run("timeline_entries", TIMELINE)
        conn.execute("SET session_replication_role = DEFAULT")
        began = time.monotonic()
        conn.execute("VACUUM ANALYZE")
        report("vacuum analyze", 0, time.monotonic() - began)
