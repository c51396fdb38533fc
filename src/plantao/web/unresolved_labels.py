"""The escalation of an acknowledged incident that is not resolved, in the reader's language:
its page labels (``level 2, unresolved 30 min``, ``level 3, category security`` as
``oncall.unresolved`` writes them; ``whos_on_it.parse_label`` reads them as ``level`` labels)
and its ``oncall.unresolved`` timeline entries, translated from their data (the stored message
stays English, as every timeline entry)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from plantao.oncall.unresolved_plan import describe_after
from plantao.web.whos_on_it import StepLabel

Texts = Mapping[str, str]

#: What ``oncall.unresolved`` writes for a risk that escalated at once → its text key suffix.
_RISKS = {
    "category security": "security",
    "category data_leak": "data_leak",
    "risk posture high": "posture",
}


def level_text(label: StepLabel, t: Texts) -> str:
    """``level 2, not resolved after 30 min`` / ``nível 2, sem resolução após 30 min``."""
    if label.text.startswith("unresolved "):
        detail = label.text.removeprefix("unresolved ")
        return t["unr_after"].format(level=label.step, detail=detail)
    risk = _RISKS.get(label.text)
    if risk is None:
        return f"level {label.step}, {label.text}"
    return t[f"unr_{risk}"].format(level=label.step, detail=label.text)


def entry_text(data: Mapping[str, object], t: Texts) -> str | None:
    """An ``oncall.unresolved`` entry from its data (None when the data is not as written)."""
    level, users, after = data.get("level"), data.get("users"), data.get("after_seconds")
    if not isinstance(level, int) or not isinstance(users, list):
        return None
    names = ", ".join(str(u) for u in users)
    risk = data.get("risk")
    if isinstance(risk, str) and risk in _RISKS:
        what = t[f"unr_risk_{_RISKS[risk]}"]
        return t["unr_tl_risk"].format(risk=what, level=level, users=names)
    if not isinstance(after, int | float):
        return None
    text = describe_after(timedelta(seconds=after))
    return t["unr_tl_after"].format(after=text, level=level, users=names)
