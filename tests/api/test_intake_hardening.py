"""Intake refuses what it cannot store, alone and with the field named (issue 8, items 4-5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plantao.alerts.models import Alert
from plantao.changes.models import ChangeEvent
from plantao.db import session_scope
from plantao.incidents.models import Incident
from plantao.intake import limits
from plantao.intake.models import InboxEntry
from plantao.intake.schemas import URLS_AS_TEXT
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, GENERIC_KEY, GRAFANA_KEY, PD_KEY
from tests.factories.inbox import drain
from tests.factories.payloads import am_alert, am_webhook, pd_event
from tests.factories.requirements import require_component
from tests.integration.helpers import count

try:  # installed with schemathesis, which checks the same document in CI
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None  # type: ignore[assignment]

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"
GRAFANA = f"/api/v1/intake/{GRAFANA_KEY}/grafana"
GENERIC = f"/api/v1/intake/{GENERIC_KEY}/generic"
CHANGE = "/v2/change/enqueue"
TOO_LATE = "9999-12-31T23:59:59-14:00"
TOO_EARLY = "0001-01-01T00:00:00+14:00"


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"deeper": value}
    return value


def _post(api: Api, url: str, body: Any) -> Any:
    # The standard library's encoder: orjson itself refuses the 300-level bodies sent here.
    return api.client.post(url, content=json.dumps(body).encode())


def _nothing_stored(api: Api) -> None:
    assert count(api.factory, InboxEntry) == 0
    drain(api.factory)
    assert count(api.factory, Alert) == 0 and count(api.factory, Incident) == 0
    assert count(api.factory, ChangeEvent) == 0


def _stored_alerts(api: Api) -> list[Alert]:
    drain(api.factory)
    with session_scope(api.factory) as session:
        return list(session.query(Alert).order_by(Alert.id))


def _change(**payload: Any) -> dict[str, Any]:
    return {"routing_key": PD_KEY, "payload": {"summary": "Deploy v2", **payload}}


@pytest.mark.parametrize("url", [AM, GRAFANA])
def test_alert_with_nul_label_is_rejected_alone(api: Api, url: str) -> None:
    """An AM/Grafana alert with a NUL in a label is in rejected[]; its sibling is stored."""
    body = am_webhook([am_alert(instance="ok"), am_alert(instance="bad", team="s\x00re")])
    res = _post(api, url, body)
    assert res.status_code == 202, res.text
    assert res.json()["accepted"] == 1
    [rejected] = res.json()["rejected"]
    assert rejected["index"] == 1
    assert rejected["error"].startswith("alerts[1].labels.team:") and "NUL" in rejected["error"]
    [alert] = _stored_alerts(api)
    assert alert.labels["instance"] == "ok"


def test_only_alert_with_nul_is_422_naming_the_field(api: Api) -> None:
    """A batch whose only alert has a NUL annotation answers 422 naming it; nothing is stored."""
    res = _post(api, AM, am_webhook([am_alert(summary="disk\x00full")]))
    assert res.status_code == 422
    assert res.headers["content-type"] == "application/problem+json"
    assert "alerts[0].annotations.summary" in res.json()["detail"]
    _nothing_stored(api)


def test_nul_in_the_envelope_rejects_the_request(api: Api) -> None:
    """A NUL in a field every alert shares (groupKey) answers 422 with the field in errors[]."""
    res = _post(api, AM, am_webhook([am_alert()], group_key='{}:{a="\x00"}'))
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"] == "groupKey"
    _nothing_stored(api)


def test_deep_nesting_in_an_alert_is_rejected_alone(api: Api) -> None:
    """An alert nested past the depth limit (even in an ignored field) is rejected alone."""
    body = am_webhook([am_alert(instance="ok"), {**am_alert(instance="x"), "extra": _nested(300)}])
    res = _post(api, AM, body)
    assert res.status_code == 202
    assert f"deeper than {limits.MAX_DEPTH}" in res.json()["rejected"][0]["error"]
    assert len(_stored_alerts(api)) == 1


def test_generic_batch_rejects_the_bad_alert_alone(api: Api) -> None:
    """Generic alerts with a NUL title or an over-long key are each rejected; the rest stored."""
    body = {
        "alerts": [
            {"title": "ok one"},
            {"title": "bad\x00"},
            {"title": "long key", "labels": {"k" * (limits.MAX_KEY_CHARS + 1): "v"}},
        ]
    }
    res = _post(api, GENERIC, body)
    assert res.status_code == 202
    errors = {r["index"]: r["error"] for r in res.json()["rejected"]}
    assert errors[1].startswith("alerts[1].title:")
    assert errors[2].startswith("alerts[2].labels[") and "the key is longer" in errors[2]
    assert [a.summary for a in _stored_alerts(api)] == ["ok one"]


def test_generic_single_alert_with_nul_is_422(api: Api) -> None:
    """A single generic alert with a NUL in its description answers 422 naming the field."""
    res = _post(api, GENERIC, {"title": "t", "description": "a\x00b"})
    assert res.status_code == 422 and "description" in res.json()["detail"]
    _nothing_stored(api)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (pd_event(custom_details=_nested(300)), "payload.custom_details.deeper"),
        (pd_event(custom_details={"log": "a\x00b"}), "payload.custom_details.log"),
        (pd_event(summary="disk\x00full"), "payload.summary"),
        (pd_event(timestamp=TOO_LATE), "payload.timestamp"),
        (pd_event(timestamp=TOO_EARLY), "payload.timestamp"),
    ],
)
def test_pagerduty_unstorable_event_is_400_in_its_shape(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """PD events with NUL, deep custom_details or an impossible time answer PD's 400 body."""
    res = _post(api, "/v2/enqueue", body)
    assert res.status_code == 400, res.text
    payload = res.json()
    assert payload["status"] == "invalid event" and payload["message"] == "Event object is invalid"
    assert any(e.startswith(field) for e in payload["errors"]), payload
    _nothing_stored(api)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_change(custom_details={"diff": "x\x00"}), "payload.custom_details.diff"),
        (_change(summary="Deploy\x00"), "payload.summary"),
        (_change(custom_details=_nested(300)), "payload.custom_details"),
        (_change(timestamp=TOO_LATE), "payload.timestamp"),
        ({**_change(), "links": [{"href": "https://ci/1", "text": "\x00"}]}, "links[0].text"),
    ],
)
def test_change_event_unstorable_is_400_not_500(api: Api, body: dict[str, Any], field: str) -> None:
    """A change event with NUL, deep nesting or an impossible time is PD's 400, not a 500."""
    res = _post(api, CHANGE, body)
    assert res.status_code == 400, res.text
    assert any(e.startswith(field) for e in res.json()["errors"]), res.json()
    _nothing_stored(api)


@pytest.mark.parametrize(("url", "field"), [(AM, "startsAt"), (GRAFANA, "endsAt")])
def test_out_of_range_alertmanager_time_is_rejected(api: Api, url: str, field: str) -> None:
    """startsAt/endsAt past UTC's range: 422 alone, or a rejected[] entry beside a good alert."""
    bad = {**am_alert("Late", "resolved"), field: TOO_LATE}
    res = _post(api, url, am_webhook([bad]))
    assert res.status_code == 422 and f"alerts[0].{field}" in res.json()["detail"]
    res = _post(api, url, am_webhook([am_alert(), bad]))
    assert res.status_code == 202
    assert res.json()["rejected"][0]["error"].startswith(f"alerts[1].{field}:")
    assert len(_stored_alerts(api)) == 1


def test_out_of_range_generic_time_is_422(api: Api) -> None:
    """A generic starts_at before UTC's range answers 422 naming starts_at."""
    res = _post(api, GENERIC, {"title": "t", "starts_at": TOO_EARLY})
    assert res.status_code == 422 and "starts_at" in res.json()["detail"]
    _nothing_stored(api)


@pytest.mark.parametrize("url", [AM, GENERIC, "/v2/enqueue", CHANGE])
def test_lone_surrogate_never_reaches_storage(api: Api, url: str) -> None:
    """A lone surrogate escape is refused while parsing (400), on every intake route."""
    res = api.client.post(url, content=b'{"title": "\\ud800", "alerts": []}')
    assert res.status_code == 400
    _nothing_stored(api)


def test_unsafe_urls_never_become_links(api: Api) -> None:
    """javascript:/data: URLs from any source are kept as text; the alerts are still stored."""
    am = {**am_alert(instance="a"), "generatorURL": "javascript:alert(1)"}
    assert _post(api, AM, am_webhook([am])).status_code == 202
    pd = pd_event(dedup_key="pd-1")
    pd["links"] = [{"href": "javascript:alert(2)", "text": "ack"}, {"href": "https://ok.example"}]
    pd["images"] = [{"src": "https://img.example/x.png", "href": "javascript:alert(3)"}]
    assert _post(api, "/v2/enqueue", pd).status_code == 202
    gen = {"title": "gen", "links": [{"href": "data:text/html,<script>x</script>"}]}
    assert _post(api, GENERIC, gen).status_code == 202
    alerts = _stored_alerts(api)
    assert len(alerts) == 3
    by_source = {a.source: a.details for a in alerts}
    assert "generator_url" not in by_source["alertmanager"]
    assert by_source["alertmanager"][URLS_AS_TEXT] == ["javascript:alert(1)"]
    assert by_source["pagerduty"]["links"] == [{"href": "https://ok.example"}]
    assert by_source["pagerduty"]["images"] == [{"src": "https://img.example/x.png"}]
    assert "links" not in by_source["generic"]
    change = {**_change(), "links": [{"href": "javascript:alert(4)"}, {"href": "https://ci/2"}]}
    assert _post(api, CHANGE, change).status_code == 202
    drain(api.factory)
    with session_scope(api.factory) as session:
        stored = session.query(ChangeEvent).one()
        assert stored.details["links"] == [{"href": "https://ci/2"}]
        assert stored.details[URLS_AS_TEXT] == ["javascript:alert(4)"]


# --- the OpenAPI document describes what the routes really answer ----------------------------


def _validate(instance: Any, schema: dict[str, Any]) -> None:
    require_component("jsonschema_rs (installed with schemathesis)", jsonschema_rs is not None)
    jsonschema_rs.validate(schema, instance)


def _conforms(api: Api, path: str, res: Any) -> None:
    operation = api.client.get("/openapi.json").json()["paths"][path]["post"]
    documented = operation["responses"][str(res.status_code)]["content"]
    media = res.headers["content-type"]
    assert media in documented, (res.status_code, media, list(documented))
    _validate(res.json(), documented[media]["schema"])


def test_openapi_documents_intake_bodies_and_errors(api: Api) -> None:
    """Each intake route documents a JSON request body and 202 plus every error it answers."""
    paths = api.client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/v1/intake/{key}/alertmanager": {"202", "400", "404", "413", "422", "429", "503"},
        "/api/v1/intake/{key}/grafana": {"202", "400", "404", "413", "422", "429", "503"},
        "/api/v1/intake/{key}/generic": {"202", "400", "404", "413", "422", "429", "503"},
        "/v2/enqueue": {"202", "400", "404", "413", "429", "503"},
        "/v2/change/enqueue": {"202", "400", "404", "413", "429", "503"},
    }
    for path, codes in expected.items():
        operation = paths[path]["post"]
        body = operation["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"]
        assert codes <= set(operation["responses"]), path
    generic_body = paths["/api/v1/intake/{key}/generic"]["post"]["requestBody"]
    assert len(generic_body["content"]["application/json"]["schema"]["anyOf"]) == 3


def test_documented_request_schema_accepts_real_payloads(api: Api) -> None:
    """The documented request schemas accept the payloads real senders send."""
    paths = api.client.get("/openapi.json").json()["paths"]

    def schema(path: str) -> dict[str, Any]:
        body: dict[str, Any] = paths[path]["post"]["requestBody"]
        return body["content"]["application/json"]["schema"]  # type: ignore[no-any-return]

    _validate(am_webhook([am_alert()]), schema("/api/v1/intake/{key}/alertmanager"))
    _validate({"title": "t"}, schema("/api/v1/intake/{key}/generic"))
    _validate([{"title": "t"}], schema("/api/v1/intake/{key}/generic"))
    _validate(pd_event(), schema("/v2/enqueue"))
    _validate(pd_event("resolve", dedup_key="k1"), schema("/v2/enqueue"))
    # The rule of PD's model validator is in the schema too, so fuzzers generate real events.
    assert not jsonschema_rs.is_valid(schema("/v2/enqueue"), pd_event("resolve"))
    assert not jsonschema_rs.is_valid(schema("/v2/enqueue"), {**pd_event(), "payload": None})
    _validate(_change(), schema("/v2/change/enqueue"))


def test_batch_answers_match_the_documented_schemas(api: Api) -> None:
    """202, 400, 404, 413 and 422 answers of a batch route validate against the document."""
    path = "/api/v1/intake/{key}/alertmanager"
    _conforms(api, path, _post(api, AM, am_webhook([am_alert(), {"status": "firing"}])))
    _conforms(api, path, api.client.post(AM, content=b"{"))
    _conforms(api, path, _post(api, "/api/v1/intake/nope/alertmanager", am_webhook([am_alert()])))
    _conforms(api, path, api.client.post(AM, content=b"[" + b" " * (70 * 1024) + b"]"))
    _conforms(api, path, _post(api, AM, am_webhook([am_alert(team="\x00")])))
    _conforms(api, path, _post(api, AM, am_webhook([am_alert()], group_key="\x00")))


def test_pagerduty_answers_match_the_documented_schemas(api: Api) -> None:
    """202, 400, 404 and 413 answers of the PD routes validate against the document."""
    for path, good in (("/v2/enqueue", pd_event()), (CHANGE, _change())):
        _conforms(api, path, _post(api, path, good))
        _conforms(api, path, api.client.post(path, content=b"{"))
        _conforms(api, path, _post(api, path, {**good, "routing_key": "unknown-key"}))
        _conforms(api, path, api.client.post(path, content=b"[" + b" " * (70 * 1024) + b"]"))
        chunked = api.client.post(path, content=iter([b"[" + b" " * (70 * 1024) + b"]"]))
        assert chunked.status_code == 413 and chunked.json()["status"] == "invalid event"
        _conforms(api, path, chunked)
        _conforms(api, path, _post(api, path, {**good, "payload": {"summary": "\x00"}}))


def test_unavailable_answers_match_the_documented_schemas(api: Api) -> None:
    """The 503 answers (database away) validate against the document too."""
    from plantao.db import make_engine, make_sessionmaker
    from plantao.intake.writer import IntakeWriter

    broken = make_sessionmaker(make_engine("sqlite:////nonexistent-dir/plantao.db"))
    api.client.app.state.intake_writer = IntakeWriter(broken)  # type: ignore[attr-defined]
    try:
        res = _post(api, AM, am_webhook([am_alert()]))
        assert res.status_code == 503
        _conforms(api, "/api/v1/intake/{key}/alertmanager", res)
        res = _post(api, "/v2/enqueue", pd_event())
        assert res.status_code == 503
        _conforms(api, "/v2/enqueue", res)
    finally:
        api.client.app.state.intake_writer.close()  # type: ignore[attr-defined]
