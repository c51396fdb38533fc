"""The responders' timeline entries (``responder.paged``, ``.acknowledged``, ``.joined``,
written by ``plantao.command.responders``) in the reader's language, from their data rather
than their stored English message."""

from __future__ import annotations

from collections.abc import Mapping

KINDS = frozenset({"responder.paged", "responder.acknowledged", "responder.joined"})


def describe(kind: str, data: Mapping[str, object], t: Mapping[str, str]) -> str:
    if kind != "responder.paged":
        return t[f"rsp_tl_{kind.removeprefix('responder.')}"].format(user=data.get("user", "?"))
    users = data.get("users")
    names = [str(u) for u in users] if isinstance(users, list) else ["?"]
    source, _, name = str(data.get("via", "user")).partition(":")
    via = t[f"rsp_tl_via_{source}"].format(name=name) if source in ("schedule", "policy") else ""
    text = t["rsp_tl_paged" if len(names) == 1 else "rsp_tl_paged_many"].format(
        users=", ".join(names), via=via
    )
    message = data.get("message")
    return f"{text}: {message}" if message else text
