"""Applying ``operational_review:``: store when the weekly review goes out and move its job.

A file that does not say ``operational_review`` leaves the stored setting alone (the default
is Monday 09:00, on).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.configfile.common import Change
from plantao.configfile.review_schema import OperationalReviewSpec
from plantao.postmortems import iso_weeks, weekly_schedule

__all__ = ["apply_operational_review"]


def apply_operational_review(session: Session, spec: OperationalReviewSpec | None) -> list[Change]:
    if spec is None:
        return []
    wanted = weekly_schedule.ReviewSetting(
        spec.enabled, iso_weeks.SendTime(spec.weekday, iso_weeks.parse_time(spec.time))
    )
    action = weekly_schedule.configure(session, wanted)
    if action == "keep":
        return []
    return [Change("operational review", action, "operational_review")]
