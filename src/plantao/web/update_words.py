"""The status updates' timeline entries (``status_update`` written by
``plantao.command.updates``, ``status_update.overdue`` by ``plantao.command.reminding``) in the
reader's language, from their data rather than their stored English message; the impact keeps
its author's words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

KINDS = frozenset({"status_update", "status_update.overdue"})


def _when(raw: object, local: Callable[[datetime], str]) -> str | None:
    try:
        return local(datetime.fromisoformat(raw)) if isinstance(raw, str) else None
    except ValueError:
        return None


def describe(
    kind: str,
    data: Mapping[str, object],
    message: str,
    t: Mapping[str, str],
    local: Callable[[datetime], str],
) -> str:
    if kind == "status_update.overdue":
        reminded = data.get("reminded")
        who = ", ".join(str(h) for h in reminded) if isinstance(reminded, list) else ""
        return t["upd_tl_overdue"].format(
            due=_when(data.get("due"), local) or "?", who=who or t["upd_tl_nobody"]
        )
    impact = data.get("impact")
    if not isinstance(impact, str):  # written before the impact was kept in the data
        return message
    text = t["upd_tl_posted"].format(
        kind=t.get(f"upd_kind_{data.get('kind')}", "?"),
        status=t.get(f"upd_{data.get('status')}", "?"),
        impact=impact,
    )
    due = _when(data.get("next_update_due_at"), local)
    return text + (t["upd_tl_next"].format(due=due) if due else "")
