"""The incident page's "Similar past incidents" card (``plantao.web.similar_card``)."""

from __future__ import annotations

EN: dict[str, str] = {
    "sim_title": "Similar past incidents",
    "sim_help": "Resolved in the last year, most alike first: same alert, service, labels, words.",
    "sim_none": "No resolved incident of the last year looks like this one.",
    "sim_resolved": "resolved {when}, in {duration}",
    "sim_resolution": "How it was resolved",
    "sim_no_resolution": "No resolution note was written.",
    "sim_runbooks": "Runbooks used",
    "sim_runbook_confirmed": "confirmed",
    "sim_runbook_ran": "action run",
    "sim_postmortem": "Postmortem",
    "sim_matched": "Alike in",
    "sim_why_family": "same alert ({value})",
    "sim_why_service": "same service",
    "sim_why_labels": "same labels ({value})",
    "sim_why_words": "words ({value})",
    "sim_score": "similarity",
    "sim_open_timeline": "timeline",
}

PT_BR: dict[str, str] = {
    "sim_title": "Incidentes parecidos no passado",
    "sim_help": (
        "Resolvidos no último ano, os mais parecidos primeiro: mesmo alerta, serviço, "
        "labels ou palavras."
    ),
    "sim_none": "Nenhum incidente resolvido no último ano se parece com este.",
    "sim_resolved": "resolvido {when}, em {duration}",
    "sim_resolution": "Como foi resolvido",
    "sim_no_resolution": "Ninguém escreveu uma nota de resolução.",
    "sim_runbooks": "Runbooks usados",
    "sim_runbook_confirmed": "confirmado",
    "sim_runbook_ran": "ação executada",
    "sim_postmortem": "Postmortem",
    "sim_matched": "Parecido em",
    "sim_why_family": "mesmo alerta ({value})",
    "sim_why_service": "mesmo serviço",
    "sim_why_labels": "mesmas labels ({value})",
    "sim_why_words": "palavras ({value})",
    "sim_score": "semelhança",
    "sim_open_timeline": "linha do tempo",
}
