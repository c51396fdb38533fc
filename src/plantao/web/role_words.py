"""The roles' and declaration's timeline entries (``role.assigned``, ``.handed_over``,
``.removed``, ``.handoff`` written by ``plantao.command.roles``; ``incident.declared`` by
``plantao.incidents.declare``) in the reader's language, from their data rather than their
stored English message. A hand-off keeps what its author wrote; only its labels change."""

from __future__ import annotations

from collections.abc import Mapping

KINDS = frozenset(
    {"role.assigned", "role.handed_over", "role.removed", "role.handoff", "incident.declared"}
)


def _role(t: Mapping[str, str], data: Mapping[str, object]) -> str:
    role = str(data.get("role", "?"))
    return "SME" if role == "sme" else t.get(f"cmd_role_{role}", role)


def describe(kind: str, data: Mapping[str, object], message: str, t: Mapping[str, str]) -> str:
    if kind == "incident.declared":
        return _declared(data, message, t)
    user = str(data.get("user", "?"))
    if kind == "role.assigned" and data.get("via") == "acknowledged":
        return t["cmd_tl_ic_on_ack"].format(user=user)
    if kind == "role.handoff":
        lines = [t["cmd_tl_handoff"].format(old=data.get("from") or "—", new=data.get("to", "?"))]
        for key, label in (
            ("context", "cmd_handoff_context"),
            ("status", "cmd_handoff_status"),
            ("next_steps", "cmd_handoff_next"),
        ):
            lines.append(f"{t[label]}: {data.get(key) or '—'}")
        return "\n".join(lines)
    text = t[f"cmd_tl_{kind.removeprefix('role.')}"]
    return text.format(user=user, role=_role(t, data), old=data.get("from", "?"))


def _declared(data: Mapping[str, object], message: str, t: Mapping[str, str]) -> str:
    """ "Declared: <why>": the category in the reader's words, then the declarer's own text."""
    why = message.partition(": ")[2]
    category = data.get("category")
    parts = []
    if isinstance(category, str) and category:
        parts.append(t.get(f"cmd_cat_{category}", category))
        why = why.removeprefix(category.replace("_", " ")).removeprefix(": ")
        if why == "no reason given":
            why = ""
    elif why == "no reason given":
        why = t["cmd_tl_no_reason"]
    if why:
        parts.append(why)
    return t["cmd_tl_declared"].format(why=": ".join(parts))
