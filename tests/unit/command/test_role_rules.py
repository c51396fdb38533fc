"""The role rules that need no database: the IC hand-off's format and the checks on input."""

from __future__ import annotations

import pytest

from plantao.command import roles
from plantao.command.models import ROLES
from plantao.errors import ValidationFailed


def test_handoff_is_formatted_one_labelled_line_per_part() -> None:
    """The hand-off reads: who to whom, then context, status and next steps (— when empty)."""
    handoff = roles.Handoff(context=" 5xx since 12:00 ", status="rollback running", next_steps="")
    assert roles.format_handoff("ana", "bruno", handoff) == (
        "IC hand-off: ana → bruno\nContext: 5xx since 12:00\nStatus: rollback running\n"
        "Next steps: —"
    )
    assert roles.format_handoff(None, "bruno", handoff).startswith("IC hand-off: nobody → bruno")


def test_unknown_role_is_refused_naming_the_five() -> None:
    """check_role accepts the five roles of seed 002 and refuses others, listing them."""
    assert [roles.check_role(r) for r in ROLES] == list(ROLES)
    with pytest.raises(ValidationFailed, match="use incident_commander, comms_lead, ops_lead"):
        roles.check_role("captain")


def test_every_role_has_a_label_and_only_sme_has_several_holders() -> None:
    """Each role has a timeline label; SMEs are the one role held by several people."""
    assert set(roles.LABELS) == set(ROLES)
    assert set(roles.MANY) == {"sme"}
    assert roles.Handoff().is_empty() and not roles.Handoff(status="x").is_empty()
