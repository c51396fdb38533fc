"""Edge limits of intake: unstorable characters, nesting, sizes, times and links."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from plantao.intake import limits
from plantao.intake.schemas import URLS_AS_TEXT, Image, Link, put_images, put_links, put_url
from plantao.intake.sources import alertmanager, generic, pagerduty
from plantao.intake.writer import refused_values, unavailable
from tests.factories.payloads import am_alert, am_webhook, pd_event


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_nul_in_a_nested_string_names_its_field() -> None:
    """A NUL anywhere in a value is found, and the error names the path to it."""
    found = limits.violation({"payload": {"custom_details": {"rows": ["ok", "bad\x00"]}}})
    assert found is not None
    assert found.field == "payload.custom_details.rows[1]"
    assert "NUL" in found.message


def test_nul_in_a_key_names_the_key_without_the_nul() -> None:
    """A NUL in an object key is refused; the path shows the key with the NUL replaced."""
    found = limits.violation({"labels": {"te\x00am": "sre"}})
    assert found is not None
    assert found.field.startswith("labels[") and "\x00" not in found.field
    assert "key" in found.message and "NUL" in found.message


def test_lone_surrogate_is_unstorable() -> None:
    """A lone UTF-16 surrogate cannot be encoded as UTF-8, so it is refused like NUL."""
    found = limits.violation({"title": "x\ud800y"})
    assert found is not None and found.field == "title" and "surrogate" in found.message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    """Exactly MAX_DEPTH containers deep is fine; one more is refused at the deepest path."""
    assert limits.violation(_nested(limits.MAX_DEPTH)) is None
    found = limits.violation(_nested(limits.MAX_DEPTH + 1))
    assert found is not None
    assert found.field == ".".join(["a"] * limits.MAX_DEPTH)
    assert f"deeper than {limits.MAX_DEPTH}" in found.message


def test_depth_counts_the_containers_around_a_batch_element() -> None:
    """An element checked alone starts at the depth it has inside the body."""
    element = _nested(limits.MAX_DEPTH - 1)
    assert limits.violation(element, "alerts[0]", depth=1) is None
    assert limits.violation(element, "alerts[0]", depth=2) is not None


def test_lists_count_as_nesting_too() -> None:
    """Lists are containers for the depth limit, like objects."""
    value: Any = 1
    for _ in range(limits.MAX_DEPTH + 1):
        value = [value]
    found = limits.violation(value)
    assert found is not None and found.field.startswith("[0][0]")


def test_string_and_key_sizes_are_bounded() -> None:
    """A string over MAX_STRING_CHARS or a key over MAX_KEY_CHARS is refused."""
    assert limits.violation({"a": "x" * limits.MAX_STRING_CHARS}) is None
    long_value = limits.violation({"a": "x" * (limits.MAX_STRING_CHARS + 1)})
    assert long_value is not None and long_value.field == "a"
    assert "longer than" in long_value.message
    long_key = limits.violation({"k" * (limits.MAX_KEY_CHARS + 1): 1})
    assert long_key is not None and "the key is longer" in long_key.message
    assert len(long_key.field) < 100


def test_scalars_and_ordinary_bodies_pass() -> None:
    """Numbers, booleans, null and ordinary payloads have nothing to refuse."""
    assert limits.violation(am_webhook([am_alert()])) is None
    assert limits.violation(pd_event(custom_details={"n": 1.5, "ok": True, "none": None})) is None


def test_check_envelope_leaves_the_elements_to_the_caller() -> None:
    """The envelope check skips batch elements (rejected one by one) but not its own fields."""
    body = am_webhook([am_alert(team="s\x00re")])
    limits.check_envelope(body, "alerts")
    body["groupKey"] = "g\x00"
    with pytest.raises(limits.Unacceptable) as raised:
        limits.check_envelope(body, "alerts")
    assert raised.value.violation.field == "groupKey"


def test_alertmanager_element_with_nul_is_rejected_alone() -> None:
    """An Alertmanager alert with a NUL label is rejected naming the label; siblings pass."""
    events, rejected = alertmanager.parse(am_webhook([am_alert(), am_alert(team="s\x00re")]))
    assert len(events) == 1
    assert rejected[0].index == 1 and rejected[0].error.startswith("alerts[1].labels.team:")


def test_generic_single_object_with_nul_names_the_field() -> None:
    """A single generic alert names the field without a batch prefix."""
    events, rejected = generic.parse({"title": "a\x00"})
    assert events == [] and rejected[0].error.startswith("title:")


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T05:00:00+06:00"]
)
def test_times_outside_utc_are_rejected_naming_the_field(when: str) -> None:
    """A time that cannot be converted to UTC is a validation error, never an OverflowError."""
    _, rejected = alertmanager.parse(am_webhook([am_alert(starts_at=when)]))
    assert "alerts[0].startsAt" in rejected[0].error and "out of range" in rejected[0].error
    _, rejected = alertmanager.parse(am_webhook([{**am_alert("R", "resolved"), "endsAt": when}]))
    assert "alerts[0].endsAt" in rejected[0].error
    _, rejected = generic.parse({"title": "t", "starts_at": when})
    assert rejected[0].error.startswith("starts_at:")
    with pytest.raises(ValidationError, match=r"payload\.timestamp"):
        pagerduty.Event.model_validate(pd_event(timestamp=when))
    with pytest.raises(ValidationError, match=r"payload\.timestamp"):
        pagerduty.ChangeEvent.model_validate(
            {"routing_key": "k", "payload": {"summary": "s", "timestamp": when}}
        )


def test_edge_of_range_times_in_utc_are_kept() -> None:
    """The first and last representable UTC instants are accepted (Alertmanager's zero = unset)."""
    events, rejected = alertmanager.parse(
        am_webhook([am_alert(starts_at="9999-12-31T23:59:59Z", ends_at="0001-01-01T00:00:00Z")])
    )
    assert rejected == [] and events[0].starts_at is not None
    assert events[0].starts_at.year == 9999


def test_unsafe_links_become_text_and_safe_ones_stay() -> None:
    """Only http(s) (or local) hrefs stay links; the others are kept as text, nothing raises."""
    details: dict[str, Any] = {}
    put_links(
        details,
        [
            Link(href="https://ci.example/1", text="pipeline"),
            Link(href="javascript:alert(1)", text="click"),
            Link(href="/incidents/1"),
        ],
    )
    assert details["links"] == [
        {"href": "https://ci.example/1", "text": "pipeline"},
        {"href": "/incidents/1"},
    ]
    assert details[URLS_AS_TEXT] == ["javascript:alert(1)"]


def test_images_need_a_safe_src_and_lose_an_unsafe_href() -> None:
    """An image with an unsafe src is dropped; an unsafe href is removed from a kept image."""
    details: dict[str, Any] = {}
    put_images(
        details,
        [
            Image(src="data:image/png;base64,AAAA"),
            Image(src="https://img.example/a.png", href="javascript:x()", alt="graph"),
        ],
    )
    assert details["images"] == [{"src": "https://img.example/a.png", "alt": "graph"}]
    assert details[URLS_AS_TEXT] == ["data:image/png;base64,AAAA", "javascript:x()"]


def test_single_url_fields_are_links_only_when_safe() -> None:
    """A URL field (generatorURL, client_url…) is stored only when it may be a link."""
    details: dict[str, Any] = {}
    put_url(details, "generator_url", "javascript:alert(document.cookie)")
    put_url(details, "client_url", "https://monitor.example")
    put_url(details, "panel_url", None)
    assert details == {
        "client_url": "https://monitor.example",
        URLS_AS_TEXT: ["javascript:alert(document.cookie)"],
    }


def test_sources_keep_the_alert_when_a_url_is_unsafe() -> None:
    """Every source keeps an alert whose URLs are unsafe; no unsafe URL lands in a link field."""
    am = {**am_alert(), "generatorURL": "javascript:alert(1)"}
    events, rejected = alertmanager.parse(am_webhook([am]))
    assert rejected == [] and "generator_url" not in events[0].details
    pd = pd_event()
    pd["links"] = [{"href": "javascript:alert(1)"}]
    pd["images"] = [{"src": "javascript:alert(2)"}]
    pd["client_url"] = "vbscript:x"
    event = pagerduty.to_alert_event(pagerduty.Event.model_validate(pd))
    assert "links" not in event.details and "images" not in event.details
    assert "client_url" not in event.details and len(event.details[URLS_AS_TEXT]) == 3
    events, _ = generic.parse({"title": "t", "links": [{"href": "data:text/html,<b>"}]})
    assert "links" not in events[0].details


def _dbapi(exc: Exception) -> BaseException:
    """The exception SQLAlchemy raises for a driver error, as a Session would wrap it."""
    return sa_exc.DBAPIError.instance("INSERT", {}, exc, Exception)


def test_unavailable_means_the_database_not_the_values() -> None:
    """Connection-level failures are 'unavailable'; refused values are not."""
    assert unavailable(_dbapi(psycopg.OperationalError("connection refused")))
    assert unavailable(_dbapi(sqlite3.OperationalError("database is locked")))
    assert unavailable(psycopg.OperationalError("server closed the connection"))
    assert unavailable(ConnectionRefusedError())
    assert not unavailable(_dbapi(psycopg.DataError("unsupported Unicode escape sequence")))
    assert not unavailable(orjson.JSONEncodeError("Recursion limit reached"))


def test_refused_values_are_the_senders_fault() -> None:
    """Data errors and encoder errors are about the values; integrity errors are not."""
    assert refused_values(_dbapi(psycopg.DataError("NUL")))
    assert refused_values(orjson.JSONEncodeError("Recursion limit reached"))
    assert refused_values(sa_exc.StatementError("bind", "INSERT", {}, TypeError("set")))
    assert not refused_values(_dbapi(psycopg.IntegrityError("fk")))
    assert not refused_values(_dbapi(psycopg.OperationalError("down")))
