"""A standard configuration for tests, applied through the real apply service."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from plantao.catalog.models import Integration
from plantao.configfile import service as config_service
from plantao.configfile.common import Change
from plantao.configfile.schema import load_text
from plantao.db import session_scope

STANDARD = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana]}]
users: [{handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}]
services:
  - {slug: checkout, name: Checkout, team: sre}
  - {slug: orders, name: Orders, team: sre}
  - {slug: default, name: Default, team: sre}
integrations:
  - {slug: am, name: AM, kind: alertmanager, service: default, key: am-key-0123456789abcdef}
  - {slug: grafana, name: Grafana, kind: grafana, service: default, key: gf-key-0123456789abcdef}
  - {slug: pd, name: PagerDuty, kind: pagerduty, service: default, key: pd-key-0123456789abcdef}
  - {slug: gen, name: Generic, kind: generic, service: default, key: gen-key-0123456789abcdef}
routes:
  - name: checkout by alertname
    matchers: ['service="checkout"']
    service: checkout
    group_by: [alertname]
    group_window: 1h
  - name: orders keep open
    matchers: ['service="orders"']
    service: orders
    group_by: [alertname]
    group_window: 1h
    auto_resolve: false
severity_matrix:
  default: sev3
  rules:
    - {matchers: ['alertname="DataLeak"'], severity: sev1}
"""

AM_KEY = "am-key-0123456789abcdef"
GRAFANA_KEY = "gf-key-0123456789abcdef"
PD_KEY = "pd-key-0123456789abcdef"
GENERIC_KEY = "gen-key-0123456789abcdef"


def apply_config(factory: sessionmaker[Session], text: str, *, prune: bool = False) -> list[Change]:
    """Apply a plantao.yaml document in one transaction, as ``plantao apply`` does."""
    with session_scope(factory) as session:
        return config_service.apply(session, load_text(text), prune=prune)


def apply_standard(factory: sessionmaker[Session]) -> None:
    apply_config(factory, STANDARD)


def integration(session: Session, slug: str) -> Integration:
    from sqlalchemy import select

    return session.scalars(select(Integration).where(Integration.slug == slug)).one()
