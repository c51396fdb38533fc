"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), clock, app, tokens.

Integration and API tests take the ``db_url`` fixture, parametrised over SQLite and, when
``PLANTAO_TEST_POSTGRES_URL`` is set, PostgreSQL: the same test runs on both. Each test gets an
empty, fully migrated database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock, migrations
from plantao.auth import keyring
from plantao.db import make_engine, make_sessionmaker
from plantao.tables import metadata
from tests.factories.requirements import require_component

POSTGRES_URL = os.environ.get("PLANTAO_TEST_POSTGRES_URL", "")
# Engine steps run by tests write status-page snapshot files: never into the working tree.
os.environ.setdefault(
    "PLANTAO_STATUS_SNAPSHOT_DIR",
    os.path.join(tempfile.gettempdir(), f"plantao-test-status-snapshots-{os.getpid()}"),
)


def _backends() -> list[str]:
    return ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    require_component("PostgreSQL (set PLANTAO_TEST_POSTGRES_URL)", bool(POSTGRES_URL))
    name = f"plantao_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    url = f"{base}/{name}"
    migrations.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    keyring.forget_cached()  # a key read from the previous test's database must not sign
    if request.param == "sqlite":
        path = tmp_path / "plantao.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return empty_postgres(url)


def empty_postgres(url: str) -> str:
    """Truncate every table of the test database so the test starts from nothing."""
    engine = make_engine(url, pool_size=1)
    with engine.begin() as conn:
        tables = ", ".join(metadata.tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, pool_size=10)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def frozen() -> Iterator[datetime]:
    start = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    clock.freeze(start)
    yield start
    clock.unfreeze()
