"""Timeline wording of postmortems and corrective actions (``plantao.web.learning_words``)."""

from __future__ import annotations

EN: dict[str, str] = {
    "lw_pm_started": "{actor} started the postmortem",
    "lw_pm_owner": "{actor} made {owner} the postmortem's owner",
    "lw_pm_submitted": "{actor} asked {reviewers} to review the postmortem (version {version})",
    "lw_pm_approved": "{actor} approved the postmortem (version {version})",
    "lw_pm_changes_requested": "{actor} requested changes to the postmortem (version {version})",
    "lw_pm_published": "{actor} published the postmortem (version {version})",
    "lw_pm_reopened": "{actor} reopened the postmortem (version {version})",
    "lw_action_created": "{actor} added corrective action {action}: {title} — {owner}, due {due}",
    "lw_action_must_fix": " (must fix: blocks releases until done)",
    "lw_action_changed": "{actor} changed corrective action {action}: {changes}",
    "lw_reason": "reason: {reason}",
    "lw_details": "details",
    "lw_yes": "yes",
    "lw_no": "no",
}

PT_BR: dict[str, str] = {
    "lw_pm_started": "{actor} iniciou o postmortem",
    "lw_pm_owner": "{actor} definiu {owner} como responsável pelo postmortem",
    "lw_pm_submitted": "{actor} pediu a {reviewers} a revisão do postmortem (versão {version})",
    "lw_pm_approved": "{actor} aprovou o postmortem (versão {version})",
    "lw_pm_changes_requested": "{actor} pediu mudanças no postmortem (versão {version})",
    "lw_pm_published": "{actor} publicou o postmortem (versão {version})",
    "lw_pm_reopened": "{actor} reabriu o postmortem (versão {version})",
    "lw_action_created": (
        "{actor} adicionou a ação corretiva {action}: {title} — {owner}, prazo {due}"
    ),
    "lw_action_must_fix": " (obrigatória: bloqueia releases até ser concluída)",
    "lw_action_changed": "{actor} alterou a ação corretiva {action}: {changes}",
    "lw_reason": "motivo: {reason}",
    "lw_details": "detalhes",
    "lw_yes": "sim",
    "lw_no": "não",
}
