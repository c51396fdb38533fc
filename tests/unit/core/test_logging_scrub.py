"""The log scrubber and the logging pipeline: every line, tracebacks included, loses its secrets."""

from __future__ import annotations

import json
import logging
import logging.config
import threading
from collections.abc import Iterator

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from plantao.db import make_engine
from plantao.observability import logging as plantao_logging
from plantao.observability.scrub import register_secret, scrub

INTAKE_KEY = "intake-key-4f1c9a7e2b"
ICAL = "feed-secret-9d8c7b6a5f"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test configures logging afresh; put the root logger and thread hook back after."""
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, threading.excepthook
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    threading.excepthook = hook
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"GET /ical/{ICAL}.ICS 404", ICAL),
        (f"GET /ical/{ICAL}.ics 404", ICAL),
        (f"GET /Ical/{ICAL}.Ics", ICAL),
        (f"POST /api/v1/intake/{INTAKE_KEY}/generic", INTAKE_KEY),
        (f"POST /API/V1/INTAKE/{INTAKE_KEY}/generic", INTAKE_KEY),
        (f"POST /api/v1/intake//{INTAKE_KEY}/generic", INTAKE_KEY),
        (f"POST /api/v1/heartbeats/{INTAKE_KEY}", INTAKE_KEY),
        ("GET /a/eyJhIjoiYWNrbm93bGVkZ2UifQ.bWFjLXZhbHVlLWhlcmU", "bWFjLXZhbHVlLWhlcmU"),
        ("Authorization: Bearer plt_abcdefghijklmnopqrstuvwx", "plt_abcdefghijklmnopqrstuvwx"),
        ("authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
        ("token PLT_abcdefghijklmnopqrstuvwx leaked", "abcdefghijklmnopqrstuvwx"),
        ('{"routing_key": "R0UT1NG-KEY-VALUE", "event_action": "trigger"}', "R0UT1NG-KEY-VALUE"),
        ("routing_key=R0UT1NG-KEY-VALUE&x=1", "R0UT1NG-KEY-VALUE"),
        ("cookie: plantao_session=eyJzZXNzaW9uIjoxfQ.sig; lang=en", "eyJzZXNzaW9uIjoxfQ"),
        ("smtp://relay:hunter2-smtp@mail.example:587", "hunter2-smtp"),
        ("SMTP_PASSWORD='hunter2-smtp'", "hunter2-smtp"),
        ("POST https://hooks.slack.com/services/T01/B02/XyZsecretTok", "XyZsecretTok"),
        ("Key (key)=(e2e-am-key-0123456789) already exists.", "e2e-am-key-0123456789"),
    ],
)
def test_scrub_removes_every_kind_of_secret(text: str, secret: str) -> None:
    """Each secret-bearing URL, header, body field and credential is redacted, in any case."""
    out = scrub(text)
    assert secret not in out
    assert "[REDACTED]" in out


def test_scrub_keeps_route_templates_and_the_calendar_extension() -> None:
    """Route templates stay readable and a calendar path keeps its extension, not its secret."""
    assert scrub("/api/v1/intake/{key}/alertmanager") == "/api/v1/intake/{key}/alertmanager"
    assert scrub("/a/{token}") == "/a/{token}"
    assert scrub(f"/ical/{ICAL}.ICS") == "/ical/[REDACTED].ICS"


def test_scrub_keeps_a_rendered_json_line_valid() -> None:
    """Scrubbing an already rendered JSON line (escaped quotes, newlines) leaves valid JSON."""
    line = json.dumps(
        {
            "event": "x",
            "path": f"/api/v1/intake/{INTAKE_KEY}/generic",
            "exception": f'Traceback\n  body={{"routing_key": "{INTAKE_KEY}"}}\n',
        }
    )
    out = scrub(line)
    assert INTAKE_KEY not in out
    assert json.loads(out)["event"] == "x"


def test_registered_secret_values_are_redacted_verbatim() -> None:
    """A secret the process holds is redacted wherever it appears, whatever surrounds it."""
    register_secret("signing-key-with-no-telltale-context-0001")
    assert "0001" not in scrub("oops signing-key-with-no-telltale-context-0001 in text")
    register_secret("short")
    assert scrub("short words stay") == "short words stay"


def test_structlog_exception_text_is_scrubbed_after_formatting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A logged exception's traceback text is scrubbed, not only the event's plain fields."""
    plantao_logging.configure("INFO")
    try:
        raise RuntimeError(f"[SQL: SELECT 1] [parameters: ('/api/v1/intake/{INTAKE_KEY}',)]")
    except RuntimeError as exc:
        structlog.get_logger("t").error("boom", exc_info=exc, routing_key=INTAKE_KEY)
    err = capsys.readouterr().err
    assert INTAKE_KEY not in err
    line = json.loads(err.strip().splitlines()[-1])
    assert "RuntimeError" in line["exception"] and line["routing_key"] == "[REDACTED]"


def test_stdlib_logging_goes_through_the_same_json_scrubbing_pipeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A stdlib logger's message and traceback come out as one scrubbed JSON line."""
    plantao_logging.configure("INFO")
    try:
        raise ValueError(f"GET /ical/{ICAL}.ICS failed")
    except ValueError:
        logging.getLogger("some.library").exception("request to %s", f"/ical/{ICAL}.ICS")
    err = capsys.readouterr().err
    assert ICAL not in err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["logger"] == "some.library" and line["level"] == "error"
    assert "ValueError" in line["exception"]


def test_uvicorn_log_config_routes_uvicorn_error_through_the_scrubber(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the ``log_config`` serve gives uvicorn, its tracebacks are scrubbed JSON lines."""
    logging.config.dictConfig(plantao_logging.uvicorn_log_config("INFO"))
    plain = create_engine("sqlite://")  # not make_engine: this one shows its parameters
    try:
        with plain.connect() as conn:
            conn.execute(text("SELECT id FROM integrations WHERE key = :k"), {"k": INTAKE_KEY})
    except OperationalError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application\n")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", f"/ical/{ICAL}.ICS", "1.1", 404
    )
    err = capsys.readouterr().err
    assert INTAKE_KEY not in err and ICAL not in err
    lines = [json.loads(x) for x in err.strip().splitlines()]
    assert [x["logger"] for x in lines] == ["uvicorn.error", "uvicorn.access"]
    assert "[parameters: [REDACTED]]" in lines[0]["exception"]


def test_plantao_engines_hide_sql_parameters_in_errors() -> None:
    """An error from an engine Plantão made never quotes its SQL parameters."""
    engine = make_engine("sqlite://")
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT id FROM integrations WHERE key = :k"), {"k": INTAKE_KEY})
    assert INTAKE_KEY not in str(caught.value)
    assert "hidden" in str(caught.value)


def test_configure_replaces_its_own_root_handler_only() -> None:
    """Configuring twice leaves one Plantão handler and keeps handlers others installed."""
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    plantao_logging.configure("INFO")
    plantao_logging.configure("INFO")
    handlers = logging.getLogger().handlers
    assert sum(isinstance(h, plantao_logging.PlantaoHandler) for h in handlers) == 1
    assert other in handlers


def test_uncaught_thread_exception_is_logged_scrubbed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A thread dying of an exception is logged as scrubbed JSON instead of printed raw."""
    plantao_logging.configure("INFO")

    def die() -> None:
        raise RuntimeError(f"Authorization: Bearer {INTAKE_KEY}")

    thread = threading.Thread(target=die, name="doomed")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert INTAKE_KEY not in err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "thread.uncaught" and line["thread"] == "doomed"
