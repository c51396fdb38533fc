"""The production engine loop for tests that need every job kind and every step at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from plantao.config import Settings
from plantao.engine.handlers import registry, steps
from plantao.engine.runner import EngineLoop


def engine_loop(factory: sessionmaker[Session], **kwargs: Any) -> EngineLoop:
    """The production loop (every job kind and step) with test settings."""
    settings = Settings(env="test")
    return EngineLoop(factory=factory, kinds=registry(settings), steps=steps(settings), **kwargs)
