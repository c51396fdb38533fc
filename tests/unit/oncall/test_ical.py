"""iCalendar feeds rendered by plantao.oncall.ical, validated by parsing them back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import NamedTuple

from icalendar import Calendar

from plantao.oncall.ical import render_schedule_feed, render_user_feed
from plantao.oncall.rotation import Layer, Rotation, Schedule, ShiftLength

NOW = datetime(2024, 3, 20, 12, tzinfo=UTC)
START = datetime(2024, 3, 25, 0, tzinfo=UTC)
END = datetime(2024, 4, 1, 0, tzinfo=UTC)


def berlin_schedule(name: str = "Payments, EU; primary") -> Schedule:
    rotation = Rotation(
        ("ana", "bia"), ShiftLength.daily(), date(2024, 3, 1), time(9), "Europe/Berlin"
    )
    return Schedule(name, (Layer("primary", rotation),), id="sch-1")


class Event(NamedTuple):
    uid: str
    start: datetime
    end: datetime
    summary: str


def events(feed: bytes) -> list[Event]:
    calendar = Calendar.from_ical(feed)
    return [
        Event(
            uid=str(e["UID"]),
            start=e.decoded("DTSTART"),
            end=e.decoded("DTEND"),
            summary=str(e["SUMMARY"]),
        )
        for e in calendar.walk("VEVENT")
    ]


def test_schedule_feed_parses_back_with_one_event_per_shift() -> None:
    """Every shift becomes a VEVENT with UTC DTSTART/DTEND and the schedule in SUMMARY."""
    feed = render_schedule_feed(berlin_schedule(), START, END, now=NOW)
    assert feed.startswith(b"BEGIN:VCALENDAR\r\n")
    parsed = events(feed)
    assert len(parsed) == 8  # 00:00 Monday to 00:00 Monday: 7 hand-offs, 8 pieces
    assert all(e.summary == "On call: Payments, EU; primary" for e in parsed)
    lines = feed.decode().split("\r\n")
    assert all(line.endswith("Z") for line in lines if line.startswith(("DTSTART", "DTEND")))
    assert parsed[1].start == datetime(2024, 3, 25, 8, tzinfo=UTC)
    # the week contains the spring-forward: Saturday's shift is 23 hours long
    saturday = next(e for e in parsed if e.start == datetime(2024, 3, 30, 8, tzinfo=UTC))
    assert saturday.end == datetime(2024, 3, 31, 7, tzinfo=UTC)


def test_calendar_has_required_properties() -> None:
    """The feed declares VERSION 2.0 and a PRODID, and each event a DTSTAMP."""
    calendar = Calendar.from_ical(render_schedule_feed(berlin_schedule(), START, END, now=NOW))
    assert str(calendar["VERSION"]) == "2.0"
    assert "Plantao" in str(calendar["PRODID"])
    assert all(e.decoded("DTSTAMP") == NOW for e in calendar.walk("VEVENT"))


def test_uids_are_unique_and_stable_across_renders() -> None:
    """Rendering twice (even at another time) yields the same UIDs, one per shift."""
    first = [e.uid for e in events(render_schedule_feed(berlin_schedule(), START, END, now=NOW))]
    again = render_schedule_feed(
        berlin_schedule(), START, END, now=datetime(2024, 3, 21, tzinfo=UTC)
    )
    assert first == [e.uid for e in events(again)]
    assert len(set(first)) == len(first)


def test_uid_survives_a_later_window_and_a_rename() -> None:
    """A shift inside both windows keeps its UID; UIDs key on the schedule id, not its name."""
    early = {
        e.start: e.uid for e in events(render_schedule_feed(berlin_schedule(), START, END, now=NOW))
    }
    later_start = datetime(2024, 3, 27, 0, tzinfo=UTC)
    renamed = berlin_schedule("Payments")
    later = events(render_schedule_feed(renamed, later_start, END, now=NOW))
    for event in later[1:]:
        assert early[event.start] == event.uid


def test_single_user_schedule_feed_lists_only_their_shifts() -> None:
    """With user= the feed keeps only that person's shifts."""
    feed = render_schedule_feed(berlin_schedule(), START, END, now=NOW, user="bia")
    calendar = Calendar.from_ical(feed)
    descriptions = [str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")]
    assert descriptions
    assert all(d.startswith("bia is on call") for d in descriptions)


def test_user_feed_merges_several_schedules_in_time_order() -> None:
    """A personal feed covers all schedules, sorted by start, one SUMMARY per schedule."""
    other = Schedule(
        "Search",
        (
            Layer(
                "primary",
                Rotation(("bia",), ShiftLength.weekly(), date(2024, 3, 25), time(0), "UTC"),
            ),
        ),
    )
    parsed = events(render_user_feed([berlin_schedule(), other], "bia", START, END, now=NOW))
    starts = [e.start for e in parsed]
    assert starts == sorted(starts)
    assert {e.summary for e in parsed} == {
        "On call: Payments, EU; primary",
        "On call: Search",
    }


def test_empty_period_renders_a_valid_empty_calendar() -> None:
    """A window with no shifts is still a parseable calendar without events."""
    before = datetime(2023, 1, 1, tzinfo=UTC)
    feed = render_schedule_feed(berlin_schedule(), before, START.replace(year=2023), now=NOW)
    assert Calendar.from_ical(feed).walk("VEVENT") == []
