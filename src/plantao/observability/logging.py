"""Logging: JSON lines with a request id, and every line scrubbed of credentials.

Integration keys travel in intake URLs and tokens in headers; exception text can quote SQL, URLs
and request bodies. So there is one pipeline and every line goes through it, whoever logs:

- Plantão's own structlog events are rendered by :func:`configure`'s chain;
- the standard library's ``logging`` (uvicorn's ``uvicorn.error`` tracebacks and access log,
  SQLAlchemy, httpx, anything a dependency logs) reaches the root logger, whose handler
  formats with structlog's ``ProcessorFormatter`` and the same processors;
- uncaught exceptions in threads are logged instead of printed.

In both chains the exception is rendered to text *before* the scrubber runs (a traceback is
scrubbed after formatting, not only the event's fields), and the final rendered line is scrubbed
once more, so nothing a processor adds late escapes it. The rules themselves live in
:mod:`plantao.observability.scrub`.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping, Sequence
from typing import Any

import structlog
from structlog.typing import Processor

from plantao.observability.scrub import REDACTED, SECRET_KEYS, register_secret, scrub, scrub_value

__all__ = [
    "PlantaoHandler",
    "configure",
    "formatter",
    "register_secret",
    "scrub",
    "uvicorn_log_config",
]

# Chatty at INFO and they log full URLs (chat webhooks carry their token in the path): the
# scrubber would catch those, but a line per delivery is noise either way.
_QUIET_LOGGERS = ("httpx", "httpcore", "aiosmtplib", "asyncio")


def _scrub_fields(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Every field scrubbed, the rendered ``exception`` text included; secret-named fields go."""
    for key, value in list(event_dict.items()):
        if key.lower() in SECRET_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = scrub_value(value)
    return event_dict


def _scrub_rendered(_logger: Any, _name: str, rendered: Any) -> Any:
    """The last pass, on the finished line: whatever a renderer produced is scrubbed too."""
    if isinstance(rendered, bytes):
        return scrub(rendered.decode("utf-8", "replace")).encode("utf-8")
    return scrub(rendered) if isinstance(rendered, str) else rendered


def _renderer(json: bool) -> Processor:
    if json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


def _tail(json: bool) -> list[Processor]:
    """Exception to text, scrub the fields, render, scrub the line: shared by both chains."""
    return [
        structlog.processors.format_exc_info,
        _scrub_fields,
        _renderer(json),
        _scrub_rendered,
    ]


def formatter(json: bool = True, use_colors: bool | None = None) -> logging.Formatter:
    """The stdlib formatter of every handler Plantão installs (``use_colors`` is uvicorn's and
    ignored: colour codes would split the text the scrubber matches)."""
    del use_colors
    pre_chain: Sequence[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_tail(json)],
    )


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now, so redirection (tests, daemons) is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class PlantaoHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler: the scrubbing formatter, on the current ``sys.stderr``.

    Its own class so that :func:`configure` can replace the one it (or uvicorn's ``log_config``)
    installed before without touching handlers others added (pytest's ``caplog``).
    """

    def __init__(self, json: bool = True) -> None:
        super().__init__(_CurrentStderr())
        self.setFormatter(formatter(json))


def uvicorn_log_config(level: str = "INFO", *, json: bool = True) -> dict[str, Any]:
    """``log_config`` for ``uvicorn.run``: uvicorn's loggers propagate to the scrubbing root.

    Uvicorn otherwise installs its own plain formatters, whose tracebacks ("Exception in ASGI
    application") quote the exception text unscrubbed.
    """
    factory = f"{__name__}.formatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": factory, "json": json},
            "access": {"()": factory, "json": json},
        },
        "handlers": {"plantao": {"()": f"{__name__}.PlantaoHandler", "json": json}},
        "root": {"handlers": ["plantao"], "level": _level(level)},
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
    }


def _level(level: str) -> int:
    return logging.getLevelNamesMapping().get(level.upper(), logging.INFO)


def _install_root_handler(level: int, json: bool) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, PlantaoHandler):
            root.removeHandler(handler)
    root.addHandler(PlantaoHandler(json))
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """A thread that dies of an uncaught exception is logged through the scrubber, not printed."""
    if args.exc_type is SystemExit:
        return
    exc = args.exc_value if args.exc_value is not None else args.exc_type()
    structlog.get_logger("plantao").error(
        "thread.uncaught",
        thread=args.thread.name if args.thread is not None else None,
        exc_info=(args.exc_type, exc, args.exc_traceback),
    )


def configure(
    level: str = "INFO", *, json: bool = True, secrets: Sequence[str | None] = ()
) -> None:
    """Configure structlog, the stdlib root logger and the thread hook; idempotent.

    ``secrets`` are values this process holds (signing key, SMTP password) that must never be
    printed, whatever surrounds them.
    """
    for value in secrets:
        register_secret(value)
    numeric = _level(level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *_tail(json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    _install_root_handler(numeric, json)
    threading.excepthook = _log_thread_exception
