"""The data of the incident page's Roles card (``templates/incident/roles.html``): each of seed
002's roles with who wears it, the people a role can go to, and who declared the incident by
hand and why. Added to the page's context by ``incident_pages.page_context``; the card's forms
are :mod:`plantao.web.role_forms`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plantao.command import role_holders, roles
from plantao.command.models import ROLES
from plantao.incidents.declare import GROUP_PREFIX
from plantao.incidents.models import Incident
from plantao.people import directory


def roles_context(session: Session, incident: Incident, can_write: bool) -> dict[str, Any]:
    """The card: each role with its holders, the people a role can go to, and who declared
    the incident by hand (with why), when someone did."""
    holders = role_holders.holders(session, [incident.id])[incident.id]
    rows = [
        {
            "role": role,
            "single": role not in roles.MANY,
            "holders": [h for h in holders if h.role == role],
        }
        for role in ROLES
    ]
    people = (
        [
            (u.handle, u.name)
            for u in directory.list_users(session, kind="user")
            if u.disabled_at is None
        ]
        if can_write
        else []
    )
    declared = None
    if incident.group_key.startswith(GROUP_PREFIX):
        declared = {
            "by": incident.created_by,
            "category": incident.category,
            "description": incident.description,
        }
    return {
        "cmd_roles": rows,
        "cmd_people": people,
        "cmd_declared": declared,
        "cmd_private": incident.private,
    }
