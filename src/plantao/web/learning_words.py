"""The postmortem's and its corrective actions' timeline entries (``postmortem.*`` written by
``plantao.postmortems.history``, ``action.*`` by ``plantao.postmortems.actions``) in the
reader's language, from their data rather than their stored English message; titles and
reasons keep their author's words."""

from __future__ import annotations

from collections.abc import Mapping

POSTMORTEM_KINDS = frozenset(
    {
        "postmortem.started",
        "postmortem.owner",
        "postmortem.submitted",
        "postmortem.approved",
        "postmortem.changes_requested",
        "postmortem.published",
        "postmortem.reopened",
    }
)
ACTION_KINDS = frozenset({"action.created", "action.changed"})
KINDS = POSTMORTEM_KINDS | ACTION_KINDS

#: An action's field as the reader calls it (the form's labels).
_FIELDS = {
    "title": "act_title",
    "owner": "act_owner",
    "due_date": "act_due",
    "status": "act_status",
    "kind": "act_kind",
    "severity": "act_severity",
    "must_fix": "act_must_fix",
    "ticket_url": "act_ticket",
    "measure": "act_measure",
    "environment": "act_environment",
}


def _value(name: str, value: object, t: Mapping[str, str]) -> str:
    if name == "status":
        return t.get(f"act_status_{value}", str(value))
    if name == "kind":
        return t.get(f"act_kind_{value}", str(value))
    if name == "must_fix":
        return t["lw_yes"] if value else t["lw_no"]
    return "—" if value in (None, "") else str(value)


def _changes(data: Mapping[str, object], t: Mapping[str, str]) -> str:
    changes = data.get("changes")
    if not isinstance(changes, Mapping):
        return ""
    shown = [
        f"{t[_FIELDS[name]]} → {_value(name, value, t)}"
        for name, value in changes.items()
        if name in _FIELDS
    ]
    reason = changes.get("reason")
    if isinstance(reason, str) and reason:
        shown.append(t["lw_reason"].format(reason=reason))
    return ", ".join(shown)


def describe(
    kind: str, data: Mapping[str, object], actor: str, message: str, t: Mapping[str, str]
) -> str:
    version = data.get("version", "?")
    if kind in POSTMORTEM_KINDS:
        name = kind.partition(".")[2]
        reviewers = data.get("reviewers")
        return t[f"lw_pm_{name}"].format(
            actor=actor,
            version=version,
            owner=data.get("owner", "?"),
            reviewers=", ".join(str(r) for r in reviewers) if isinstance(reviewers, list) else "?",
        )
    action = data.get("action", "?")
    if kind == "action.created":
        title = data.get("title")
        if not isinstance(title, str):  # written before the title was kept in the data
            return message
        text = t["lw_action_created"].format(
            actor=actor,
            action=action,
            title=title,
            owner=data.get("owner", "?"),
            due=data.get("due_date", "?"),
        )
        return text + (t["lw_action_must_fix"] if data.get("must_fix") else "")
    return t["lw_action_changed"].format(
        actor=actor, action=action, changes=_changes(data, t) or t["lw_details"]
    )
