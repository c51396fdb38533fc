"""How a person wants to be reached: the shapes shared by plantao.yaml and notify.contacts.

``ContactMethodSpec`` is one way to reach someone; ``NotificationRuleSpec`` says how long after
a page starts that method is used, and for which urgency (PagerDuty-style notification rules:
e.g. push/chat at once, e-mail after 2 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

ContactType = Literal["email", "webhook", "slack", "mattermost", "teams", "sms", "voice"]
Urgency = Literal["high", "low", "any"]


@dataclass(frozen=True)
class ContactMethodSpec:
    name: str
    type: ContactType
    address: str  # e-mail address, webhook URL, or phone number for provider plugins
    secret: str | None = None  # signing secret for generic webhooks


@dataclass(frozen=True)
class NotificationRuleSpec:
    contact: str  # ContactMethodSpec.name of the same user
    after: timedelta = timedelta(0)
    urgency: Urgency = "any"


@dataclass(frozen=True)
class ThrottleSpec:
    limit: int = 5
    window: timedelta = timedelta(minutes=15)
