"""Operators' own wording of the shipped templates, per language, kept in the database.

An override is validated before it is stored: it must render, in the sandbox with
StrictUndefined, for every sample incident (every severity, with every optional fact and with
none; ``comms.samples``). A template that names an unknown variable or assumes an optional
fact is there is refused with the error and its line, and nothing is saved, so a broken
template never reaches a stakeholder. Deleting an override brings the shipped text back.
Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.comms import render as comms_render
from plantao.comms.facts import IncidentFacts
from plantao.comms.models import TemplateOverride
from plantao.comms.render import Rendered, Source
from plantao.comms.samples import samples
from plantao.errors import NotFound, ValidationFailed
from plantao.people import audit
from plantao.people.actor import AuditActor

SUBJECT_SOURCE_MAX = 1000
BODY_SOURCE_MAX = 20_000


@dataclass(frozen=True)
class TemplateState:
    """A template in one language as the admin page and the API list it."""

    name: str
    language: str
    overridden: bool
    updated_by: str | None = None
    updated_at: datetime | None = None


def _language(language: str) -> str:
    """The exact language asked for: an override in a language Plantão does not ship is refused
    rather than stored under ``en`` by the render fallback."""
    if language not in comms_render.LANGUAGES:
        raise ValidationFailed(
            f"language: use one of {', '.join(comms_render.LANGUAGES)}, not '{language}'"
        )
    return language


def validate(name: str, language: str, source: Source) -> None:
    """Raise :class:`ValidationFailed` unless ``source`` renders for every sample incident."""
    comms_render.check_name(name)
    lang = _language(language)
    if not source.subject.strip():
        raise ValidationFailed("subject: the subject line is empty")
    if not source.body.strip():
        raise ValidationFailed("body: the message is empty")
    if len(source.subject) > SUBJECT_SOURCE_MAX or "\n" in source.subject.strip():
        raise ValidationFailed(f"subject: one line of at most {SUBJECT_SOURCE_MAX} characters")
    if len(source.body) > BODY_SOURCE_MAX:
        raise ValidationFailed(f"body: at most {BODY_SOURCE_MAX:,} characters")
    for label, facts in samples():
        try:
            comms_render.render_source(source, lang, facts)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{exc.detail} (rendering a {label} incident)") from None


def save(
    session: Session, name: str, language: str, source: Source, *, actor: AuditActor
) -> TemplateOverride:
    """Store (or replace) the override once it renders for every sample; audited. Flushes."""
    source = Source(source.subject.strip(), source.body.replace("\r\n", "\n"))
    validate(name, language, source)
    row = session.get(TemplateOverride, (name, language))
    before = None if row is None else {"subject": row.subject, "body": row.body}
    if row is None:
        row = TemplateOverride(name=name, language=language)
        session.add(row)
    row.subject = source.subject
    row.body = source.body
    row.updated_by = actor.handle
    row.updated_at = clock.now()
    session.flush()
    after = {"subject": row.subject, "body": row.body}
    audit.record(
        session,
        actor,
        "comms.template",
        "template",
        f"{name}/{language}",
        before=before,
        after=after,
    )
    return row


def delete(session: Session, name: str, language: str, *, actor: AuditActor) -> None:
    """Back to the shipped template; NotFound when there was no override; audited. Flushes."""
    comms_render.check_name(name)
    row = session.get(TemplateOverride, (name, _language(language)))
    if row is None:
        raise NotFound(f"'{name}' in {language} has no override")
    before = {"subject": row.subject, "body": row.body}
    session.delete(row)
    session.flush()
    audit.record(
        session, actor, "comms.template_reset", "template", f"{name}/{language}", before=before
    )


def get(session: Session, name: str, language: str) -> TemplateOverride | None:
    comms_render.check_name(name)
    return session.get(TemplateOverride, (name, _language(language)))


def all_overrides(session: Session) -> dict[tuple[str, str], Source]:
    """Every stored override, as ``render`` takes them."""
    rows = session.scalars(select(TemplateOverride)).all()
    return {(r.name, r.language): Source(r.subject, r.body) for r in rows}


def listing(session: Session) -> list[TemplateState]:
    """Every template in every language, and whether an operator overrode it."""
    rows = {(r.name, r.language): r for r in session.scalars(select(TemplateOverride)).all()}
    out: list[TemplateState] = []
    for name in comms_render.TEMPLATE_NAMES:
        for language in comms_render.LANGUAGES:
            row = rows.get((name, language))
            out.append(
                TemplateState(
                    name,
                    language,
                    row is not None,
                    row.updated_by if row else None,
                    row.updated_at if row else None,
                )
            )
    return out


def source_for(
    session: Session, name: str, language: str, template_dir: Path | None = None
) -> Source:
    """What will render: the override when there is one, else the shipped template."""
    row = get(session, name, language)
    if row is not None:
        return Source(row.subject, row.body)
    return comms_render.shipped(name, language, template_dir)


def render_for(
    session: Session,
    name: str,
    language: str,
    facts: IncidentFacts,
    time_zone: str = "UTC",
    *,
    template_dir: Path | None = None,
) -> Rendered:
    """Render ``name`` for an incident with the operator's override when there is one."""
    lang = comms_render.language_for(language)
    source = source_for(session, name, lang, template_dir)
    return comms_render.render_source(source, lang, facts, time_zone=time_zone)
