"""Signed subscription links, form tokens and webhook subscriber secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantao.notify.link_tokens import sign_action
from plantao.statuspage import subscription_tokens as tokens

KEY = "k" * 40
OLD = "o" * 40
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HASH = "ab" * 32


def test_confirm_link_round_trips() -> None:
    """A confirm link names its subscriber and binds the current generation."""
    token = tokens.sign_link(KEY, tokens.CONFIRM, 7, HASH, NOW)
    claim = tokens.verify_link(token, [KEY], NOW + timedelta(days=6), tokens.CONFIRM)
    assert (claim.purpose, claim.subscriber_id) == ("confirm", 7)
    assert tokens.binds(claim, HASH)
    assert not tokens.binds(claim, "cd" * 32)


def test_confirm_link_expires_after_a_week() -> None:
    """A confirmation link followed after seven days proves nothing."""
    token = tokens.sign_link(KEY, tokens.CONFIRM, 7, HASH, NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(token, [KEY], NOW + tokens.CONFIRM_TTL, tokens.CONFIRM)


def test_unsubscribe_link_does_not_expire() -> None:
    """An unsubscribe link in an old e-mail still works a year later."""
    token = tokens.sign_link(KEY, tokens.UNSUBSCRIBE, 7, HASH, NOW)
    claim = tokens.verify_link(token, [KEY], NOW + timedelta(days=365), tokens.UNSUBSCRIBE)
    assert claim.subscriber_id == 7


def test_link_of_another_purpose_is_refused() -> None:
    """A confirm link cannot unsubscribe, nor an unsubscribe link confirm."""
    confirm = tokens.sign_link(KEY, tokens.CONFIRM, 7, HASH, NOW)
    unsubscribe = tokens.sign_link(KEY, tokens.UNSUBSCRIBE, 7, HASH, NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(confirm, [KEY], NOW, tokens.UNSUBSCRIBE)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(unsubscribe, [KEY], NOW, tokens.CONFIRM)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: t.replace(".", ""),
        lambda t: "",
        lambda t: "é." + t,
    ],
)
def test_tampered_links_are_refused(mangle: object) -> None:
    """Edited, truncated or non-ASCII tokens raise TokenError, never anything else."""
    token = tokens.sign_link(KEY, tokens.CONFIRM, 7, HASH, NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(mangle(token), [KEY], NOW, tokens.CONFIRM)  # type: ignore[operator]


def test_retired_key_still_verifies_and_unknown_key_does_not() -> None:
    """Links signed before a key rotation work while the old key is in its grace period."""
    token = tokens.sign_link(OLD, tokens.UNSUBSCRIBE, 3, HASH, NOW)
    assert tokens.verify_link(token, [KEY, OLD], NOW, tokens.UNSUBSCRIBE).subscriber_id == 3
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(token, [KEY], NOW, tokens.UNSUBSCRIBE)


def test_action_link_token_is_not_a_subscription_link() -> None:
    """A token of another kind signed with the same key never verifies here."""
    action = sign_action(KEY, incident_id="1", action="ack", subject="2", expires_at=NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(action, [KEY], NOW, tokens.CONFIRM)
    form = tokens.sign_form(KEY, "public", NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_link(form, [KEY], NOW, tokens.CONFIRM)


def test_form_token_valid_two_hours_for_its_page() -> None:
    """A form token works for its page within two hours and not after, nor for another page."""
    form = tokens.sign_form(KEY, "public", NOW)
    tokens.verify_form(form, [KEY], "public", NOW + timedelta(hours=1, minutes=59))
    with pytest.raises(tokens.TokenError):
        tokens.verify_form(form, [KEY], "public", NOW + tokens.FORM_TTL)
    with pytest.raises(tokens.TokenError):
        tokens.verify_form(form, [KEY], "internal", NOW)
    with pytest.raises(tokens.TokenError):
        tokens.verify_form(form, [KEY], "public", NOW - timedelta(minutes=5))


def test_webhook_secret_is_stable_and_per_subscriber() -> None:
    """The derived secret depends on key, subscriber and generation, and never on time."""
    first = tokens.webhook_secret(KEY, 1, HASH)
    assert first == tokens.webhook_secret(KEY, 1, HASH)
    assert first.startswith("whsec_")
    others = {
        tokens.webhook_secret(KEY, 2, HASH),
        tokens.webhook_secret(OLD, 1, HASH),
        tokens.webhook_secret(KEY, 1, "cd" * 32),
    }
    assert first not in others and len(others) == 3


def test_new_token_hashes_differ() -> None:
    """Each subscription generation gets its own random value."""
    assert tokens.new_token_hash() != tokens.new_token_hash()
