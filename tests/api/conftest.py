"""An app on a fresh database with the standard config and a token per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.config import Settings
from plantao.db import session_scope
from tests.factories.config import apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.people import PASSWORD, make_user, token_for


@dataclass
class Api:
    client: TestClient
    factory: sessionmaker[Session]
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def send(self, path: str, body: object) -> Response:
        """POST to an intake endpoint, then apply the inbox as the engine would."""
        res: Response = self.client.post(path, json=body)
        drain(self.factory)
        return res

    def login(self, role: str) -> None:
        """Log the test client in to the web UI as the user holding ``role`` everywhere."""
        res = self.client.post(
            "/login",
            data={"handle": f"{role}-u", "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert res.status_code == 303, res.text

    @staticmethod
    def csrf(html: str) -> str:
        """The CSRF token of the first form on a page."""
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        assert match, "no form with a CSRF token on the page"
        return match.group(1)

    def open_incident(self, path: str, body: object) -> str:
        """Send alerts that open an incident; its human id."""
        res = self.send(path, body)
        assert res.status_code == 202, res.text
        return latest_incident(self.factory)


@pytest.fixture
def api(db_url: str, engine: Engine, factory: sessionmaker[Session]) -> Iterator[Api]:
    apply_standard(factory)
    tokens = {}
    with session_scope(factory) as session:
        for role in ("admin", "responder", "viewer"):
            user = make_user(session, f"{role}-u", global_role=role)
            tokens[role] = token_for(session, user)
    settings = Settings(
        database_url=db_url,
        env="test",
        log_json=True,
        intake_max_body_bytes=64 * 1024,
        base_url="http://plantao.test",
    )
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield Api(client=client, factory=factory, tokens=tokens)
