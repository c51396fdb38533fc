"""Schedules, layers, overrides and DST behaviour of plantao.oncall.rotation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from plantao.oncall.rotation import (
    WEEKDAYS,
    Layer,
    Override,
    OverrideKind,
    Rotation,
    Schedule,
    Shift,
    ShiftLength,
    TimeWindow,
    next_shifts,
    resolve_local,
    shifts,
    who_is_on_call,
)

SAO_PAULO = "America/Sao_Paulo"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def single_layer(rotation: Rotation, *overrides: Override) -> Schedule:
    return Schedule("Payments", (Layer("primary", rotation),), overrides)


def daily(
    tz: str, start: date, handoff: time, people: tuple[str, ...] = ("ana", "bia", "caio")
) -> Rotation:
    return Rotation(people, ShiftLength.daily(), start, handoff, tz)


# --- local-time resolution ---------------------------------------------------------------


def test_resolve_local_moves_nonexistent_time_forward_by_the_gap() -> None:
    """Berlin 2024-03-31 02:30 does not exist and resolves to 03:30 CEST."""
    resolved = resolve_local(date(2024, 3, 31), time(2, 30), ZoneInfo(BERLIN))
    assert resolved == utc(2024, 3, 31, 1, 30)
    assert resolved.astimezone(ZoneInfo(BERLIN)).time() == time(3, 30)


def test_resolve_local_picks_first_occurrence_of_ambiguous_time() -> None:
    """Berlin 2024-10-27 02:30 happens twice; the first (CEST, 00:30 UTC) is chosen."""
    assert resolve_local(date(2024, 10, 27), time(2, 30), ZoneInfo(BERLIN)) == utc(
        2024, 10, 27, 0, 30
    )


def test_resolve_local_sao_paulo_midnight_gap_becomes_one_am() -> None:
    """Brazil's 2018-11-04 spring-forward skipped 00:00-01:00; midnight resolves to 01:00 -02."""
    resolved = resolve_local(date(2018, 11, 4), time(0, 0), ZoneInfo(SAO_PAULO))
    assert resolved == utc(2018, 11, 4, 3, 0)
    assert resolved.astimezone(ZoneInfo(SAO_PAULO)).hour == 1


# --- calendar rotations across DST -------------------------------------------------------


def test_daily_handoff_stays_at_local_nine_across_sao_paulo_spring_forward() -> None:
    """The shift containing the 2018-11-04 change lasts 23 h and both hand-offs are 09:00 local."""
    schedule = single_layer(daily(SAO_PAULO, date(2018, 11, 1), time(9)))
    found = shifts(schedule, utc(2018, 11, 3, 12), utc(2018, 11, 5, 11))
    assert [(s.user, s.start, s.end) for s in found] == [
        ("caio", utc(2018, 11, 3, 12), utc(2018, 11, 4, 11)),
        ("ana", utc(2018, 11, 4, 11), utc(2018, 11, 5, 11)),
    ]
    assert found[0].end - found[0].start == timedelta(hours=23)
    zone = ZoneInfo(SAO_PAULO)
    assert {s.start.astimezone(zone).time() for s in found} == {time(9)}


def test_midnight_handoff_on_sao_paulo_gap_day_happens_at_one_am() -> None:
    """A 00:00 hand-off on 2018-11-04 (nonexistent) happens at 01:00 local, 03:00 UTC."""
    schedule = single_layer(daily(SAO_PAULO, date(2018, 11, 1), time(0)))
    assert who_is_on_call(schedule, utc(2018, 11, 4, 2, 59)) == ["caio"]
    assert who_is_on_call(schedule, utc(2018, 11, 4, 3, 0)) == ["ana"]
    found = shifts(schedule, utc(2018, 11, 4, 3), utc(2018, 11, 5, 3))
    assert found[0] == Shift("ana", utc(2018, 11, 4, 3), utc(2018, 11, 5, 2), "primary")
    assert found[0].end - found[0].start == timedelta(hours=23)


def test_daily_shift_containing_sao_paulo_fall_back_lasts_25_hours() -> None:
    """On 2019-02-17 Brazil repeated 23:00-24:00; the 09:00 hand-offs are 25 h apart."""
    schedule = single_layer(daily(SAO_PAULO, date(2019, 2, 15), time(9)))
    found = shifts(schedule, utc(2019, 2, 16, 11), utc(2019, 2, 17, 12))
    assert found == [Shift("bia", utc(2019, 2, 16, 11), utc(2019, 2, 17, 12), "primary")]


def test_ambiguous_handoff_uses_first_occurrence_in_sao_paulo() -> None:
    """A 23:30 hand-off on 2019-02-16 (repeated hour) happens at the first 23:30 (-02)."""
    schedule = single_layer(daily(SAO_PAULO, date(2019, 2, 15), time(23, 30)))
    assert who_is_on_call(schedule, utc(2019, 2, 17, 1, 29)) == ["ana"]
    assert who_is_on_call(schedule, utc(2019, 2, 17, 1, 30)) == ["bia"]
    nxt = next_shifts(schedule, utc(2019, 2, 17, 1, 30), 2)
    assert nxt[0].end - nxt[0].start == timedelta(hours=25)
    assert nxt[1].start == utc(2019, 2, 18, 2, 30)


def test_weekly_berlin_rotation_spanning_spring_forward_is_167_hours() -> None:
    """A Monday 09:00 weekly hand-off over the last Sunday of March yields a 167 h week."""
    rotation = Rotation(("ana", "bia"), ShiftLength.weekly(), date(2024, 3, 25), time(9), BERLIN)
    found = shifts(single_layer(rotation), utc(2024, 3, 25, 8), utc(2024, 4, 8, 7))
    assert [(s.user, s.end - s.start) for s in found] == [
        ("ana", timedelta(hours=167)),
        ("bia", timedelta(hours=168)),
    ]
    assert found[1].start.astimezone(ZoneInfo(BERLIN)).time() == time(9)


def test_berlin_daily_shift_over_october_change_is_25_hours() -> None:
    """2024-10-27 (last Sunday of October) makes the Saturday 09:00 shift 25 h long."""
    schedule = single_layer(daily(BERLIN, date(2024, 10, 1), time(9)))
    sat = next_shifts(schedule, utc(2024, 10, 26, 7), 1)[0]
    assert (sat.start, sat.end) == (utc(2024, 10, 26, 7), utc(2024, 10, 27, 8))


def test_handoff_inside_berlin_gap_moves_forward() -> None:
    """A 02:30 hand-off on 2024-03-31 happens at 03:30 CEST (01:30 UTC)."""
    schedule = single_layer(daily(BERLIN, date(2024, 3, 30), time(2, 30)))
    assert who_is_on_call(schedule, utc(2024, 3, 31, 1, 29)) == ["ana"]
    assert who_is_on_call(schedule, utc(2024, 3, 31, 1, 30)) == ["bia"]


def test_hourly_rotation_is_anchored_in_absolute_time_across_new_york_gap() -> None:
    """Hourly turns in New York stay exactly one real hour long on 2024-03-10."""
    rotation = Rotation(("ana", "bia"), ShiftLength.hourly(), date(2024, 3, 10), time(0), NEW_YORK)
    found = shifts(single_layer(rotation), utc(2024, 3, 10, 5), utc(2024, 3, 10, 10))
    assert [s.user for s in found] == ["ana", "bia", "ana", "bia", "ana"]
    assert all(s.end - s.start == timedelta(hours=1) for s in found)


def test_new_york_eight_hour_custom_rotation_over_fall_back() -> None:
    """A custom 8 h rotation ignores the 2024-11-03 repeated hour: hand-offs every 8 real hours."""
    rotation = Rotation(
        ("ana", "bia", "caio"),
        ShiftLength.custom(timedelta(hours=8)),
        date(2024, 11, 2),
        time(0),
        NEW_YORK,
    )
    schedule = single_layer(rotation)
    found = shifts(schedule, utc(2024, 11, 2, 4), utc(2024, 11, 4, 4))
    assert len(found) == 6
    assert all(s.end - s.start == timedelta(hours=8) for s in found)
    zone = ZoneInfo(NEW_YORK)
    assert found[3].start.astimezone(zone).hour == 0  # 00:00 EDT
    assert found[4].start.astimezone(zone).hour == 7  # 8 real hours later is 07:00 EST


def test_new_york_daily_handoff_stays_local_after_fall_back() -> None:
    """A 09:00 daily hand-off is 13:00 UTC before and 14:00 UTC after 2024-11-03."""
    schedule = single_layer(daily(NEW_YORK, date(2024, 11, 1), time(9)))
    found = shifts(schedule, utc(2024, 11, 2, 13), utc(2024, 11, 4, 14))
    assert [s.start for s in found] == [utc(2024, 11, 2, 13), utc(2024, 11, 3, 14)]


# --- basics ------------------------------------------------------------------------------


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    """The rotation begins at its first hand-off; earlier instants have nobody."""
    schedule = single_layer(daily("UTC", date(2024, 1, 10), time(9)))
    assert who_is_on_call(schedule, utc(2024, 1, 10, 8, 59)) == []
    assert who_is_on_call(schedule, utc(2024, 1, 10, 9)) == ["ana"]


def test_participants_cycle_in_order() -> None:
    """Turn k goes to participant k modulo the number of participants."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(0)))
    users = [who_is_on_call(schedule, utc(2024, 1, day, 12))[0] for day in range(1, 8)]
    assert users == ["ana", "bia", "caio", "ana", "bia", "caio", "ana"]


def test_every_n_days_rotation() -> None:
    """ShiftLength.daily(3) hands off every third local day."""
    rotation = Rotation(("ana", "bia"), ShiftLength.daily(3), date(2024, 1, 1), time(0), "UTC")
    found = shifts(single_layer(rotation), utc(2024, 1, 1), utc(2024, 1, 7))
    assert [(s.user, s.start.day, s.end.day) for s in found] == [("ana", 1, 4), ("bia", 4, 7)]


def test_shifts_are_clipped_to_the_requested_period() -> None:
    """A query starting and ending mid-shift returns the shifts cut at its edges."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)))
    found = shifts(schedule, utc(2024, 1, 2, 12), utc(2024, 1, 3, 10))
    assert found == [
        Shift("bia", utc(2024, 1, 2, 12), utc(2024, 1, 3, 9), "primary"),
        Shift("caio", utc(2024, 1, 3, 9), utc(2024, 1, 3, 10), "primary"),
    ]


def test_contiguous_turns_of_the_same_person_are_merged() -> None:
    """A one-person rotation yields one shift however many hand-offs it spans."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9), ("solo",)))
    assert shifts(schedule, utc(2024, 1, 1, 9), utc(2024, 1, 5)) == [
        Shift("solo", utc(2024, 1, 1, 9), utc(2024, 1, 5), "primary")
    ]


def test_empty_or_inverted_period_has_no_shifts() -> None:
    """shifts() over an empty interval returns an empty list."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)))
    assert shifts(schedule, utc(2024, 1, 2), utc(2024, 1, 2)) == []
    assert shifts(schedule, utc(2024, 1, 3), utc(2024, 1, 2)) == []


def test_naive_datetimes_are_rejected() -> None:
    """Instants must be timezone-aware; a naive one raises ValueError."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)))
    with pytest.raises(ValueError, match="timezone-aware"):
        who_is_on_call(schedule, datetime(2024, 1, 2, 12))


def test_aware_non_utc_input_is_accepted_and_output_is_utc() -> None:
    """An instant in another offset is converted; returned shifts are in UTC."""
    schedule = single_layer(daily(SAO_PAULO, date(2024, 1, 1), time(9)))
    local = datetime(2024, 1, 2, 9, tzinfo=ZoneInfo(SAO_PAULO))
    assert who_is_on_call(schedule, local) == ["bia"]
    assert shifts(schedule, local, local + timedelta(hours=1))[0].start.tzinfo is UTC


def test_invalid_rotations_are_rejected() -> None:
    """Empty participant lists, zero lengths and unknown zones raise at construction."""
    with pytest.raises(ValueError, match="participant"):
        Rotation((), ShiftLength.daily(), date(2024, 1, 1))
    with pytest.raises(ValueError, match="exactly one"):
        ShiftLength(days=1, duration=timedelta(hours=1))
    with pytest.raises(ValueError, match="exactly one"):
        ShiftLength()
    with pytest.raises(Exception, match="No time zone"):
        Rotation(("a",), ShiftLength.daily(), date(2024, 1, 1), tz="Mars/Olympus")


# --- layers and restrictions -------------------------------------------------------------


def business_hours_schedule(*overrides: Override) -> Schedule:
    base = Layer("base", daily(BERLIN, date(2024, 3, 1), time(9), ("night1", "night2")))
    office = Layer(
        "office",
        daily(BERLIN, date(2024, 3, 1), time(9), ("day1",)),
        restrictions=(TimeWindow(WEEKDAYS, time(9), time(18)),),
    )
    return Schedule("Platform", (base, office), overrides)


def test_later_layer_wins_inside_its_restriction_window() -> None:
    """Weekdays 09-18 Berlin the office layer is on call; outside it the base layer shows."""
    schedule = business_hours_schedule()
    monday = datetime(2024, 3, 25, 10, tzinfo=ZoneInfo(BERLIN))
    assert who_is_on_call(schedule, monday) == ["day1"]
    assert who_is_on_call(schedule, monday.replace(hour=18)) == ["night1"]
    assert who_is_on_call(schedule, monday.replace(hour=8, minute=59)) == ["night2"]
    saturday = datetime(2024, 3, 30, 12, tzinfo=ZoneInfo(BERLIN))
    assert who_is_on_call(schedule, saturday) == ["night2"]


def test_restriction_window_follows_local_time_after_dst() -> None:
    """The 09-18 window is 08-17 UTC in winter and 07-16 UTC in summer."""
    schedule = business_hours_schedule()
    found = shifts(schedule, utc(2024, 4, 1, 6), utc(2024, 4, 1, 17))
    office = [s for s in found if s.layer == "office"]
    assert office == [Shift("day1", utc(2024, 4, 1, 7), utc(2024, 4, 1, 16), "office")]


def test_layered_shifts_interleave() -> None:
    """shifts() reports the base layer around the office window on a weekday."""
    schedule = business_hours_schedule()
    found = shifts(schedule, utc(2024, 3, 25, 6), utc(2024, 3, 25, 20))
    assert [(s.user, s.layer, s.start.hour, s.end.hour) for s in found] == [
        ("night2", "base", 6, 8),
        ("day1", "office", 8, 17),
        ("night1", "base", 17, 20),
    ]


def test_overnight_window_crosses_midnight() -> None:
    """A window from 18:00 to 09:00 started on Friday covers Saturday 08:00."""
    night = Layer(
        "nights",
        daily("UTC", date(2024, 1, 1), time(0), ("owl",)),
        restrictions=(TimeWindow(frozenset({4}), time(18), time(9)),),
    )
    schedule = Schedule("Nights", (night,))
    assert who_is_on_call(schedule, utc(2024, 1, 6, 8)) == ["owl"]  # Saturday
    assert who_is_on_call(schedule, utc(2024, 1, 6, 9)) == []
    assert who_is_on_call(schedule, utc(2024, 1, 5, 17)) == []  # Friday before 18:00


# --- overrides ---------------------------------------------------------------------------


def test_replace_override_gives_a_persons_time_to_another() -> None:
    """Replacing ana by zé for two hours splits ana's shift around zé's."""
    override = Override(OverrideKind.REPLACE, utc(2024, 1, 1, 12), utc(2024, 1, 1, 14), "zé", "ana")
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    found = shifts(schedule, utc(2024, 1, 1, 9), utc(2024, 1, 1, 20))
    assert [(s.user, s.start.hour, s.end.hour, s.layer) for s in found] == [
        ("ana", 9, 12, "primary"),
        ("zé", 12, 14, None),
        ("ana", 14, 20, "primary"),
    ]


def test_replace_of_someone_not_on_call_changes_nothing() -> None:
    """A replace naming a person who is not on call leaves the schedule as it is."""
    override = Override(OverrideKind.REPLACE, utc(2024, 1, 1, 12), utc(2024, 1, 1, 14), "zé", "bia")
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    assert who_is_on_call(schedule, utc(2024, 1, 1, 13)) == ["ana"]


def test_replace_without_named_person_takes_whoever_is_on_call() -> None:
    """A replace with replaces=None covers whoever is on call, but not empty time."""
    override = Override(OverrideKind.REPLACE, utc(2024, 1, 1, 0), utc(2024, 1, 2, 12), "zé")
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    assert who_is_on_call(schedule, utc(2024, 1, 1, 8)) == []
    assert who_is_on_call(schedule, utc(2024, 1, 2, 10)) == ["zé"]


def test_add_override_puts_someone_on_call_in_addition() -> None:
    """An add keeps the rotation member first and appends the added person."""
    override = Override(OverrideKind.ADD, utc(2024, 1, 1, 10), utc(2024, 1, 1, 11), "trainee")
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    assert who_is_on_call(schedule, utc(2024, 1, 1, 10, 30)) == ["ana", "trainee"]
    found = shifts(schedule, utc(2024, 1, 1, 9), utc(2024, 1, 1, 12))
    assert [(s.user, s.start.hour, s.end.hour) for s in found] == [
        ("ana", 9, 12),
        ("trainee", 10, 11),
    ]


def test_add_of_someone_already_on_call_is_not_duplicated() -> None:
    """Adding the person already on call lists them once."""
    override = Override(OverrideKind.ADD, utc(2024, 1, 1, 10), utc(2024, 1, 1, 11), "ana")
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    assert who_is_on_call(schedule, utc(2024, 1, 1, 10, 30)) == ["ana"]


def test_removing_the_top_layer_lets_the_layer_below_show() -> None:
    """A layer-scoped remove empties the office layer so the base layer is on call."""
    monday = utc(2024, 3, 25, 10)
    override = Override(OverrideKind.REMOVE, monday, monday + timedelta(hours=2), layer="office")
    schedule = business_hours_schedule(override)
    assert who_is_on_call(schedule, monday) == ["night1"]
    assert who_is_on_call(schedule, monday + timedelta(hours=2)) == ["day1"]


def test_schedule_wide_remove_leaves_nobody() -> None:
    """A remove without layer or user takes everybody off call for the period."""
    override = Override(OverrideKind.REMOVE, utc(2024, 3, 25, 10), utc(2024, 3, 25, 11))
    schedule = business_hours_schedule(override)
    assert who_is_on_call(schedule, utc(2024, 3, 25, 10, 30)) == []
    assert who_is_on_call(schedule, utc(2024, 3, 25, 11)) == ["day1"]


def test_remove_of_a_named_person_keeps_others() -> None:
    """Removing the added person keeps the rotation member on call."""
    start, end = utc(2024, 1, 1, 10), utc(2024, 1, 1, 11)
    schedule = single_layer(
        daily("UTC", date(2024, 1, 1), time(9)),
        Override(OverrideKind.ADD, start, end, "trainee"),
        Override(OverrideKind.REMOVE, start, end, "ana"),
    )
    assert who_is_on_call(schedule, utc(2024, 1, 1, 10, 30)) == ["trainee"]


def test_layer_scoped_replace_keeps_the_layer_name() -> None:
    """A replace inside a layer reports the layer on the replacement's shift."""
    override = Override(
        OverrideKind.REPLACE, utc(2024, 1, 1, 9), utc(2024, 1, 1, 10), "zé", layer="primary"
    )
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)), override)
    assert shifts(schedule, utc(2024, 1, 1, 9), utc(2024, 1, 1, 10)) == [
        Shift("zé", utc(2024, 1, 1, 9), utc(2024, 1, 1, 10), "primary")
    ]


def test_invalid_overrides_are_rejected() -> None:
    """Inverted periods, missing users, naive times and unknown layers raise ValueError."""
    with pytest.raises(ValueError, match="end after"):
        Override(OverrideKind.ADD, utc(2024, 1, 2), utc(2024, 1, 1), "x")
    with pytest.raises(ValueError, match="needs a user"):
        Override(OverrideKind.REPLACE, utc(2024, 1, 1), utc(2024, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        Override(OverrideKind.ADD, datetime(2024, 1, 1), utc(2024, 1, 2), "x")
    with pytest.raises(ValueError, match="unknown layer"):
        single_layer(
            daily("UTC", date(2024, 1, 1), time(9)),
            Override(OverrideKind.REMOVE, utc(2024, 1, 1), utc(2024, 1, 2), layer="nope"),
        )


# --- next_shifts -------------------------------------------------------------------------


def test_next_shifts_starts_with_the_shift_in_progress() -> None:
    """next_shifts returns the current shift (from `at`) and the following ones."""
    schedule = single_layer(daily("UTC", date(2024, 1, 1), time(9)))
    found = next_shifts(schedule, utc(2024, 1, 1, 12), 3)
    assert [(s.user, s.start, s.end) for s in found] == [
        ("ana", utc(2024, 1, 1, 12), utc(2024, 1, 2, 9)),
        ("bia", utc(2024, 1, 2, 9), utc(2024, 1, 3, 9)),
        ("caio", utc(2024, 1, 3, 9), utc(2024, 1, 4, 9)),
    ]


def test_next_shifts_looks_beyond_the_first_horizon() -> None:
    """Monthly-length shifts are found although the first look-ahead is a week."""
    rotation = Rotation(("ana", "bia"), ShiftLength.daily(30), date(2024, 1, 1), time(0), "UTC")
    found = next_shifts(single_layer(rotation), utc(2024, 1, 1), 2)
    assert [(s.user, s.end) for s in found] == [("ana", utc(2024, 1, 31)), ("bia", utc(2024, 3, 1))]


def test_next_shifts_of_an_empty_future_is_empty() -> None:
    """A schedule that never has anyone on call returns no shifts."""
    schedule = Schedule("Empty", ())
    assert next_shifts(schedule, utc(2024, 1, 1), 3) == []
    assert next_shifts(schedule, utc(2024, 1, 1), 0) == []
