"""Pure handoff logic: the shift changes of a rotation across DST, the overall status rule, the
stored facts' round trip, and the text in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from plantao.oncall.handoff_boundaries import boundaries, shift_start
from plantao.oncall.handoff_facts import (
    ACTIVE_INCIDENT,
    MINOR_ISSUES,
    STABLE,
    ActionLine,
    AlertLine,
    ChangeLine,
    HandoffFacts,
    IncidentLine,
    WindowLine,
)
from plantao.oncall.handoff_render import language_of, render
from plantao.oncall.rotation import (
    Layer,
    Override,
    OverrideKind,
    Rotation,
    Schedule,
    ShiftLength,
)

NY = Schedule(
    name="NY",
    id="ny",
    layers=(
        Layer(
            "daily",
            Rotation(
                ("ana", "bruno"), ShiftLength.daily(), date(2027, 3, 1), time(9), "America/New_York"
            ),
        ),
    ),
)
T0 = datetime(2027, 3, 13, 12, tzinfo=UTC)


def _facts(**over: object) -> HandoffFacts:
    base: dict[str, object] = {
        "schedule": "ny",
        "schedule_name": "NY primary",
        "time_zone": "America/New_York",
        "shift_start": datetime(2027, 3, 13, 14, tzinfo=UTC),
        "handoff_at": datetime(2027, 3, 14, 13, tzinfo=UTC),
        "outgoing": ("bruno",),
        "incoming": ("ana",),
        "gathered_at": datetime(2027, 3, 14, 12, tzinfo=UTC),
    }
    return HandoffFacts(**(base | over))  # type: ignore[arg-type]


def _incident(status: str, severity: str = "sev2", **over: object) -> IncidentLine:
    values: dict[str, object] = {
        "ref": "INC-1",
        "title": "Redis down",
        "severity": severity,
        "status": status,
        "service": "checkout",
        "started_at": datetime(2027, 3, 13, 22, 45, tzinfo=UTC),
    }
    return IncidentLine(**(values | over))  # type: ignore[arg-type]


def test_new_york_handover_moves_an_hour_in_utc_on_the_dst_night() -> None:
    """09:00 New York is 14:00 UTC before 2027-03-14 and 13:00 UTC from that day on; the shift
    that spans the change lasts 23 hours."""
    found = boundaries(NY, T0, T0 + timedelta(days=2))
    assert [(b.at, b.outgoing, b.incoming) for b in found] == [
        (datetime(2027, 3, 13, 14, tzinfo=UTC), ("bruno",), ("ana",)),
        (datetime(2027, 3, 14, 13, tzinfo=UTC), ("ana",), ("bruno",)),
    ]
    assert shift_start(NY, found[1].at) == found[0].at


def test_period_edges_and_steady_time_are_not_handoffs() -> None:
    """Looking at a window inside one shift finds nothing; the window's end is included."""
    assert boundaries(NY, T0 + timedelta(hours=3), T0 + timedelta(hours=20)) == []
    at = datetime(2027, 3, 13, 14, tzinfo=UTC)
    assert [b.at for b in boundaries(NY, at - timedelta(hours=1), at)] == [at]


def test_an_added_person_is_a_change_of_the_on_call_set() -> None:
    """An override adding carla to ana's day for two hours makes two handoffs (she comes, she
    goes)."""
    start = datetime(2027, 3, 13, 18, tzinfo=UTC)
    with_carla = Schedule(
        name="NY",
        id="ny",
        layers=NY.layers,
        overrides=(Override(OverrideKind.ADD, start, start + timedelta(hours=2), "carla"),),
    )
    found = boundaries(with_carla, start - timedelta(hours=1), start + timedelta(hours=3))
    assert [(b.outgoing, b.incoming) for b in found] == [
        (("ana",), ("ana", "carla")),
        (("ana", "carla"), ("ana",)),
    ]


@pytest.mark.parametrize(
    ("problems", "alerts", "expected"),
    [
        ((), (), STABLE),
        ((_incident("resolved"),), (), STABLE),
        ((_incident("mitigated"),), (), MINOR_ISSUES),
        ((_incident("triggered", "sev4"),), (), MINOR_ISSUES),
        ((), (AlertLine("HighCacheHitRate", "sev4", "cache", T0),), MINOR_ISSUES),
        ((_incident("acknowledged", "sev3"),), (), ACTIVE_INCIDENT),
    ],
)
def test_overall_status_rule(
    problems: tuple[IncidentLine, ...], alerts: tuple[AlertLine, ...], expected: str
) -> None:
    """Burning (open, unmitigated sev1-3) → active; anything to watch → minor; else stable."""
    open_ones = tuple(p for p in problems if p.is_open)
    assert _facts(open_problems=open_ones, alerts=alerts).status == expected


def test_facts_round_trip_through_json_shape() -> None:
    """What is stored in the row reads back as the same facts."""
    facts = _facts(
        incidents=(_incident("resolved", resolved_at=T0, resolution="restarted"),),
        open_problems=(_incident("acknowledged"),),
        alerts=(AlertLine("Disk 80%", "sev4", "db", T0),),
        windows=(WindowLine("PG upgrade", T0, None, ("db",)),),
        changes=(ChangeLine("deploy 4.3", "checkout", T0),),
        actions=(ActionLine("AC-07", "Add a runbook", date(2027, 3, 15), "ana"),),
        services=("checkout", "db"),
    )
    assert HandoffFacts.from_dict(facts.to_dict()) == facts
    assert facts.to_dict()["status"] == ACTIVE_INCIDENT


def test_text_in_both_languages_with_local_times_and_notes() -> None:
    """The seed's template sections, the local time in the schedule's zone, the fix, the notes."""
    facts = _facts(
        incidents=(
            _incident(
                "resolved",
                resolved_at=datetime(2027, 3, 13, 23, 30, tzinfo=UTC),
                resolution="restarted Redis",
            ),
        ),
        windows=(WindowLine("PG maintenance", datetime(2027, 3, 15, 7, tzinfo=UTC), None),),
    )
    en = render(facts, "Traffic 20% above normal", "en")
    assert en.subject.startswith("On-call handoff: NY primary 2027-03-14 09:00 EDT")
    assert "**From:** @bruno" in en.text
    assert "**To:** @ana" in en.text
    assert "✅ Stable" in en.text
    assert (
        "2027-03-13 17:45 EST – INC-1 Redis down (sev2, checkout) – resolved: restarted" in en.text
    )
    assert "2027-03-15 03:00 EDT until open-ended – PG maintenance" in en.text
    assert "Traffic 20% above normal" in en.text
    pt = render(facts, "", language_of("pt-br"))
    assert pt.subject.startswith("Passagem de plantão: NY primary")
    assert "**Problemas em andamento:**\n- Nenhum" in pt.text
    assert "resolvido: restarted Redis" in pt.text
