"""A person's contact methods, notification rules and throttle, made exactly what
``plantao.yaml`` (or an admin) declares."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import NotFound, ValidationFailed
from plantao.notify.models import (
    CONTACT_TYPES,
    UNSENT_STATES,
    ContactMethod,
    Delivery,
    NotificationRule,
)
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec, ThrottleSpec
from plantao.people.models import User


def _validate_method(handle: str, spec: ContactMethodSpec) -> None:
    where = f"contact {handle}/{spec.name}"
    if not spec.name or len(spec.name) > 64:
        raise ValidationFailed(f"{where}: name must be 1-64 characters")
    if spec.type not in CONTACT_TYPES:
        raise ValidationFailed(
            f"{where}: unknown type {spec.type!r}; use {', '.join(CONTACT_TYPES)}"
        )
    address = spec.address.strip()
    if not address or len(address) > 2048:
        raise ValidationFailed(f"{where}: address is empty or too long")
    if spec.type == "email" and ("@" not in address or " " in address):
        raise ValidationFailed(f"{where}: {address!r} is not an e-mail address")
    if spec.type in ("webhook", "slack", "mattermost", "teams") and not address.startswith(
        ("https://", "http://")
    ):
        raise ValidationFailed(f"{where}: address must be an http(s) URL")
    if spec.type == "webhook" and not spec.secret:
        raise ValidationFailed(f"{where}: a generic webhook needs a signing secret")


def _fmt_after(seconds: int) -> str:
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def set_contact_methods(
    session: Session,
    user_id: int,
    methods: list[ContactMethodSpec],
    rules: list[NotificationRuleSpec],
    throttle: ThrottleSpec | None,
) -> list[str]:
    """Make the user's contact methods and rules exactly these; returns what changed.

    Changes read like ``+ contact ana/work-email``, ``~ contact ana/work-email (address)``,
    ``- contact ana/pager``, ``+ rule ana/work-email after 2m (high)``. A removed contact
    method's unsent deliveries are cancelled. Applying the same input twice returns ``[]``.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    handle = user.handle
    limit = throttle.limit if throttle else 5
    window = int((throttle.window if throttle else timedelta(minutes=15)).total_seconds())
    if limit < 1 or window < 1:
        raise ValidationFailed(f"throttle for {handle}: limit and window must be positive")
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValidationFailed(f"contacts of {handle}: names must be unique")
    for spec in methods:
        _validate_method(handle, spec)
    for rule in rules:
        if rule.contact not in names:
            raise ValidationFailed(f"rule of {handle}: unknown contact {rule.contact!r}")
        if rule.after < timedelta(0):
            raise ValidationFailed(f"rule of {handle}/{rule.contact}: after must not be negative")
        if rule.urgency not in ("high", "low", "any"):
            raise ValidationFailed(f"rule of {handle}/{rule.contact}: unknown urgency")

    changes: list[str] = []
    existing = {
        c.name: c
        for c in session.scalars(select(ContactMethod).where(ContactMethod.user_id == user_id))
    }
    for name, contact in sorted(existing.items()):
        if name not in names:
            session.execute(
                update(Delivery)
                .where(Delivery.contact_method_id == contact.id, Delivery.state.in_(UNSENT_STATES))
                .values(
                    state="cancelled",
                    last_error="cancelled: contact method removed",
                    finished_at=clock.now(),
                )
                .execution_options(synchronize_session=False)
            )
            session.delete(contact)
            changes.append(f"- contact {handle}/{name}")
    session.flush()
    by_name: dict[str, ContactMethod] = {}
    for spec in methods:
        found = existing.get(spec.name)
        secret = spec.secret or None
        address = spec.address.strip()
        if found is None:
            found = ContactMethod(
                user_id=user_id,
                name=spec.name,
                type=spec.type,
                address=address,
                secret=secret,
                throttle_limit=limit,
                throttle_window_seconds=window,
            )
            session.add(found)
            changes.append(f"+ contact {handle}/{spec.name} ({spec.type})")
        else:
            what = []
            if found.type != spec.type:
                found.type = spec.type
                what.append("type")
            if found.address != address:
                found.address = address
                what.append("address")
            if found.secret != secret:
                found.secret = secret
                what.append("secret")
            if (found.throttle_limit, found.throttle_window_seconds) != (limit, window):
                found.throttle_limit = limit
                found.throttle_window_seconds = window
                what.append(f"throttle {limit}/{_fmt_after(window)}")
            if what:
                changes.append(f"~ contact {handle}/{spec.name} ({', '.join(what)})")
        by_name[spec.name] = found
    session.flush()

    id_to_name = {c.id: n for n, c in by_name.items()}
    have = {
        (id_to_name.get(r.contact_method_id, "?"), r.after_seconds, r.urgency): r
        for r in session.scalars(
            select(NotificationRule).where(NotificationRule.user_id == user_id)
        )
    }
    want = {(r.contact, int(r.after.total_seconds()), r.urgency) for r in rules}
    for key, old_rule in sorted(have.items()):
        if key not in want:
            session.delete(old_rule)
            if key[0] in by_name:  # rules of removed contacts went with them
                changes.append(f"- rule {handle}/{key[0]} after {_fmt_after(key[1])} ({key[2]})")
    for key in sorted(want - set(have)):
        session.add(
            NotificationRule(
                user_id=user_id,
                contact_method_id=by_name[key[0]].id,
                after_seconds=key[1],
                urgency=key[2],
            )
        )
        changes.append(f"+ rule {handle}/{key[0]} after {_fmt_after(key[1])} ({key[2]})")
    session.flush()
    return changes
