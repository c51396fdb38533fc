# ruff: noqa: E501 - UI texts are data; a sentence stays on one line so translators can compare
"""Texts of the runbook card's feedback controls (``incident/runbooks.html``,
``incident/runbook_why.html``, ``plantao.web.incident_runbook_forms``): the "not relevant" button,
why a runbook was suggested (the ranker's reason codes in words), the runbooks marked not
relevant. Keys start with ``rbf_`` (and the kept-form label ``inc_pending_runbook_reject``)."""

from __future__ import annotations

EN: dict[str, str] = {
    "rbf_not_relevant": "Not relevant",
    "rbf_not_relevant_help": "Hides it on this incident and suggests it less for alerts like this one.",
    "rbf_reason": "Why it does not fit (optional)",
    "rbf_send": "Mark not relevant",
    "rbf_suggested_because": "Suggested because:",
    "rbf_why_matcher": "the runbook's alert matchers select this alert",
    "rbf_why_words": "the alert says {words}",
    "rbf_why_family": "it handles the alert family {family}",
    "rbf_why_feedback_up": "responders confirmed it for this kind of alert ({change})",
    "rbf_why_feedback_down": "responders marked it not relevant for this kind of alert ({change})",
    "rbf_rejected": "Marked not relevant",
    "rbf_rejected_help": "Hidden from this incident's list; confirm one to bring it back.",
    "inc_pending_runbook_reject": "mark a runbook not relevant",
}

PT_BR: dict[str, str] = {
    "rbf_not_relevant": "Não relevante",
    "rbf_not_relevant_help": "Oculta o runbook neste incidente e o sugere menos para alertas como este.",
    "rbf_reason": "Por que não se aplica (opcional)",
    "rbf_send": "Marcar como não relevante",
    "rbf_suggested_because": "Sugerido porque:",
    "rbf_why_matcher": "os matchers de alerta do runbook selecionam este alerta",
    "rbf_why_words": "o alerta diz {words}",
    "rbf_why_family": "ele trata a família de alertas {family}",
    "rbf_why_feedback_up": "responders o confirmaram para este tipo de alerta ({change})",
    "rbf_why_feedback_down": "responders o marcaram como não relevante para este tipo de alerta ({change})",
    "rbf_rejected": "Marcados como não relevantes",
    "rbf_rejected_help": "Ocultos da lista deste incidente; confirme um para trazê-lo de volta.",
    "inc_pending_runbook_reject": "marcar um runbook como não relevante",
}
