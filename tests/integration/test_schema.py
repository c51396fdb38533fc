"""Migrations are reversible and the timeline is append-only in the database itself."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from plantao import migrations
from plantao.db import make_engine
from plantao.tables import metadata
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import send_am


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    """upgrade → downgrade → upgrade leaves every table of the models in place."""
    engine = make_engine(db_url, pool_size=1)
    try:
        migrations.downgrade(db_url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(db_url)
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
    finally:
        engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    """Alembic autogenerate finds no difference between the models and the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_timeline_rejects_update_and_delete(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The database refuses to change or delete a timeline entry."""
    apply_standard(factory)
    send_am(factory, am_webhook([am_alert()]))
    for statement in ("UPDATE timeline_entries SET message = 'x'", "DELETE FROM timeline_entries"):
        with factory() as session:
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text(statement))
            session.rollback()
