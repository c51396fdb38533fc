"""The words subscribers read: the confirmation e-mail, the update e-mail and the public forms,
in English and Brazilian Portuguese (a subscriber's language is chosen when subscribing).

Pure data and plain-text formatting: e-mails are text (the e-mail channel appends each link on
its own line), the forms are rendered from these strings by the public views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "LANGUAGES",
    "STATUS_WORDS",
    "TEXTS",
    "UpdateMail",
    "confirm_mail",
    "maintenance_mail",
    "update_mail",
]

LANGUAGES = ("en", "pt-BR")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Subscribe to updates",
        "intro": "Get an e-mail when an incident on this page is published or updated.",
        "email": "E-mail address",
        "components": "Components (none checked: all of them)",
        "language": "Language",
        "submit": "Subscribe",
        "sent_title": "Check your inbox",
        "sent": (
            "If this address can receive updates, a message with a confirmation link is on its "
            "way. The subscription starts once you follow it."
        ),
        "bad_form": "This form expired or was not sent from this page. Please try again.",
        "bad_email": "Enter a valid e-mail address.",
        "bad_link_title": "This link does not work",
        "bad_link": "The link is invalid or expired. Subscribe again to get a new one.",
        "confirm_title": "Confirm your subscription",
        "confirm_button": "Confirm",
        "confirmed_title": "Subscribed",
        "confirmed": "You will receive an e-mail for each published update.",
        "unsub_title": "Unsubscribe",
        "unsub_intro": "Stop receiving e-mails about this page?",
        "unsub_button": "Unsubscribe",
        "unsubscribed_title": "Unsubscribed",
        "unsubscribed": "You will receive no more e-mails from this page.",
        "too_many_title": "Too many requests",
        "too_many": "Too many subscription requests. Please try again later.",
        "back": "Back to the status page",
        "mail_confirm_subject": "Confirm your subscription to {page}",
        "mail_confirm_text": (
            "Someone (hopefully you) asked to receive updates from {page} at this address.\n\n"
            "Confirm within 7 days by following the link below. If it was not you, ignore "
            "this message: nothing will be sent."
        ),
        "mail_confirm_link": "Confirm subscription",
        "mail_update_subject": "[{page}] {title}: {status}",
        "mail_update_text": "{title}\nStatus: {status}\n\n{body}",
        "mail_view_link": "View incident",
        "mail_unsub_link": "Unsubscribe",
        "mail_maint_scheduled": "[{page}] Scheduled maintenance: {title}",
        "mail_maint_in_progress": "[{page}] Maintenance in progress: {title}",
        "mail_maint_completed": "[{page}] Maintenance completed: {title}",
        "mail_maint_text": "{title}\nFrom {start} to {end} (UTC)\n\n{body}",
        "mail_maint_open_end": "until further notice",
    },
    "pt-BR": {
        "title": "Receba atualizações",
        "intro": "Receba um e-mail quando um incidente desta página for publicado ou atualizado.",
        "email": "Endereço de e-mail",
        "components": "Componentes (nenhum marcado: todos)",
        "language": "Idioma",
        "submit": "Inscrever-se",
        "sent_title": "Confira sua caixa de entrada",
        "sent": (
            "Se este endereço puder receber atualizações, uma mensagem com um link de "
            "confirmação está a caminho. A inscrição começa quando você segui-lo."
        ),
        "bad_form": "Este formulário expirou ou não foi enviado desta página. Tente de novo.",
        "bad_email": "Informe um endereço de e-mail válido.",
        "bad_link_title": "Este link não funciona",
        "bad_link": "O link é inválido ou expirou. Inscreva-se de novo para receber outro.",
        "confirm_title": "Confirme sua inscrição",
        "confirm_button": "Confirmar",
        "confirmed_title": "Inscrição confirmada",
        "confirmed": "Você receberá um e-mail a cada atualização publicada.",
        "unsub_title": "Cancelar inscrição",
        "unsub_intro": "Deixar de receber e-mails desta página?",
        "unsub_button": "Cancelar inscrição",
        "unsubscribed_title": "Inscrição cancelada",
        "unsubscribed": "Você não receberá mais e-mails desta página.",
        "too_many_title": "Muitas solicitações",
        "too_many": "Muitos pedidos de inscrição. Tente novamente mais tarde.",
        "back": "Voltar à página de status",
        "mail_confirm_subject": "Confirme sua inscrição em {page}",
        "mail_confirm_text": (
            "Alguém (esperamos que você) pediu para receber atualizações de {page} neste "
            "endereço.\n\nConfirme em até 7 dias seguindo o link abaixo. Se não foi você, "
            "ignore esta mensagem: nada será enviado."
        ),
        "mail_confirm_link": "Confirmar inscrição",
        "mail_update_subject": "[{page}] {title}: {status}",
        "mail_update_text": "{title}\nStatus: {status}\n\n{body}",
        "mail_view_link": "Ver incidente",
        "mail_unsub_link": "Cancelar inscrição",
        "mail_maint_scheduled": "[{page}] Manutenção programada: {title}",
        "mail_maint_in_progress": "[{page}] Manutenção em andamento: {title}",
        "mail_maint_completed": "[{page}] Manutenção concluída: {title}",
        "mail_maint_text": "{title}\nDe {start} a {end} (UTC)\n\n{body}",
        "mail_maint_open_end": "novo aviso",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "investigating": "Investigating",
        "identified": "Identified",
        "monitoring": "Monitoring",
        "resolved": "Resolved",
    },
    "pt-BR": {
        "investigating": "Investigando",
        "identified": "Identificado",
        "monitoring": "Monitorando",
        "resolved": "Resolvido",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


@dataclass(frozen=True)
class UpdateMail:
    subject: str
    text: str


def confirm_mail(language: str, page_name: str) -> UpdateMail:
    words = texts(language)
    return UpdateMail(
        words["mail_confirm_subject"].format(page=page_name),
        words["mail_confirm_text"].format(page=page_name),
    )


def update_mail(language: str, page_name: str, title: str, status: str, body: str) -> UpdateMail:
    words = texts(language)
    shown = STATUS_WORDS.get(language, STATUS_WORDS["en"]).get(status, status)
    return UpdateMail(
        words["mail_update_subject"].format(page=page_name, title=title, status=shown)[:1000],
        words["mail_update_text"].format(title=title, status=shown, body=body),
    )


def maintenance_mail(
    language: str,
    page_name: str,
    phase: str,
    title: str,
    body: str,
    start: datetime,
    end: datetime | None,
) -> UpdateMail:
    """``phase``: ``scheduled``, ``in_progress`` or ``completed``; times in UTC (a subscriber
    has no time zone of their own here)."""
    words = texts(language)
    shown_end = words["mail_maint_open_end"] if end is None else f"{end:%Y-%m-%d %H:%M}"
    return UpdateMail(
        words[f"mail_maint_{phase}"].format(page=page_name, title=title)[:1000],
        words["mail_maint_text"].format(
            title=title, start=f"{start:%Y-%m-%d %H:%M}", end=shown_end, body=body
        ),
    )
