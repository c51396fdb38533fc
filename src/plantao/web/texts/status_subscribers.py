# ruff: noqa: E501 - UI texts are data; a sentence stays on one line so translators can compare
"""Texts of the status page subscribers screen (``plantao.web.status_subscriber_pages``). Keys
start with ``ssub_``."""

from __future__ import annotations

EN: dict[str, str] = {
    "ssub_title": "Status page subscribers",
    "ssub_help": "People subscribe by e-mail on the public page and confirm from the message they receive; each published update reaches them once. Webhook subscribers are added here only.",
    "ssub_state": "State",
    "ssub_count": "Subscribers",
    "ssub_state_confirmed": "Confirmed",
    "ssub_state_pending": "Waiting for confirmation",
    "ssub_state_unsubscribed": "Unsubscribed",
    "ssub_by_component": "Confirmed, by component",
    "ssub_all_components": "All components",
    "ssub_webhooks": "Webhook subscribers",
    "ssub_no_webhooks": "No webhook subscribers yet.",
    "ssub_page": "Page",
    "ssub_url": "URL",
    "ssub_url_hint": "http:// or https://. Each delivery is signed (X-Plantao-Signature) with the secret shown once after saving.",
    "ssub_components": "Components",
    "ssub_components_hint": "Component slugs separated by commas; empty for every component.",
    "ssub_add": "Add a webhook subscriber",
    "ssub_save": "Add",
    "ssub_remove": "Remove",
    "ssub_deleted": "Subscriber removed.",
    "ssub_secret_once": "Webhook subscriber added. Its signing secret, shown only now:",
}

PT_BR: dict[str, str] = {
    "ssub_title": "Inscritos na página de status",
    "ssub_help": "As pessoas se inscrevem por e-mail na página pública e confirmam pela mensagem que recebem; cada atualização publicada chega a elas uma vez. Inscritos por webhook só são adicionados aqui.",
    "ssub_state": "Situação",
    "ssub_count": "Inscritos",
    "ssub_state_confirmed": "Confirmados",
    "ssub_state_pending": "Aguardando confirmação",
    "ssub_state_unsubscribed": "Cancelados",
    "ssub_by_component": "Confirmados, por componente",
    "ssub_all_components": "Todos os componentes",
    "ssub_webhooks": "Inscritos por webhook",
    "ssub_no_webhooks": "Nenhum inscrito por webhook ainda.",
    "ssub_page": "Página",
    "ssub_url": "URL",
    "ssub_url_hint": "http:// ou https://. Cada entrega é assinada (X-Plantao-Signature) com o segredo mostrado uma única vez após salvar.",
    "ssub_components": "Componentes",
    "ssub_components_hint": "Slugs de componentes separados por vírgulas; vazio para todos.",
    "ssub_add": "Adicionar inscrito por webhook",
    "ssub_save": "Adicionar",
    "ssub_remove": "Remover",
    "ssub_deleted": "Inscrito removido.",
    "ssub_secret_once": "Inscrito por webhook adicionado. O segredo de assinatura, mostrado só agora:",
}
