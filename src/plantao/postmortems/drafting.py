"""The postmortem draft written from what Plantão knows about the incident (seed 002's
template): the facts are read in a fixed number of queries (``draft_gather``) and rendered
through the shipped template, or the operator's own one when the template directory
(``PLANTAO_NOTIFY_TEMPLATE_DIR``) holds ``postmortems/<language>/postmortem.md.j2``
(house rule 8)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from plantao.config import get_settings
from plantao.incidents.models import Incident
from plantao.postmortems import draft_gather, draft_render


def draft(session: Session, incident: Incident, language: str) -> str:
    """The draft's Markdown for ``incident`` in ``language`` (``en`` or ``pt-BR``)."""
    lang = draft_render.language_for(language)
    facts = draft_gather.gather(session, incident, lang)
    return draft_render.render(
        facts, lang, override_source(get_settings().notify_template_dir, lang)
    )


def override_source(template_dir: Path | None, language: str) -> str | None:
    """The operator's template for ``language``, if their template directory has one."""
    if template_dir is None:
        return None
    path = (
        template_dir
        / "postmortems"
        / draft_render.language_for(language)
        / draft_render.TEMPLATE_NAME
    )
    return path.read_text(encoding="utf-8") if path.is_file() else None
