"""The schema of ``plantao.yaml`` and error messages that point into the file.

Every error names its path in the document (``routes[2].matchers[0]: unknown operator '=>'``) so
that a team's CI can show exactly which line of their configuration to fix.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plantao.configfile import yaml_dates
from plantao.configfile.calendar_schema import BusinessCalendarSpec, calendar_references
from plantao.configfile.durations import parse_duration
from plantao.configfile.gate_schema import ReleaseGateSpec
from plantao.configfile.handoff_schema import HandoffsSpec
from plantao.configfile.located import matchers_at_index
from plantao.configfile.oncall_schema import (
    ContactMethodItem,
    HeartbeatSpec,
    MaintenanceWindowSpec,
    NotificationRuleItem,
    PolicySpec,
    ScheduleSpec,
    ThrottleItem,
    WorkingHoursSpec,
    oncall_references,
)
from plantao.configfile.review_schema import OperationalReviewSpec
from plantao.configfile.routine_schema import RoutineSpec, ShiftChecklistSpec, routine_references
from plantao.configfile.status_schema import StatusPageSpec, status_references
from plantao.incidents.severity import normalize

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
_ENV = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


RoleName = Literal["viewer", "responder", "manager", "admin"]
GlobalRoleName = Literal["none", "viewer", "responder", "manager", "admin"]


class MemberSpec(_Strict):
    """A team member: ``ana`` alone is a responder; ``{user: bruno, role: manager}``."""

    user: str = Field(min_length=1, max_length=64)
    role: RoleName = "responder"


class StakeholderItem(_Strict):
    """Who is kept informed (top level, or under a team or a service): ``{name: cs, kind:
    email, address: cs@example.com, language: pt-BR}``, ``{name: ana, kind: user, user: ana}``,
    ``{name: ops, kind: slack, address: https://...}``; a generic ``webhook`` has a ``secret``.
    Checked further when applied (``plantao.command.stakeholders.validate``)."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["user", "email", "slack", "teams", "mattermost", "webhook"]
    user: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=2048)
    secret: str | None = Field(default=None, max_length=512)
    language: Literal["en", "pt-BR"] = "en"
    min_severity: str = "sev4"


class TeamSpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    members: list[MemberSpec] = Field(default_factory=list)
    stakeholders: list[StakeholderItem] | None = None
    # The policy of this team's services that name none (before the global default).
    escalation_policy: str | None = None

    @field_validator("members", mode="before")
    @classmethod
    def _bare_handles(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"user": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def roles(self) -> dict[str, str]:
        """Each member's handle with their role on this team."""
        return {member.user: member.role for member in self.members}


class UserSpec(_Strict):
    handle: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    time_zone: str = "UTC"
    language: Literal["en", "pt-BR"] = "en"
    # The global role, on every team (a team membership can raise it for that team).
    role: GlobalRoleName = "viewer"
    contact_methods: list[ContactMethodItem] | None = None
    notification_rules: list[NotificationRuleItem] | None = None
    throttle: ThrottleItem | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value


class ServiceAccountSpec(_Strict):
    """A machine that owns API tokens (CI, a chat bot); it never logs in to the web UI."""

    handle: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    role: GlobalRoleName = "viewer"


class GroupMappingSpec(_Strict):
    """Members of the provider's ``group`` get ``role`` on ``team``, or everywhere without one."""

    group: str = Field(min_length=1, max_length=300)
    team: str | None = Field(default=None, pattern=SLUG)
    role: RoleName


class SsoSpec(_Strict):
    """Single sign-on as configuration: what the provider's groups grant. The provider itself
    (issuer, client id and secret) comes from ``PLANTAO_OIDC_*`` settings."""

    group_mappings: list[GroupMappingSpec] = Field(default_factory=list)


class ServiceSpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    team: str | None = None
    description: str = ""
    escalation_policy: str | None = None
    stakeholders: list[StakeholderItem] | None = None
    release_gate: ReleaseGateSpec | None = None


class IntegrationSpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["alertmanager", "grafana", "pagerduty", "generic"]
    service: str
    key: str | None = Field(default=None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class RouteSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    matchers: list[str] = Field(default_factory=list)
    service: str
    group_by: list[str] = Field(default_factory=list)
    group_window: str | int = "24h"
    auto_resolve: bool = True
    severity: str | None = None

    _matchers = field_validator("matchers")(matchers_at_index)

    @field_validator("group_window")
    @classmethod
    def _window(cls, value: str | int) -> str | int:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        return None if value is None else normalize(value)


class LevelSpec(_Strict):
    name: str
    mtta_minutes: int | None = Field(default=None, ge=1)
    mttr_minutes: int | None = Field(default=None, ge=1)
    update_every_minutes: int | None = Field(default=None, ge=1)
    rca_within_hours: int | None = Field(default=None, ge=1)
    rca_business_days: int | None = Field(default=None, ge=1)
    public_status_page: bool | None = None
    title_en: str | None = None
    title_pt: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return normalize(value)


class RuleSpec(_Strict):
    matchers: list[str] = Field(min_length=1)
    severity: str

    _matchers = field_validator("matchers")(matchers_at_index)

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        return normalize(value)


class SeverityMatrixSpec(_Strict):
    default: str = "sev3"
    value_map: dict[str, str] = Field(default_factory=dict)
    levels: list[LevelSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)

    @field_validator("default")
    @classmethod
    def _default(cls, value: str) -> str:
        return normalize(value)

    @field_validator("value_map")
    @classmethod
    def _values(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.lower(): normalize(v) for k, v in value.items()}

    def document(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class DefaultsSpec(_Strict):
    """Installation-wide defaults; ``escalation_policy`` covers services that have no policy
    and whose team has none (so an incident never pages nobody without saying so)."""

    escalation_policy: str | None = None


class ConfigFile(_Strict):
    version: Literal[1] = 1
    teams: list[TeamSpec] | None = None
    users: list[UserSpec] | None = None
    service_accounts: list[ServiceAccountSpec] | None = None
    sso: SsoSpec | None = None
    services: list[ServiceSpec] | None = None
    integrations: list[IntegrationSpec] | None = None
    routes: list[RouteSpec] | None = None
    severity_matrix: SeverityMatrixSpec | None = None
    schedules: list[ScheduleSpec] | None = None
    escalation_policies: list[PolicySpec] | None = None
    working_hours: WorkingHoursSpec | None = None
    maintenance_windows: list[MaintenanceWindowSpec] | None = None
    heartbeats: list[HeartbeatSpec] | None = None
    defaults: DefaultsSpec | None = None
    stakeholders: list[StakeholderItem] | None = None
    release_gate: ReleaseGateSpec | None = None
    business_calendars: list[BusinessCalendarSpec] | None = None
    operational_review: OperationalReviewSpec | None = None
    status_pages: list[StatusPageSpec] | None = None
    handoffs: HandoffsSpec | None = None
    routines: list[RoutineSpec] | None = None
    shift_checklists: list[ShiftChecklistSpec] | None = None

    @model_validator(mode="after")
    def _references(self) -> ConfigFile:
        problems: list[str] = []
        services = {s.slug for s in self.services or []}
        teams = {t.slug for t in self.teams or []}
        for label, items, key in (
            ("teams", self.teams, "slug"),
            ("users", self.users, "handle"),
            ("service_accounts", self.service_accounts, "handle"),
            ("services", self.services, "slug"),
            ("integrations", self.integrations, "slug"),
        ):
            seen: set[str] = set()
            for index, item in enumerate(items or []):
                value = getattr(item, key)
                if value in seen:
                    problems.append(f"{label}[{index}].{key}: duplicate '{value}'")
                seen.add(value)
        problems += self._people_references(teams)
        for index, svc in enumerate(self.services or []):
            if svc.team and self.teams is not None and svc.team not in teams:
                problems.append(f"services[{index}].team: unknown team '{svc.team}'")
        refs = [("integrations", i, x.service) for i, x in enumerate(self.integrations or [])]
        refs += [("routes", i, x.service) for i, x in enumerate(self.routes or [])]
        for label, index, service in refs:
            if self.services is not None and service not in services:
                problems.append(f"{label}[{index}].service: unknown service '{service}'")
        problems += oncall_references(self)
        problems += calendar_references(self)
        problems += status_references(self)
        problems += routine_references(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _people_references(self, teams: set[str]) -> list[str]:
        """Members name declared people, once per team; a handle is a user or a service
        account, not both; group mappings name declared teams, once per group and team."""
        problems: list[str] = []
        people = {u.handle for u in self.users or []}
        machines = {a.handle for a in self.service_accounts or []}
        known = None if self.users is None else people | machines
        for index, account in enumerate(self.service_accounts or []):
            if account.handle in people:
                problems.append(
                    f"service_accounts[{index}].handle: '{account.handle}' is also in users"
                )
        for index, team in enumerate(self.teams or []):
            seen: set[str] = set()
            for m_index, member in enumerate(team.members):
                where = f"teams[{index}].members[{m_index}]"
                if known is not None and member.user not in known:
                    problems.append(f"{where}: unknown user '{member.user}'")
                if member.user in seen:
                    problems.append(f"{where}: '{member.user}' is listed twice")
                seen.add(member.user)
        pairs: set[tuple[str, str | None]] = set()
        for index, mapping in enumerate(self.sso.group_mappings if self.sso else []):
            where = f"sso.group_mappings[{index}]"
            if mapping.team and self.teams is not None and mapping.team not in teams:
                problems.append(f"{where}.team: unknown team '{mapping.team}'")
            if (mapping.group, mapping.team) in pairs:
                target = f"team '{mapping.team}'" if mapping.team else "the global role"
                problems.append(f"{where}: group '{mapping.group}' is mapped twice for {target}")
            pairs.add((mapping.group, mapping.team))
        return problems


class ConfigError(ValueError):
    """The file is invalid; ``problems`` lists ``path: message`` lines, nothing was applied."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _problems(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("__root__",))
        message = str(err["msg"]).removeprefix("Value error, ")
        path = _format_loc(loc)
        located = re.match(r"^@([^@]+)@ (.*)$", message, re.S)
        if located:
            path = f"{path}{located.group(1)}"
            message = located.group(2)
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        if not path:
            problems.extend(message.splitlines())
            continue
        problems.append(f"{path or 'document'}: {message}")
    return problems


def _expand_env(value: Any) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError([f"environment variable ${{{name}}} is not set"])
            return os.environ[name]

        return _ENV.sub(sub, value)
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value


def load_text(text: str) -> ConfigFile:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}invalid YAML: {problem}"]) from None
    except ValueError as exc:  # a date that does not exist (2026-02-30)
        raise ConfigError([yaml_dates.problem(text, exc)]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(["document: the file must be a mapping of sections"])
    raw = _expand_env(raw)
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None
