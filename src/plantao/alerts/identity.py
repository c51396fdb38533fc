"""Stable alert identities and group keys.

An alert's identity decides dedup: Alertmanager gives a ``fingerprint``; when a sender omits it
we hash the sorted label set the same way every time, so the same alert from any replica of the
sender lands on the same row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(labels):
        h.update(name.encode())
        h.update(b"\xff")
        h.update(str(labels[name]).encode())
        h.update(b"\xff")
    return h.hexdigest()[:16]


def group_key(labels: Mapping[str, str], group_by: Iterable[str]) -> str:
    """Key of the group the alert belongs to; ``...`` means every label, as in Alertmanager."""
    names = list(group_by)
    if "..." in names:
        names = sorted(labels)
    parts = [f"{name}={labels.get(name, '')}" for name in sorted(set(names))]
    return "{" + ",".join(parts) + "}"
