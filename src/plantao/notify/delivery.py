"""The outbox side of delivery: lease due rows, apply throttles, record outcomes (fenced).

The engine's delivery step (``plantao.engine.delivery_step``) calls these in short transactions of
its own and does the network I/O in between, holding no database lock while a provider is slow.

Leasing (:func:`lease_due`), in one transaction:

1. **Digests.** For each contact method whose ``held`` rows are due (its throttle window
   opened), the held rows become ``bundled`` and one ``digest`` row is written for them.
2. **Pick.** Due rows — ``pending``/``retrying`` with ``next_attempt_at <= now``, or ``leased``
   with an expired lease (an engine died mid-send) — are selected ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so concurrent engines pick disjoint rows and never wait on each other
   (:func:`plantao.jobs.leasing.pick`, shared with the job queue).
   A picked page queued before its incident left the triggered state (an acknowledgement the
   engine's reaction step has not reacted to yet) is ``cancelled`` instead of sent
   (:func:`plantao.incidents.reactions.left_triggered_since`): from the moment an ack commits,
   nothing it makes stale goes out, however late the reaction step runs.
3. **Throttle.** The picked rows' contact methods are locked (``FOR UPDATE``, in id order: no
   deadlock), so two engines cannot both decide that the fifth slot of the same window is free.
   A row never released before is checked with :func:`plantao.notify.throttle.decide` against
   the contact's ``released_at`` times: allowed → ``released_at = now``; held → ``held`` until
   the window opens. Retries and digests are not throttled again.
   A ``message`` to a list or a channel (no contact method, an ``address``) is throttled per
   address instead and never bundled (:mod:`plantao.notify.addressed`).
4. **Lease.** ``state='leased'``, ``locked_by=<worker>``, ``attempts += 1``,
   ``lease_until = now + lease``. (``locked_by``, ``attempts``) is the fencing token.

Recording (:func:`record`) updates the row only if it is still ``leased`` by the same worker at
the same attempt (:func:`plantao.jobs.leasing.fenced`); a stale engine whose lease expired (and
whose row another engine re-leased) changes nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import ColumnElement, and_, exists, literal, or_, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.config import Settings
from plantao.incidents import reactions
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import IncidentReaction
from plantao.jobs import leasing
from plantao.notify import addressed, backoff, rendering, throttle
from plantao.notify.channels.base import (
    ActionLink,
    Channel,
    ContactTarget,
    Delivered,
    DeliveryOutcome,
    OutgoingMessage,
    PermanentFailure,
)
from plantao.notify.channels.email import EmailChannel, SmtpSettings
from plantao.notify.channels.slack import SlackChannel
from plantao.notify.channels.teams import TeamsChannel
from plantao.notify.channels.webhook import WebhookChannel
from plantao.notify.models import RESPONDER_STEP_PREFIX, UNSENT_STATES, ContactMethod, Delivery
from plantao.people.models import User

__all__ = [
    "Leased",
    "build_channels",
    "cancel_stale_pages",
    "lease_due",
    "missing_channel",
    "policy_from",
    "record",
]
STALE = "cancelled: the incident left triggered before this page was sent"
#: Waiting rows are due at ``next_attempt_at``; ``held`` rows (throttled) are bundled into a
#: digest instead of leased, so they are not a waiting state here.
DELIVERIES = leasing.LeasedTable(
    model=Delivery,
    id=Delivery.id,
    state=Delivery.state,
    due_at=Delivery.next_attempt_at,
    lease_until=Delivery.lease_until,
    locked_by=Delivery.locked_by,
    attempts=Delivery.attempts,
    waiting=("pending", "retrying"),
    leased="leased",
)


@dataclass(frozen=True)
class Leased:
    """One leased delivery: what to send, where, and the fencing token to record it with."""

    id: int
    attempt: int
    worker: str
    channel: str
    message: OutgoingMessage
    target: ContactTarget | None = field(repr=False)


def policy_from(settings: Settings) -> backoff.BackoffPolicy:
    return backoff.BackoffPolicy(
        base=timedelta(seconds=settings.delivery_backoff_base_seconds),
        cap=timedelta(
            seconds=max(
                settings.delivery_backoff_cap_seconds, settings.delivery_backoff_base_seconds
            )
        ),
        max_attempts=settings.delivery_max_attempts,
    )


def _bundle_open_windows(session: Session, settings: Settings, now: datetime, limit: int) -> int:
    contact_ids = list(
        session.scalars(
            select(Delivery.contact_method_id)
            .where(Delivery.state == "held", Delivery.next_attempt_at <= now)
            .group_by(Delivery.contact_method_id)
            .limit(limit)
        )
    )
    made = 0
    for contact_id in contact_ids:
        if contact_id is None:
            continue
        contact = session.scalars(
            leasing.for_update(
                session,
                select(ContactMethod).where(ContactMethod.id == contact_id),
                skip_locked=True,
            )
        ).one_or_none()
        if contact is None:  # another engine is bundling it
            continue
        held = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.contact_method_id == contact_id, Delivery.state == "held")
                .order_by(Delivery.id)
            )
        )
        if not held or min(d.next_attempt_at for d in held) > now:
            continue
        user = session.get(User, contact.user_id)
        digest = throttle.bundle(
            [throttle.HeldMessage(d.incident_ref, d.subject, d.created_at) for d in held]
        )
        language = rendering.language_for(user.language if user else None)
        rendered = rendering.render_digest(
            digest,
            rendering.DigestContext(
                user_name=user.name if user else "?",
                contact_name=contact.name,
                limit=contact.throttle_limit,
                window_minutes=max(1, contact.throttle_window_seconds // 60),
                base_url=settings.base_url.rstrip("/"),
            ),
            language,
            settings.notify_template_dir,
        )
        row = Delivery(
            idempotency_key=f"digest:{contact_id}:{held[0].id}-{held[-1].id}:{len(held)}",
            kind="digest",
            incident_id=None,
            user_id=contact.user_id,
            contact_method_id=contact_id,
            channel=contact.type,
            step="digest",
            reason=f"{len(held)} held notifications",
            urgency=max((d.urgency for d in held), key=lambda u: u == "high"),
            incident_ref=digest.incidents[0].incident_ref if len(digest.incidents) == 1 else "*",
            severity=min(d.severity for d in held),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            links=[],
            state="pending",
            attempts=0,
            next_attempt_at=now,
            released_at=now,  # a digest uses the slot the window just freed
            created_at=now,
        )
        session.add(row)
        session.flush()
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_([d.id for d in held]))
            .values(state="bundled", bundled_into_id=row.id, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        made += 1
    return made


def _message(row: Delivery) -> OutgoingMessage:
    return OutgoingMessage(
        subject=row.subject,
        text=row.text,
        incident_ref=row.incident_ref,
        severity=row.severity,
        idempotency_key=row.idempotency_key,
        html=row.html,
        links=tuple(ActionLink(lk["action"], lk["label"], lk["url"]) for lk in row.links),
        created_at=row.created_at,
    )


def lease_due(
    session: Session,
    settings: Settings,
    worker: str,
    *,
    limit: int,
    lease: timedelta,
    secrets: addressed.SecretLookup | None = None,
) -> list[Leased]:
    """Lease up to ``limit`` due deliveries to ``worker`` (see the module docstring).

    Rows addressed to a list or channel rather than a contact method are throttled per
    address and targeted by :mod:`plantao.notify.addressed`; ``secrets`` finds the signing
    secret of a generic webhook among them."""
    if limit <= 0:
        return []
    now = clock.now()
    _bundle_open_windows(session, settings, now, limit)
    rows: list[Delivery] = leasing.pick(session, DELIVERIES, Delivery, now=now, limit=limit)
    if not rows:
        return []
    stale = _stale(session, rows)
    if stale:
        for row in rows:
            if row.id in stale:
                row.state, row.last_error, row.finished_at = "cancelled", STALE, now
                row.lease_until = None
        rows = [row for row in rows if row.id not in stale]
    to_address = addressed.release(
        session, [r for r in rows if addressed.is_addressed(r)], now, secrets
    )
    contact_ids = sorted({r.contact_method_id for r in rows if r.contact_method_id is not None})
    contacts = {
        c.id: c
        for c in session.scalars(
            leasing.for_update(
                session,
                select(ContactMethod)
                .where(ContactMethod.id.in_(contact_ids))
                .order_by(ContactMethod.id),
                skip_locked=False,
            )
        )
    }
    recent: dict[int, list[datetime]] = defaultdict(list)
    needs_window = [
        c
        for c in contacts.values()
        if any(r.contact_method_id == c.id and r.released_at is None for r in rows)
    ]
    for method in needs_window:
        since = now - timedelta(seconds=method.throttle_window_seconds)
        recent[method.id] = list(
            session.scalars(
                select(Delivery.released_at).where(
                    Delivery.contact_method_id == method.id,
                    Delivery.released_at > since,
                    Delivery.state != "bundled",
                )
            )
        )
    leased: list[Leased] = []
    for row in rows:
        if addressed.is_addressed(row):
            if row.id in to_address:
                attempt = leasing.lease_row(DELIVERIES, row, worker, now + lease)
                item = Leased(
                    row.id, attempt, worker, row.channel, _message(row), to_address[row.id]
                )
                leased.append(item)
            continue
        contact = contacts.get(row.contact_method_id) if row.contact_method_id else None
        if contact is None:
            row.state = "dead"
            row.last_error = "the contact method was removed"
            row.finished_at = now
            row.lease_until = None
            continue
        if row.released_at is None:
            decision = throttle.decide(
                recent[contact.id],
                now,
                limit=contact.throttle_limit,
                window=timedelta(seconds=contact.throttle_window_seconds),
            )
            if isinstance(decision, throttle.Hold):
                row.state = "held"
                row.next_attempt_at = decision.until
                row.lease_until = None
                continue
            row.released_at = now
            recent[contact.id].append(now)
        attempt = leasing.lease_row(DELIVERIES, row, worker, now + lease)
        target = ContactTarget(
            address=contact.address,
            contact_id=str(contact.id),
            name=contact.name,
            secret=contact.secret,
        )
        leased.append(Leased(row.id, attempt, worker, row.channel, _message(row), target))
    session.flush()
    return leased


#: A responder page (``RESPONDER_STEP_PREFIX``) goes stale only once its incident is over:
#: those people were asked for on purpose, whoever acknowledged the incident meanwhile.
_OVER = (Status.RESOLVED.value, Status.CLOSED.value)


def _made_stale(markers: list[int] | None = None) -> ColumnElement[bool]:
    """SQL: the page was queued before its incident left triggered (for a responder page:
    before it was resolved or closed); ``markers`` as in ``left_triggered_since``."""
    responder = Delivery.step.startswith(RESPONDER_STEP_PREFIX)
    over = [
        IncidentReaction.incident_id == Delivery.incident_id,
        IncidentReaction.kind == reactions.STATUS,
        IncidentReaction.status.in_(_OVER),
        IncidentReaction.created_at >= Delivery.created_at,
    ]
    if markers is not None:
        over.append(IncidentReaction.id.in_(markers))
    left = reactions.left_triggered_since(Delivery.incident_id, Delivery.created_at, among=markers)
    return or_(and_(~responder, left), and_(responder, exists().where(*over)))


def _stale(session: Session, rows: list[Delivery]) -> set[int]:
    """The ids of picked pages whose incident left the triggered state after they were queued."""
    pages = [r.id for r in rows if r.kind == "page" and r.incident_id is not None]
    if not pages:
        return set()
    return set(
        session.scalars(
            select(Delivery.id).where(
                Delivery.id.in_(pages),
                _made_stale(),
            )
        )
    )


def cancel_stale_pages(session: Session, incident_ids: list[int], markers: list[int]) -> int:
    """Cancel, in one UPDATE, the unsent pages of ``incident_ids`` queued before one of the
    status ``markers`` took the incident out of the triggered state; the reason names the
    transition and who made it (``cancelled: acknowledged by ana``). Pages queued after it (a
    person escalating an acknowledged incident) stay, and so do responder pages until the
    incident is resolved or closed. In-flight (``leased``) rows are being
    handed to a provider already: cancelling could not un-send them, so they finish."""
    if not incident_ids or not markers:
        return 0
    why = (
        select(IncidentReaction.status + " by " + IncidentReaction.actor)
        .where(
            IncidentReaction.incident_id == Delivery.incident_id,
            IncidentReaction.id.in_(markers),
            IncidentReaction.kind == reactions.STATUS,
            IncidentReaction.status != Status.TRIGGERED.value,
        )
        .order_by(IncidentReaction.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.incident_id.in_(sorted(set(incident_ids))),
            Delivery.kind == "page",
            Delivery.state.in_(UNSENT_STATES),
            _made_stale(markers),
        )
        .values(
            state="cancelled",
            last_error=literal("cancelled: ") + why,
            finished_at=clock.now(),
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def record(
    session: Session,
    leased: Leased,
    outcome: DeliveryOutcome,
    policy: backoff.BackoffPolicy,
    rng: backoff.RandomSource | None = None,
) -> str:
    """Write the outcome of one attempt; returns the new state, or ``"lost"`` (fence failed)."""
    now = clock.now()
    values: dict[str, Any] = {"lease_until": None}
    if isinstance(outcome, Delivered):
        values |= {"state": "sent", "sent_at": now, "finished_at": now, "last_error": None}
        if outcome.provider_id:
            values["provider_id"] = outcome.provider_id[:255]
    elif isinstance(outcome, PermanentFailure) or backoff.is_exhausted(leased.attempt, policy):
        reason = outcome.reason
        if not isinstance(outcome, PermanentFailure):
            reason = f"gave up after {leased.attempt} attempts: {reason}"
        values |= {"state": "dead", "finished_at": now, "last_error": reason[:4000]}
    else:
        when = backoff.next_attempt_at(
            leased.attempt,
            now,
            rng or random.SystemRandom(),
            policy,
            retry_after=outcome.retry_after,
        )
        values |= {
            "state": "retrying",
            "next_attempt_at": when,
            "last_error": outcome.reason[:4000],
        }
    result = session.execute(
        update(Delivery)
        .where(leasing.fenced(DELIVERIES, leased))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return str(values["state"]) if result.rowcount else "lost"  # type: ignore[attr-defined]


def build_channels(
    settings: Settings, client: httpx.AsyncClient | None = None
) -> dict[str, Channel]:
    """One channel per contact type this server can deliver; other types dead-letter at once.

    ``sms``/``voice`` need a provider plugin and are absent here: such deliveries end ``dead``
    with a reason that says so, visible in ``GET /api/v1/deliveries?state=dead``.
    """
    timeout = settings.delivery_timeout_seconds
    chat = SlackChannel(client=client, timeout=timeout)
    channels: dict[str, Channel] = {
        "webhook": WebhookChannel(client=client, timeout=timeout),
        "slack": chat,
        "mattermost": chat,
        "teams": TeamsChannel(client=client, timeout=timeout),
    }
    if settings.smtp_host:
        channels["email"] = EmailChannel(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                username=settings.smtp_user,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                use_tls=settings.smtp_tls,
                timeout=timeout,
            )
        )
    return channels


def missing_channel(channel: str) -> PermanentFailure:
    if channel == "email":
        return PermanentFailure("e-mail is not configured (set PLANTAO_SMTP_HOST)")
    return PermanentFailure(f"no provider is configured for {channel} contact methods")
