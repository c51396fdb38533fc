"""``release_gate:`` in ``plantao.yaml``: applied to the gate's settings, idempotent, and a
service whose setting leaves the file goes back to the installation default."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.catalog.models import Service
from plantao.configfile.schema import ConfigError, load_text
from plantao.db import session_scope
from plantao.postmortems import gate_settings
from tests.factories.config import apply_config, apply_standard

WITH_GATE = """
version: 1
release_gate: {block_open_severities: [SEV1]}
services:
  - {slug: checkout, name: Checkout, team: sre, release_gate: {block_open_severities: []}}
"""
WITHOUT_SERVICE_GATE = """
version: 1
release_gate: {block_open_severities: [sev1, sev2, sev3]}
services:
  - {slug: checkout, name: Checkout, team: sre}
"""


def blocking(factory: sessionmaker[Session], slug: str) -> frozenset[str]:
    with session_scope(factory) as session:
        sid = session.scalars(select(Service.id).where(Service.slug == slug)).one()
        return gate_settings.block_severities(session, sid)


def test_default_without_settings(factory: sessionmaker[Session]) -> None:
    """With nothing configured, open Sev1 and Sev2 incidents block."""
    apply_standard(factory)
    assert blocking(factory, "checkout") == {"sev1", "sev2"}


def test_apply_sets_default_and_service_settings(factory: sessionmaker[Session]) -> None:
    """The top level sets the default, a service's own wins; applying again changes nothing."""
    apply_standard(factory)
    changes = apply_config(factory, WITH_GATE)
    assert {str(c) for c in changes if c.kind == "release gate"}
    assert blocking(factory, "checkout") == frozenset()
    assert blocking(factory, "orders") == {"sev1"}
    again = apply_config(factory, WITH_GATE)
    assert [c for c in again if c.kind == "release gate"] == []


def test_removed_service_setting_falls_back(factory: sessionmaker[Session]) -> None:
    """A service whose release_gate left the file uses the installation default again."""
    apply_standard(factory)
    apply_config(factory, WITH_GATE)
    changes = apply_config(factory, WITHOUT_SERVICE_GATE)
    assert any(c.kind == "release gate" and c.action == "delete" for c in changes)
    assert blocking(factory, "checkout") == {"sev1", "sev2", "sev3"}


def test_unknown_severity_is_refused() -> None:
    """An unknown severity names its place in the file."""
    with pytest.raises(ConfigError) as error:
        load_text("version: 1\nrelease_gate: {block_open_severities: [sev9]}\n")
    assert "release_gate.block_open_severities" in str(error.value)
    assert "sev9" in str(error.value)
