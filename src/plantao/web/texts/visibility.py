# ruff: noqa: E501 - UI texts are data; a sentence stays on one line so translators can compare
"""Texts of the incident page's visibility panel (``incident/visibility.html``,
``plantao.web.incident_visibility_forms``): whether the incident is private and the button that
changes it. Keys start with ``vis_`` (and the kept-form label ``inc_pending_visibility``)."""

from __future__ import annotations

EN: dict[str, str] = {
    "vis_title": "Who sees this incident",
    "vis_private": "Private",
    "vis_private_help": "Only its responders and admins see it, in lists, search, live updates and the API. For anyone else it does not exist.",
    "vis_public_help": "Everyone with access to Plantão sees it.",
    "vis_make_private": "Make private",
    "vis_make_private_help": "For security and personal-data (LGPD) incidents. You and the people already paged become responders and keep access; add others as responders.",
    "vis_make_public": "Make public",
    "vis_make_public_help": "Everyone with access to Plantão will see it again.",
    "inc_pending_visibility": "change who sees the incident",
    "vis_tl_private": "{actor} made the incident private: only its responders and admins see it",
    "vis_tl_public": "{actor} made the incident public",
}

PT_BR: dict[str, str] = {
    "vis_title": "Quem vê este incidente",
    "vis_private": "Privado",
    "vis_private_help": "Só os responders do incidente e os administradores o veem, em listas, buscas, atualizações ao vivo e na API. Para os demais ele não existe.",
    "vis_public_help": "Todos com acesso ao Plantão o veem.",
    "vis_make_private": "Tornar privado",
    "vis_make_private_help": "Para incidentes de segurança e de dados pessoais (LGPD). Você e as pessoas já acionadas passam a ser responders e mantêm o acesso; adicione outras pessoas como responders.",
    "vis_make_public": "Tornar público",
    "vis_make_public_help": "Todos com acesso ao Plantão voltarão a vê-lo.",
    "inc_pending_visibility": "mudar quem vê o incidente",
    "vis_tl_private": "{actor} tornou o incidente privado: só os responders e os administradores o veem",
    "vis_tl_public": "{actor} tornou o incidente público",
}
