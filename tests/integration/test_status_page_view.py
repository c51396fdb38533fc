"""The status page's view of a scripted state, and the engine step that keeps its snapshots
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.status_snapshot_step import StatusSnapshotStep
from plantao.statuspage import page_gather, page_state, snapshots
from plantao.statuspage.models import StatusPage, StatusPageState, StatusSnapshot
from tests.factories.config import apply_standard
from tests.factories.status_page_state import SECRET_TITLE, Scripted, _incident, script


def _scripted(factory: sessionmaker[Session], now: datetime) -> Scripted:
    apply_standard(factory)
    return script(factory, now)


def test_view_groups_components_by_their_first_position(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Groups come in the order of their smallest position, ungrouped ones in a group of None."""
    ids = _scripted(factory, frozen)
    with session_scope(factory) as s:
        view = page_gather.view(s, s.get(StatusPage, ids.page_id), frozen)  # type: ignore[arg-type]
    # The standard config's components are ungrouped at position 0: their group comes first.
    assert [g.name for g in view.groups] == [None, "Data", "Core"]
    assert [c.slug for c in view.groups[2].components] == ["api", "web"]
    assert view.groups[0].components[-1].slug == "docs"
    assert [g.status for g in view.groups][1:] == ["operational", "major_outage"]
    assert (view.status, view.indicator) == ("major_outage", "critical")


def test_view_shows_open_and_recent_incidents_never_private_ones(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Open incidents and those resolved in 14 days show, updates newest first; an incident
    whose internal incident is private does not, nor does an older resolved one."""
    ids = _scripted(factory, frozen)
    with session_scope(factory) as s:
        view = page_gather.view(s, s.get(StatusPage, ids.page_id), frozen)  # type: ignore[arg-type]
    assert [i.title for i in view.open_incidents] == ["Checkout is failing"]
    assert [i.title for i in view.resolved_incidents] == ["Slow logins"]
    opened = view.open_incidents[0]
    assert [u.status for u in opened.updates] == ["identified", "investigating"]
    assert opened.components == (("api", "major_outage"),)
    assert (
        opened.url == f"http://127.0.0.1:8080/status/incidents/{ids.open_id}"
        or opened.url.endswith(f"/status/incidents/{ids.open_id}")
    )
    assert view.page.branding.brand_color == "#aa0000"
    assert [link.label for link in view.page.branding.footer_links] == ["Support"]


def test_history_pages_resolved_incidents_without_private_ones(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The history lists resolved incidents newest first, paged; a private one is not found."""
    ids = _scripted(factory, frozen)
    with session_scope(factory) as s:
        page = s.get(StatusPage, ids.page_id)
        assert page is not None
        first, total = page_gather.history(s, page, 1, per_page=1)
        second, _ = page_gather.history(s, page, 2, per_page=1)
        assert page_gather.incident(s, page, ids.hidden_id) is None
        assert page_gather.incident(s, page, ids.old_id) is not None
    assert total == 2
    assert [i.title for i in first + second] == ["Slow logins", "Old outage"]


def test_view_costs_the_same_queries_whatever_the_page_holds(
    engine: Engine, factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Ten more open incidents add no query to building the view."""
    ids = _scripted(factory, frozen)

    def count() -> int:
        seen: list[str] = []

        def record(*args: object) -> None:
            seen.append("q")

        event.listen(engine, "before_cursor_execute", record)
        try:
            with session_scope(factory) as s:
                page_gather.view(s, s.get(StatusPage, ids.page_id), frozen)  # type: ignore[arg-type]
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    before = count()
    with session_scope(factory) as s:
        page = s.get(StatusPage, ids.page_id)
        assert page is not None
        for n in range(10):
            at = frozen - timedelta(minutes=n + 1)
            _incident(s, page, f"More {n}", at, None, [], [("investigating", "x", at)])
    assert count() == before


def test_snapshot_step_renders_changed_pages_once_into_rows_and_files(
    db_url: str, factory: sessionmaker[Session], frozen: datetime, tmp_path: Path
) -> None:
    """The step renders every page whose version moved (rows and files), then nothing until a
    page changes again; the HTML never holds a private incident's title."""
    ids = _scripted(factory, frozen)
    settings = Settings(database_url=db_url, env="test", status_snapshot_dir=tmp_path)
    step = StatusSnapshotStep(settings)
    assert step(factory, "w1") == 3
    with session_scope(factory) as s:
        names = set(
            s.scalars(select(StatusSnapshot.name).where(StatusSnapshot.page_id == ids.page_id))
        )
        states = {st.page_id: st for st in s.scalars(select(StatusPageState))}
        html = s.scalar(
            select(StatusSnapshot.body).where(
                StatusSnapshot.page_id == ids.page_id, StatusSnapshot.name == "html:pt-BR"
            )
        )
    assert {"html:en", "html:pt-BR", "summary.json", "feed.atom", "theme.css"} <= names
    assert f"incident:{ids.open_id}:en" in names and f"incident:{ids.recent_id}:en" in names
    assert all(st.rendered_version == st.version for st in states.values())
    assert html is not None and "Checkout is failing" in html and SECRET_TITLE not in html
    assert "Incidentes em andamento" in html
    entries, found = snapshots.read_files(tmp_path)
    assert {e.slug for e in entries} >= {"public", "internal", "acme"}
    assert {a.name for a in found[ids.page_id]} == names
    assert step(factory, "w1") == 0
    with session_scope(factory) as s:
        page_state.touch(s, [ids.host_page_id])
    assert step(factory, "w1") == 1


def test_snapshot_step_renders_every_page_again_after_a_minute(
    db_url: str, factory: sessionmaker[Session], frozen: datetime, tmp_path: Path
) -> None:
    """A page rendered more than a minute ago is rendered again without any change, that
    refresh is not reported as work, and snapshots whose bytes did not change are not
    rewritten."""
    ids = _scripted(factory, frozen)
    step = StatusSnapshotStep(
        Settings(database_url=db_url, env="test", status_snapshot_dir=tmp_path)
    )
    step(factory, "w1")
    clock.freeze(frozen + timedelta(minutes=2))
    step._next_sweep = 0.0
    assert step(factory, "w1") == 0
    with session_scope(factory) as s:
        theme_at = s.scalar(
            select(StatusSnapshot.generated_at).where(
                StatusSnapshot.page_id == ids.page_id, StatusSnapshot.name == "theme.css"
            )
        )
        assert theme_at is not None and theme_at.replace(tzinfo=None) == frozen.replace(tzinfo=None)
        state = s.get(StatusPageState, ids.page_id)
        assert state is not None and state.rendered_at is not None
        assert state.rendered_at.replace(tzinfo=None) == (frozen + timedelta(minutes=2)).replace(
            tzinfo=None
        )
