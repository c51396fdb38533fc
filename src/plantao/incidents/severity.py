"""The severity matrix (Sev1–Sev4, alias P0–P3) and the rules mapping alerts to a severity.

Defaults come from the operating model: Sev1 ack ≤ 5 min, resolve ≤ 60 min, status update every
15 min, RCA in 48 h; Sev2 15 min / 4 h / 30 min / 3 business days; Sev3 1 h / 24 h / 2 h /
5 business days; Sev4 best effort, updates at closing, RCA optional. Pure: no DB, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from plantao.matchers import Matcher, all_match, parse_matchers

SEVERITY_NAMES = ("sev1", "sev2", "sev3", "sev4")
_ALIASES = {"p0": "sev1", "p1": "sev2", "p2": "sev3", "p3": "sev4"}


def normalize(name: str) -> str:
    """Accept sev1/Sev1/SEV-1/1/P0… and return the canonical ``sevN``."""
    key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    if key.isdigit():
        key = "sev" + key
    if key in SEVERITY_NAMES:
        return key
    raise ValueError(f"unknown severity '{name}'; use sev1..sev4 or p0..p3")


def rank(severity: str) -> int:
    """1 is the most severe."""
    return SEVERITY_NAMES.index(severity) + 1


def most_severe(severities: Iterable[str]) -> str:
    return min(severities, key=rank)


@dataclass(frozen=True)
class Level:
    name: str
    priority: str
    title_en: str
    title_pt: str
    mtta: timedelta | None
    mttr: timedelta | None
    update_every: timedelta | None
    rca_within: timedelta | None
    rca_business_days: int | None = None
    public_status_page: bool = False

    def as_dict(self) -> dict[str, object]:
        def minutes(v: timedelta | None) -> int | None:
            return None if v is None else int(v.total_seconds() // 60)

        return {
            "name": self.name,
            "priority": self.priority,
            "title": {"en": self.title_en, "pt-BR": self.title_pt},
            "mtta_minutes": minutes(self.mtta),
            "mttr_minutes": minutes(self.mttr),
            "update_every_minutes": minutes(self.update_every),
            "rca_within_hours": None
            if self.rca_within is None
            else int(self.rca_within.total_seconds() // 3600),
            "rca_business_days": self.rca_business_days,
            "public_status_page": self.public_status_page,
        }


@dataclass(frozen=True)
class Rule:
    """``matchers`` (all must match the alert's labels) → ``severity``. First match wins."""

    matchers: tuple[Matcher, ...]
    severity: str


DEFAULT_LEVELS: tuple[Level, ...] = (
    Level(
        "sev1",
        "P0",
        "Critical: total outage, confirmed data leak or loss",
        "Crítico: indisponibilidade total, vazamento confirmado ou perda de dados",
        timedelta(minutes=5),
        timedelta(minutes=60),
        timedelta(minutes=15),
        timedelta(hours=48),
        None,
        True,
    ),
    Level(
        "sev2",
        "P1",
        "High: severe degradation, SLO violated",
        "Alto: degradação severa, SLO violado",
        timedelta(minutes=15),
        timedelta(hours=4),
        timedelta(minutes=30),
        None,
        3,
        True,
    ),
    Level(
        "sev3",
        "P2",
        "Medium: partial loss of a feature, workaround exists",
        "Médio: funcionalidade parcialmente afetada, há contorno",
        timedelta(hours=1),
        timedelta(hours=24),
        timedelta(hours=2),
        None,
        5,
        False,
    ),
    Level(
        "sev4",
        "P3",
        "Low: little impact, no SLO affected",
        "Baixo: pouco impacto, nenhum SLO afetado",
        None,
        None,
        None,
        None,
        None,
        False,
    ),
)

# Label values senders commonly use; PagerDuty's payload.severity maps the same way.
DEFAULT_VALUE_MAP: Mapping[str, str] = {
    "critical": "sev1",
    "page": "sev1",
    "p0": "sev1",
    "sev1": "sev1",
    "disaster": "sev1",
    "error": "sev2",
    "high": "sev2",
    "major": "sev2",
    "p1": "sev2",
    "sev2": "sev2",
    "warning": "sev3",
    "warn": "sev3",
    "medium": "sev3",
    "minor": "sev3",
    "p2": "sev3",
    "sev3": "sev3",
    "average": "sev3",
    "info": "sev4",
    "informational": "sev4",
    "low": "sev4",
    "none": "sev4",
    "p3": "sev4",
    "sev4": "sev4",
}


@dataclass(frozen=True)
class SeverityMatrix:
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    rules: tuple[Rule, ...] = ()
    label: str = "severity"
    value_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VALUE_MAP))
    default: str = "sev3"

    def level(self, name: str) -> Level:
        canonical = normalize(name)
        for level in self.levels:
            if level.name == canonical:
                return level
        raise ValueError(f"severity '{name}' is not in the matrix")

    def classify(self, labels: Mapping[str, str], sender_severity: str | None = None) -> str:
        """Severity of one alert: explicit rules, then the severity label, then the default."""
        for rule in self.rules:
            if all_match(rule.matchers, labels):
                return rule.severity
        for raw in (labels.get(self.label), sender_severity):
            if raw:
                mapped = self.value_map.get(raw.strip().lower())
                if mapped:
                    return mapped
                try:
                    return normalize(raw)
                except ValueError:
                    continue
        return self.default


def build_matrix(
    levels: Sequence[Level] | None = None,
    rules: Sequence[Rule] = (),
    default: str = "sev3",
    value_map: Mapping[str, str] | None = None,
) -> SeverityMatrix:
    merged = dict(DEFAULT_VALUE_MAP)
    if value_map:
        merged.update({k.lower(): normalize(v) for k, v in value_map.items()})
    return SeverityMatrix(
        levels=tuple(levels) if levels else DEFAULT_LEVELS,
        rules=tuple(rules),
        value_map=merged,
        default=normalize(default),
    )


def matrix_from_document(body: dict[str, Any] | None) -> SeverityMatrix:
    """The matrix an operator declared (``plantao apply``), over the shipped defaults."""
    if not body:
        return build_matrix()
    levels: list[Level] = []
    defaults = {lv.name: lv for lv in DEFAULT_LEVELS}
    for raw in body.get("levels", []):
        base = defaults[normalize(raw["name"])]

        def minutes(
            key: str, fallback: timedelta | None, raw: dict[str, Any] = raw
        ) -> timedelta | None:
            if key not in raw:
                return fallback
            value = raw[key]
            return None if value is None else timedelta(minutes=value)

        levels.append(
            Level(
                name=base.name,
                priority=base.priority,
                title_en=raw.get("title_en", base.title_en),
                title_pt=raw.get("title_pt", base.title_pt),
                mtta=minutes("mtta_minutes", base.mtta),
                mttr=minutes("mttr_minutes", base.mttr),
                update_every=minutes("update_every_minutes", base.update_every),
                rca_within=(
                    timedelta(hours=raw["rca_within_hours"])
                    if raw.get("rca_within_hours") is not None
                    else (None if "rca_within_hours" in raw else base.rca_within)
                ),
                rca_business_days=raw.get("rca_business_days", base.rca_business_days),
                public_status_page=raw.get("public_status_page", base.public_status_page),
            )
        )
    if levels:
        by_name = {lv.name: lv for lv in levels}
        levels = [by_name.get(lv.name, lv) for lv in DEFAULT_LEVELS]
    rules = [
        Rule(matchers=tuple(parse_matchers(r["matchers"])), severity=normalize(r["severity"]))
        for r in body.get("rules", [])
    ]
    return build_matrix(
        levels=levels or None,
        rules=rules,
        default=body.get("default", "sev3"),
        value_map=body.get("value_map"),
    )
