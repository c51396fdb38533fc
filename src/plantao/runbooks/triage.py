"""The universal first two minutes of any incident, as data, in English and pt-BR.

Before anyone opens a specific runbook, the incident commander runs the same short triage: six
questions, then a risk level that sets the posture (how much to stabilise before fixing). Keeping
it as data rather than prose lets the web UI render it as a checklist, the timeline record which
questions were answered, and both languages stay in step (same keys, same order).

The timeline note kinds separate what was observed from what is believed, because a postmortem
built on unlabelled guesses repeats them as facts. The assumption template makes people state an
assumption with its evidence and the signal that would overturn it, so missing data never stops
a decision but is never hidden either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TRIAGE_MINUTES = 2
LANGS = ("en", "pt-BR")


@dataclass(frozen=True)
class TriageQuestion:
    key: str
    text: str
    hint: str


@dataclass(frozen=True)
class RiskPosture:
    level: str  # low | medium | high
    label: str
    when: str
    posture: str


@dataclass(frozen=True)
class TriageChecklist:
    lang: str
    title: str
    minutes: int
    questions: tuple[TriageQuestion, ...]
    risks: tuple[RiskPosture, ...]
    missing_data: tuple[str, ...]


_EN = TriageChecklist(
    lang="en",
    title="Triage (2 minutes)",
    minutes=TRIAGE_MINUTES,
    questions=(
        TriageQuestion(
            "symptom",
            "What is the main symptom?",
            "Errors, slowness, wrong data, cost, security, or AI behaviour.",
        ),
        TriageQuestion(
            "scope",
            "How wide is the impact?",
            "Share of users or requests; which endpoints, regions and tenants.",
        ),
        TriageQuestion(
            "timeline",
            "When did it start, and what changed just before?",
            "Deploy, config, feature flag, migration, model or prompt, index.",
        ),
        TriageQuestion(
            "safety",
            "Is there a safety risk right now?",
            "Data leak, broken authorisation, prompt injection: if so, contain first "
            "and optimise later.",
        ),
        TriageQuestion(
            "stop_bleeding",
            "How do we stop the bleeding?",
            "Roll back or switch the canary off, rate-limit, disable a dangerous "
            "tool, degrade (cache, fallback, read-only).",
        ),
        TriageQuestion(
            "confirm",
            "Which data confirms it?",
            "One graph (p95/p99, errors, throughput, queues) before and after each action.",
        ),
    ),
    risks=(
        RiskPosture(
            "low",
            "Low",
            "Small impact, a clear workaround, no security or data risk.",
            "Fix with a patch and a minimal test, then keep watching.",
        ),
        RiskPosture(
            "medium",
            "Medium",
            "Moderate impact, degrading is possible, regressions are a risk.",
            "Stabilise first (roll back or degrade); look for the root cause after.",
        ),
        RiskPosture(
            "high",
            "High",
            "Security risk or data leak, broken authorisation, data corruption, a "
            "large outage, or cost out of control.",
            "Containment beats an elegant fix; bring in security, DBA or SRE; record "
            "every decision.",
        ),
    ),
    missing_data=(
        "State your assumptions out loud, with the check that will confirm them and when.",
        "Use the smallest reversible change that produces a signal (less concurrency, "
        "higher log level for five minutes, sampling on).",
        "If the hypothesis cannot be disproved with the data you have, add instrumentation "
        "before touching the system.",
    ),
)

_PT = TriageChecklist(
    lang="pt-BR",
    title="Triagem (2 minutos)",
    minutes=TRIAGE_MINUTES,
    questions=(
        TriageQuestion(
            "symptom",
            "Qual é o sintoma principal?",
            "Erros, lentidão, dados incorretos, custo, segurança ou comportamento de IA.",
        ),
        TriageQuestion(
            "scope",
            "Qual o alcance do impacto?",
            "Fração de usuários ou requisições; quais endpoints, regiões e tenants.",
        ),
        TriageQuestion(
            "timeline",
            "Quando começou e o que mudou logo antes?",
            "Deploy, configuração, feature flag, migração, modelo ou prompt, índice.",
        ),
        TriageQuestion(
            "safety",
            "Existe risco de segurança agora?",
            "Vazamento de dados, autorização quebrada, prompt injection: se houver, "
            "contenha primeiro e otimize depois.",
        ),
        TriageQuestion(
            "stop_bleeding",
            "Como estancamos o sangramento?",
            "Rollback ou desligar o canário, limitar taxa, desativar uma ferramenta "
            "perigosa, degradar (cache, fallback, somente leitura).",
        ),
        TriageQuestion(
            "confirm",
            "Que dado confirma?",
            "Um gráfico (p95/p99, erros, vazão, filas) antes e depois de cada ação.",
        ),
    ),
    risks=(
        RiskPosture(
            "low",
            "Baixo",
            "Impacto pequeno, contorno claro, sem risco de segurança ou de dados.",
            "Corrija com um patch e um teste mínimo; depois, monitore.",
        ),
        RiskPosture(
            "medium",
            "Médio",
            "Impacto moderado, dá para degradar, há risco de regressão.",
            "Estabilize primeiro (rollback ou degradação); a causa raiz vem depois.",
        ),
        RiskPosture(
            "high",
            "Alto",
            "Risco de segurança ou vazamento, autorização quebrada, dados corrompidos, "
            "indisponibilidade ampla ou custo descontrolado.",
            "Conter vale mais que a correção elegante; acione segurança, DBA ou SRE; "
            "registre cada decisão.",
        ),
    ),
    missing_data=(
        "Declare as suposições em voz alta, com a verificação que vai confirmá-las e quando.",
        "Use a menor mudança reversível que gere sinal (menos concorrência, log mais "
        "detalhado por cinco minutos, amostragem ligada).",
        "Se a hipótese não pode ser refutada com os dados atuais, instrumente antes de mexer "
        "no sistema.",
    ),
)

TRIAGE: dict[str, TriageChecklist] = {"en": _EN, "pt-BR": _PT}


def triage_checklist(lang: str = "en") -> TriageChecklist:
    """The checklist in ``lang``; English for any language we do not ship."""
    return TRIAGE.get(lang, _EN)


class NoteKind(StrEnum):
    FACT = "fact"
    INFERENCE = "inference"
    ACTION = "action"
    DECISION = "decision"


# kind -> lang -> (label, what belongs under it)
NOTE_KINDS: dict[NoteKind, dict[str, tuple[str, str]]] = {
    NoteKind.FACT: {
        "en": ("Fact", "Observed and reproducible, with its source (log, trace, metric)."),
        "pt-BR": ("Fato", "Observado e reproduzível, com a fonte (log, trace, métrica)."),
    },
    NoteKind.INFERENCE: {
        "en": ("Inference", "A hypothesis: say why you believe it and how you will check it."),
        "pt-BR": ("Inferência", "Uma hipótese: diga por que acredita nela e como vai verificá-la."),
    },
    NoteKind.ACTION: {
        "en": ("Action", "Something done to the system, by whom, and when."),
        "pt-BR": ("Ação", "Algo feito no sistema, por quem e quando."),
    },
    NoteKind.DECISION: {
        "en": ("Decision", "A choice made, the options weighed, and who made it."),
        "pt-BR": ("Decisão", "Uma escolha feita, as opções consideradas e quem decidiu."),
    },
}


def note_label(kind: NoteKind | str, lang: str = "en") -> str:
    labels = NOTE_KINDS[NoteKind(kind)]
    return labels.get(lang, labels["en"])[0]


ASSUMPTION_TEMPLATES = {
    "en": "I assume {assumption} because {evidence}; if {signal}, I do {fallback}.",
    "pt-BR": "Assumo {assumption} porque {evidence}; se {signal}, faço {fallback}.",
}


def format_assumption(
    assumption: str, evidence: str, signal: str, fallback: str, lang: str = "en"
) -> str:
    """Fill the assumption template; every part is required because each one is the point."""
    parts = {"assumption": assumption, "evidence": evidence, "signal": signal, "fallback": fallback}
    missing = [name for name, value in parts.items() if not value.strip()]
    if missing:
        raise ValueError(f"an assumption needs all four parts; missing: {', '.join(missing)}")
    template = ASSUMPTION_TEMPLATES.get(lang, ASSUMPTION_TEMPLATES["en"])
    return template.format(**{k: v.strip() for k, v in parts.items()})
