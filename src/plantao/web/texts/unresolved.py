"""Texts of the escalation of an acknowledged incident that is not resolved
(``plantao.oncall.unresolved``): its page labels, its next level on the incident page and its
timeline entries. Keys start with ``unr_``."""

from __future__ import annotations

EN: dict[str, str] = {
    "unr_after": "level {level}, not resolved after {detail}",
    "unr_security": "level {level}, at once (security incident)",
    "unr_data_leak": "level {level}, at once (data leak)",
    "unr_posture": "level {level}, at once (high risk posture)",
    "unr_tl_after": "Not resolved after {after}: escalated to level {level} (paged {users})",
    "unr_tl_risk": "{risk}: escalated at once to level {level} (paged {users})",
    "unr_risk_security": "Security incident",
    "unr_risk_data_leak": "Data leak",
    "unr_risk_posture": "High risk posture",
}

PT_BR: dict[str, str] = {
    "unr_after": "nível {level}, sem resolução após {detail}",
    "unr_security": "nível {level}, imediato (incidente de segurança)",
    "unr_data_leak": "nível {level}, imediato (vazamento de dados)",
    "unr_posture": "nível {level}, imediato (postura de risco alta)",
    "unr_tl_after": "Sem resolução após {after}: escalado para o nível {level} (acionou {users})",
    "unr_tl_risk": "{risk}: escalado imediatamente para o nível {level} (acionou {users})",
    "unr_risk_security": "Incidente de segurança",
    "unr_risk_data_leak": "Vazamento de dados",
    "unr_risk_posture": "Postura de risco alta",
}
