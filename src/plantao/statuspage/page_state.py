"""Telling the engine a page must be rendered again: every change to what a page shows
(a publication, an update, a component, a maintenance) bumps its version in the same
transaction; the engine's snapshot step re-renders pages whose version moved."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao.db import wake_engines
from plantao.statuspage.models import StatusPageState


def touch(session: Session, page_ids: Iterable[int]) -> None:
    """Bump the version of ``page_ids`` (creating their state rows) and wake the engines."""
    ids = sorted(set(page_ids))
    if not ids:
        return
    known = set(
        session.scalars(select(StatusPageState.page_id).where(StatusPageState.page_id.in_(ids)))
    )
    for page_id in ids:
        if page_id not in known:
            session.add(StatusPageState(page_id=page_id, version=1, rendered_version=0))
    if known:
        session.execute(
            update(StatusPageState)
            .where(StatusPageState.page_id.in_(sorted(known)))
            .values(version=StatusPageState.version + 1)
        )
    session.flush()
    wake_engines(session)
