"""The operator's group mappings for single sign-on, kept in the database.

``plantao apply`` writes them from the ``sso.group_mappings`` section of ``plantao.yaml`` and
every SSO login reads them, so a mapping changed in the file takes effect at each person's next
login without restarting anything. They live in ``auth_settings`` rows, one JSON object per
mapping under ``oidc_group_mappings.NNNN`` (a setting's value is at most 500 characters, too
little for a whole list), in the file's order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao.auth.models import AuthSetting
from plantao.auth.oidc_claims import ROLE_ORDER, GroupMapping
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor

KEY = "oidc_group_mappings"
_PREFIX = KEY + "."
_OURS = AuthSetting.key.startswith(_PREFIX, autoescape=True)
#: Longest group name stored (the JSON of one mapping must fit a 500-character setting).
GROUP_MAX = 300


def _row_key(index: int) -> str:
    return f"{_PREFIX}{index:04d}"


def _as_dict(mapping: GroupMapping) -> dict[str, str | None]:
    return {"group": mapping.group, "team": mapping.team, "role": mapping.role}


def load_mappings(session: Session) -> list[GroupMapping]:
    """The stored mappings in the order they were declared (empty when none were applied)."""
    rows = session.scalars(select(AuthSetting).where(_OURS).order_by(AuthSetting.key))
    mappings = []
    for row in rows:
        data = json.loads(row.value)
        role = data["role"]
        if role not in ROLE_ORDER:  # a row written by hand; never grant what we cannot read
            continue
        mappings.append(GroupMapping(group=data["group"], team=data.get("team"), role=role))
    return mappings


def save_mappings(
    session: Session, mappings: Sequence[GroupMapping], *, actor: AuditActor = SYSTEM
) -> bool:
    """Replace the stored mappings; True (and an audit entry) when they changed. Flushes."""
    for mapping in mappings:
        if len(mapping.group) > GROUP_MAX:
            raise ValueError(f"group names are limited to {GROUP_MAX} characters")
    before = [_as_dict(m) for m in load_mappings(session)]
    after = [_as_dict(m) for m in mappings]
    if before == after:
        return False
    session.execute(delete(AuthSetting).where(_OURS))
    for index, value in enumerate(after):
        session.add(AuthSetting(key=_row_key(index), value=json.dumps(value, sort_keys=True)))
    session.flush()
    audit.record(
        session,
        actor,
        "settings.sso_group_mappings",
        "setting",
        KEY,
        before={"mappings": before},
        after={"mappings": after},
    )
    return True
