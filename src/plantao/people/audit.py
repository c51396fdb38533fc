"""Writing the audit log: who changed what, when, from where, and the object before and after.

Every change that does not land on an incident timeline is recorded here by the use case that
makes it, in the same transaction, so a rolled-back change leaves no entry and a committed one
always has its entry. Values of fields whose name says they hold a secret are replaced before
writing: the log is meant to be exported and read by auditors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from plantao import clock
from plantao.people.actor import AuditActor
from plantao.people.models import AuditEntry

_SECRET_WORDS = ("secret", "password", "token_hash", "token", "key", "hash")
_KEEP = frozenset({"prefix", "kind", "keys"})
REDACTED = "[redacted]"


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): (
                REDACTED
                if str(k) not in _KEEP and any(w in str(k).lower() for w in _SECRET_WORDS)
                else _clean(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(
    session: Session,
    actor: AuditActor,
    action: str,
    object_type: str,
    object_id: object,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Flushes nothing by itself: it commits with the change it describes."""
    entry = AuditEntry(
        at=clock.now(),
        actor=actor.handle[:200],
        actor_user_id=actor.user_id,
        via=actor.via[:32],
        source=(actor.source or None) and str(actor.source)[:64],
        action=action[:64],
        object_type=object_type[:32],
        object_id=str(object_id)[:200],
        before=_clean(before) if before is not None else None,
        after=_clean(after) if after is not None else None,
    )
    session.add(entry)
    return entry
