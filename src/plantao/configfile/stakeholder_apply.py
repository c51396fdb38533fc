"""``stakeholders:`` in ``plantao.yaml``: who is kept informed, declared with the rest.

Three places declare them: a top-level list (every incident), a team's list and a service's
list. Together they are the whole set of configured stakeholders: applying makes the stored
``origin='config'`` rows exactly that set (created, changed, removed, each a line of the
diff), and leaves the ones people added through the API or the web alone. A file with no
``stakeholders:`` anywhere leaves them all untouched, like any section a file leaves out.

Validation is :func:`plantao.command.stakeholders.validate`'s, the same as the API's: an
e-mail list must be one address, a webhook an http(s) URL, a user must exist.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.command import stakeholders
from plantao.configfile.common import Change
from plantao.configfile.schema import ConfigFile, StakeholderItem

__all__ = ["apply_stakeholders", "declared"]


def _spec(scope: str, slug: str, item: StakeholderItem) -> stakeholders.StakeholderSpec:
    return stakeholders.StakeholderSpec(
        scope=scope,
        scope_slug=slug,
        name=item.name,
        kind=item.kind,
        user=item.user,
        address=item.address,
        secret=item.secret,
        language=item.language,
        min_severity=item.min_severity,
    )


def declared(config: ConfigFile) -> list[stakeholders.StakeholderSpec] | None:
    """Every stakeholder the file declares, or None when it declares none anywhere."""
    teams = [(t.slug, t.stakeholders) for t in config.teams or []]
    services = [(s.slug, s.stakeholders) for s in config.services or []]
    lists = [config.stakeholders, *(items for _, items in teams), *(i for _, i in services)]
    if all(items is None for items in lists):
        return None
    specs = [_spec("global", "", item) for item in config.stakeholders or []]
    specs += [_spec("team", slug, item) for slug, items in teams for item in items or []]
    specs += [_spec("service", slug, item) for slug, items in services for item in items or []]
    return specs


def apply_stakeholders(session: Session, config: ConfigFile, *, actor: str) -> list[Change]:
    """Declare the file's stakeholders (see the module docstring); run after teams, users and
    services exist."""
    specs = declared(config)
    if specs is None:
        return []
    return [
        Change("stakeholder", action, name, detail)
        for action, name, detail in stakeholders.declare(session, specs, actor=actor)
    ]
