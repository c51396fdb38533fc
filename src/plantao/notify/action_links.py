"""Acting on a signed action link (``/a/{token}``): inspect it, redeem it once, acknowledge or
resolve as the person it was sent to.

The token format and its checks live in :mod:`plantao.notify.link_tokens` (pure); this module
adds what needs the database: the incident and person the link names, and the spent nonces.
An escalate link is redeemed here like any other, but the escalation itself belongs to on-call,
a domain above notify: the entry point that redeems it (``notify/views.py``) asks on-call.
Everything here flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth import keyring
from plantao.config import Settings, get_settings
from plantao.errors import InvalidTransition, NotFound
from plantao.incidents import access as incident_access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action as IncidentAction
from plantao.incidents.models import Incident
from plantao.notify import link_tokens, paging, rendering
from plantao.notify.link_tokens import ActionClaim, ActionLinkError, LinkAction
from plantao.notify.models import UsedActionNonce
from plantao.people.models import User

_STATUS_ACTIONS = {
    LinkAction.ACK: IncidentAction.ACKNOWLEDGE,
    LinkAction.RESOLVE: IncidentAction.RESOLVE,
}


class UsedLinkError(ActionLinkError):
    title = "Action link already used"


@dataclass(frozen=True)
class ActionPreview:
    claim: ActionClaim
    incident_ref: str
    incident_title: str
    incident_status: str
    user_handle: str
    user_name: str
    language: str


@dataclass(frozen=True)
class ActionResult:
    preview: ActionPreview
    outcome: str  # "acknowledged", "resolved", "escalated", "responder", "no-op"
    message: str


@dataclass(frozen=True)
class Redeemed:
    """A link spent by :func:`redeem`: what it says and its incident, locked for the action."""

    preview: ActionPreview
    incident: Incident

    @property
    def action(self) -> LinkAction:
        return self.preview.claim.action


def inspect_action(session: Session, token: str, settings: Settings | None = None) -> ActionPreview:
    """Verify a link and describe what it would do; raises ActionLinkError, changes nothing."""
    settings = settings or get_settings()
    keys = keyring.current(session, settings).verifying
    claim = link_tokens.verify_action(token, keys, clock.now())
    if session.get(UsedActionNonce, claim.nonce) is not None:
        raise UsedLinkError("this action link was already used")
    try:
        incident = incident_service.get(session, int(claim.incident_id))
        user = session.get(User, int(claim.subject))
    except (ValueError, NotFound):
        raise link_tokens.MalformedLinkError("the incident of this link does not exist") from None
    if user is None:
        raise link_tokens.MalformedLinkError("the person this link was sent to does not exist")
    return ActionPreview(
        claim=claim,
        incident_ref=incident.human_id,
        incident_title=incident.title,
        incident_status=incident.status,
        user_handle=user.handle,
        user_name=user.name,
        language=rendering.language_for(user.language),
    )


def redeem(
    session: Session, token: str, settings: Settings | None = None, *, expected: str | None = None
) -> Redeemed:
    """Verify the link and burn its nonce, with the incident locked; the caller then acts.

    The nonce row is inserted first: two concurrent POSTs of the same link collide on its
    primary key and only one acts.
    """
    settings = settings or get_settings()
    if expected is not None:
        keys = keyring.current(session, settings).verifying
        link_tokens.verify_action(token, keys, clock.now(), expected)
    preview = inspect_action(session, token, settings)
    claim = preview.claim
    incident = incident_service.get(session, int(claim.incident_id), for_update=True)
    session.add(
        UsedActionNonce(
            nonce=claim.nonce,
            incident_id=incident.id,
            user_id=int(claim.subject),
            action=str(claim.action),
            used_at=clock.now(),
            expires_at=claim.expires_at,
        )
    )
    session.flush()
    return Redeemed(preview, incident)


def change_status(session: Session, redeemed: Redeemed) -> ActionResult:
    """Acknowledge or resolve as the person the link was sent to. An action the incident no
    longer allows (acknowledging a resolved incident) leaves the link spent and reports
    ``no-op`` rather than failing."""
    transition = _STATUS_ACTIONS.get(redeemed.action)
    if transition is None:
        raise link_tokens.WrongPurposeError(f"a {redeemed.action} link changes no status")
    incident, actor = redeemed.incident, redeemed.preview.user_handle
    try:
        with session.begin_nested():
            incident_service.act(session, incident, transition, actor=actor, reason="signed link")
    except InvalidTransition:
        if redeemed.action is LinkAction.ACK and _answer_page(session, redeemed):
            message = f"{incident.human_id}: {actor} acknowledged the page as a responder"
            return ActionResult(redeemed.preview, "responder", message)
        return ActionResult(
            redeemed.preview, "no-op", f"{incident.human_id} is already {incident.status}"
        )
    if redeemed.action is LinkAction.ACK:
        _answer_page(session, redeemed)
    done = "acknowledged" if redeemed.action is LinkAction.ACK else "resolved"
    return ActionResult(redeemed.preview, done, f"{incident.human_id} {done} by {actor}")


def _answer_page(session: Session, redeemed: Redeemed) -> bool:
    """A responder paged onto the incident (``plantao.command.responders``) answered with the
    link: they are ``acknowledged``, and their later unsent responder pages are cancelled. An
    acknowledged incident's ack link thus still means "I am on it" for someone paged later."""
    user = session.get(User, int(redeemed.preview.claim.subject))
    if user is None or not incident_access.acknowledge_page(session, redeemed.incident, user):
        return False
    paging.cancel_responder_pages(
        session, redeemed.incident.id, user.id, f"acknowledged by {user.handle}"
    )
    return True


def purge_used_nonces(session: Session) -> int:
    """Forget nonces of links that expired (they are refused as expired anyway)."""
    result = session.execute(
        delete(UsedActionNonce).where(UsedActionNonce.expires_at < clock.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
