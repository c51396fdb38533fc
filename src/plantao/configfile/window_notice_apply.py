"""Applying ``maintenance_windows[].status_page`` of ``plantao.yaml``: which of the file's windows
a status page shows, in which public words (opt-in per window; a window without the key is not
shown, and one that loses it disappears from the page).

Runs after the windows and the status pages of the same file are applied, so a component the
file adds may be named at once; a component or page that does not exist is reported at its place
in the file and nothing is applied.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.configfile.common import Change
from plantao.configfile.schema import ConfigFile
from plantao.errors import ValidationFailed
from plantao.oncall.models import Silence
from plantao.statuspage import maintenance, maintenance_jobs
from plantao.statuspage.models import StatusComponent, StatusMaintenance, StatusPage
from plantao.statuspage.pages import DEFAULT_SLUG, ensure_default


def _problems(session: Session, config: ConfigFile) -> list[str]:
    pages = {p.slug: p.id for p in session.scalars(select(StatusPage))}
    slugs: dict[int, set[str]] = {}
    for page_id, slug in session.execute(select(StatusComponent.page_id, StatusComponent.slug)):
        slugs.setdefault(page_id, set()).add(slug)
    problems: list[str] = []
    for index, window in enumerate(config.maintenance_windows or []):
        notice = window.status_page
        if notice is None:
            continue
        where = f"maintenance_windows[{index}].status_page"
        if notice.page not in pages:
            problems.append(f"{where}.page: unknown status page '{notice.page}'")
            continue
        known = slugs.get(pages[notice.page], set())
        for c_index, component in enumerate(notice.components):
            if component not in known:
                problems.append(
                    f"{where}.components[{c_index}]: unknown component '{component}' "
                    f"on status page '{notice.page}'"
                )
    return problems


def apply_window_notices(session: Session, config: ConfigFile) -> list[Change]:
    """Make the file's windows shown exactly as the file says; returns the changes."""
    if config.maintenance_windows is None:
        return []
    if any(
        w.status_page is not None and w.status_page.page == DEFAULT_SLUG
        for w in config.maintenance_windows
    ):
        ensure_default(session)
    problems = _problems(session, config)
    if problems:
        raise ValidationFailed("\n".join(problems))
    windows = {
        s.name: s.id for s in session.scalars(select(Silence).where(Silence.origin == "config"))
    }
    shown = {
        (m.silence_id, m.page_id): m
        for m in session.scalars(
            select(StatusMaintenance).where(StatusMaintenance.silence_id.in_(windows.values()))
        )
    }
    page_ids = {p.slug: p.id for p in session.scalars(select(StatusPage))}
    changes: list[Change] = []
    touched: set[int] = set()
    wanted: set[tuple[int, int]] = set()
    for window in config.maintenance_windows:
        notice = window.status_page
        if notice is None:
            continue
        key = (windows[window.name], page_ids[notice.page])
        wanted.add(key)
        before = shown.get(key)
        components = tuple(dict.fromkeys(notice.components))
        if before is not None and (before.title, before.body, tuple(before.components)) == (
            notice.title,
            notice.body,
            components,
        ):
            continue
        maintenance.announce(
            session,
            key[0],
            maintenance.Announcement(notice.page, notice.title, notice.body, components),
        )
        action = "create" if before is None else "update"
        changes.append(Change("status page maintenance", action, f"{window.name} → {notice.page}"))
        touched.add(key[1])
    slug_of = {v: k for k, v in page_ids.items()}
    for (silence_id, page_id), row in sorted(shown.items()):
        if (silence_id, page_id) in wanted:
            continue
        maintenance.withdraw(session, silence_id, slug_of[page_id])
        name = next(n for n, i in windows.items() if i == silence_id)
        changes.append(Change("status page maintenance", "delete", f"{name} → {slug_of[page_id]}"))
        touched.add(page_id)
        del row
    # Even when no words changed, the windows' times may have: recompute, reschedule.
    maintenance_jobs.after_change(session, sorted(touched | {k[1] for k in wanted}))
    return changes
