"""The shift checklist a schedule gets when nobody declared one (seed 003 §11.1–11.3): pure.

Why a default at all: the seed's lists are what an on-call person should do at the start,
during and at the end of every shift; a team that never wrote its own still gets them, and
one that did replaces them whole (a partial merge would leave items nobody asked for).

An item is ``{"key", "phase", "en", "pt-BR"}``; ``key`` names the tick stored per shift, so it
must stay stable when the wording changes. The ``test-page`` item is the one the "my shift"
page and API pair with "send a test page to yourself".
"""

from __future__ import annotations

import re
from typing import Any

PHASES: tuple[str, ...] = ("start", "during", "end")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TEST_PAGE_KEY = "test-page"

_DEFAULT: tuple[tuple[str, str, str, str], ...] = (
    (
        "start",
        TEST_PAGE_KEY,
        "Send yourself a test page and check it reached every contact method",
        "Envie um page de teste para você e confira que chegou em cada meio de contato",
    ),
    (
        "start",
        "read-handoff",
        "Read the previous shift's handoff notes",
        "Leia as notas de passagem do turno anterior",
    ),
    (
        "start",
        "open-incidents",
        "Look at the incidents still open or in progress",
        "Veja os incidentes ainda abertos ou em andamento",
    ),
    (
        "start",
        "health-dashboard",
        "Check overall system health on the dashboard",
        "Confira a saúde geral do sistema no dashboard",
    ),
    (
        "start",
        "active-alerts",
        "Review the active alerts, including the non-critical ones",
        "Revise os alertas ativos, inclusive os não críticos",
    ),
    (
        "start",
        "access-tested",
        "Make sure VPN, SSH and kubectl access work (try them)",
        "Garanta que o acesso por VPN, SSH e kubectl funciona (teste)",
    ),
    (
        "start",
        "runbook-open",
        "Have the runbook open and skim what changed",
        "Deixe o runbook aberto e dê uma olhada no que mudou",
    ),
    (
        "start",
        "calendar",
        "Check the calendar for deploys scheduled during the shift",
        "Veja no calendário se há deploys marcados durante o turno",
    ),
    (
        "start",
        "equipment",
        "Laptop charged and a stable internet connection",
        "Notebook carregado e internet estável",
    ),
    (
        "during",
        "dashboard-rounds",
        "Look at the dashboard two or three times a day",
        "Olhe o dashboard duas ou três vezes por dia",
    ),
    (
        "during",
        "response-times",
        "Answer alerts within 15 minutes (P0) or 2 hours (P1)",
        "Responda alertas em até 15 minutos (P0) ou 2 horas (P1)",
    ),
    (
        "during",
        "document-actions",
        "Write down the actions you take",
        "Registre as ações que você tomar",
    ),
    (
        "during",
        "announce-resolution",
        "Tell the team channel when an incident is resolved",
        "Avise no canal do time quando um incidente for resolvido",
    ),
    (
        "during",
        "escalate",
        "Escalate when you need help; do not hesitate",
        "Escale quando precisar de ajuda, sem hesitar",
    ),
    (
        "during",
        "devices-near",
        "Keep laptop and phone within reach",
        "Mantenha notebook e celular por perto",
    ),
    (
        "end",
        "write-handoff",
        "Write the handoff notes for the next person on call",
        "Escreva as notas de passagem para a próxima pessoa de plantão",
    ),
    (
        "end",
        "mention-active",
        "Mention active incidents and problems still going on",
        "Mencione incidentes ativos e problemas ainda em andamento",
    ),
    (
        "end",
        "mention-pending",
        "Mention the tasks left pending",
        "Mencione as tarefas que ficaram pendentes",
    ),
    (
        "end",
        "hand-over-paging",
        "Make sure pages now go to the next person on call",
        "Garanta que os pages agora vão para a próxima pessoa de plantão",
    ),
    (
        "end",
        "announce-end",
        "Tell the team channel your shift has ended",
        "Avise no canal do time que seu turno terminou",
    ),
)


def default_items() -> list[dict[str, Any]]:
    """A fresh copy of the seed's checklist (callers may keep and change it)."""
    return [{"key": k, "phase": p, "en": en, "pt-BR": pt} for p, k, en, pt in _DEFAULT]


def check_items(items: list[dict[str, Any]]) -> list[str]:
    """Problems with a declared checklist as ``items[i].field: message`` (empty: fine)."""
    problems: list[str] = []
    seen: set[str] = set()
    if not items:
        problems.append("items: at least one item")
    for index, item in enumerate(items):
        key = str(item.get("key", ""))
        if not KEY_PATTERN.match(key):
            problems.append(f"items[{index}].key: lowercase letters, digits and '-', 1-64")
        elif key in seen:
            problems.append(f"items[{index}].key: duplicate '{key}'")
        seen.add(key)
        if item.get("phase") not in PHASES:
            problems.append(f"items[{index}].phase: one of {', '.join(PHASES)}")
        for language in ("en", "pt-BR"):
            text = item.get(language)
            if not isinstance(text, str) or not text.strip() or len(text) > 300:
                problems.append(f"items[{index}].{language}: a text of 1-300 characters")
    return problems


def label(item: dict[str, Any], language: str) -> str:
    """The item's text in ``language`` (English when that language has none)."""
    return str(item.get("pt-BR") if language == "pt-BR" else item.get("en"))
