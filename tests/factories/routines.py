"""Routines for tests: the on-call setup (ana on call on ``primary`` at the frozen start, which
pages team ``sre``) plus routines declared in plantao.yaml and applied through the real apply
service; the engine's routine step run as one engine would."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from plantao.oncall import routines
from plantao.oncall.routine_models import RoutineTask
from tests.factories.config import apply_config, apply_standard
from tests.factories.notify import give_contacts
from tests.factories.oncall import ONCALL

# 2026-11-22 12:00 UTC (the frozen start) is Sunday 09:00 in São Paulo.
DAILY_REVIEW = """
routines:
  - slug: daily-alert-review
    title: {en: Review the last 24 h of alerts, pt-BR: Revisar os alertas das últimas 24 h}
    every: daily
    at: "09:30"
    time_zone: America/Sao_Paulo
    team: sre
    remind_after: 1h
"""


def setup_routines(factory: sessionmaker[Session], text: str = DAILY_REVIEW) -> None:
    """Standard config, the on-call schedules, ana reachable by e-mail, and ``text``."""
    apply_standard(factory)
    apply_config(factory, ONCALL)
    give_contacts(factory, [ContactMethodSpec("mail", "email", "ana@example.com")])
    apply_config(factory, text)


def run_step(factory: sessionmaker[Session]) -> tuple[int, int]:
    """One pass of the routine step's work: (tasks created, reminders sent)."""
    return (
        run_transaction(factory, routines.create_due_tasks),
        run_transaction(factory, routines.remind_overdue),
    )


def all_tasks(factory: sessionmaker[Session]) -> list[RoutineTask]:
    with factory() as s:
        return list(s.scalars(select(RoutineTask).order_by(RoutineTask.due_at)))


def routine_messages(factory: sessionmaker[Session]) -> list[Delivery]:
    with factory() as s:
        return list(
            s.scalars(select(Delivery).where(Delivery.step == "routine").order_by(Delivery.id))
        )
