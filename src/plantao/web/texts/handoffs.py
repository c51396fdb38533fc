"""Texts of the shift handoff pages (``web/handoff_pages.py``). Keys start with ``ho_``."""

from __future__ import annotations

EN: dict[str, str] = {
    "ho_title": "Shift handoffs",
    "ho_help": (
        "A handoff is drafted before each shift change with what happened in the shift and "
        "what is coming. The outgoing person can add notes until it is sent: at the change "
        "plus a grace period, or earlier with “Send now”."
    ),
    "ho_schedule": "Schedule",
    "ho_all": "All schedules",
    "ho_show": "Show",
    "ho_none": "No handoffs yet.",
    "ho_at": "Hand-over",
    "ho_from": "From",
    "ho_to": "To",
    "ho_state": "State",
    "ho_overall": "Overall status",
    "ho_draft": "Draft",
    "ho_sent": "Sent",
    "ho_stable": "Stable",
    "ho_minor_issues": "Minor issues",
    "ho_active_incident": "Active incident",
    "ho_send_at": "Goes out",
    "ho_sent_at": "Sent",
    "ho_recipients": "Recipients",
    "ho_no_recipients": "Not sent yet.",
    "ho_unreachable": "no contact method",
    "ho_channel": "team channel",
    "ho_text": "The note as its recipients read it",
    "ho_notes": "Your notes",
    "ho_notes_hint": "What the next person should know: traffic, ongoing work, pending tasks.",
    "ho_save": "Save notes",
    "ho_send_now": "Send now",
    "ho_saved": "Notes saved.",
    "ho_queued": "It goes out within seconds.",
    "ho_open": "Open",
    "ho_nobody": "nobody",
}

PT_BR: dict[str, str] = {
    "ho_title": "Passagens de plantão",
    "ho_help": (
        "Antes de cada troca de turno é preparada uma passagem com o que aconteceu no turno e "
        "o que vem pela frente. Quem sai pode acrescentar observações até o envio: na troca "
        "mais um período de tolerância, ou antes, com “Enviar agora”."
    ),
    "ho_schedule": "Escala",
    "ho_all": "Todas as escalas",
    "ho_show": "Mostrar",
    "ho_none": "Nenhuma passagem ainda.",
    "ho_at": "Troca",
    "ho_from": "De",
    "ho_to": "Para",
    "ho_state": "Situação",
    "ho_overall": "Status geral",
    "ho_draft": "Rascunho",
    "ho_sent": "Enviada",
    "ho_stable": "Estável",
    "ho_minor_issues": "Problemas menores",
    "ho_active_incident": "Incidente ativo",
    "ho_send_at": "Envio previsto",
    "ho_sent_at": "Enviada em",
    "ho_recipients": "Destinatários",
    "ho_no_recipients": "Ainda não enviada.",
    "ho_unreachable": "sem meio de contato",
    "ho_channel": "canal da equipe",
    "ho_text": "A nota como os destinatários a leem",
    "ho_notes": "Suas observações",
    "ho_notes_hint": (
        "O que a próxima pessoa precisa saber: tráfego, trabalhos em andamento, pendências."
    ),
    "ho_save": "Salvar observações",
    "ho_send_now": "Enviar agora",
    "ho_saved": "Observações salvas.",
    "ho_queued": "O envio acontece em alguns segundos.",
    "ho_open": "Abrir",
    "ho_nobody": "ninguém",
}
