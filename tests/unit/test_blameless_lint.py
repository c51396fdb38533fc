"""The blameless lint finds every listed blame pattern in English and Portuguese (whatever the
case and accents), points at it, suggests in the text's language, and stays silent on a
realistic blameless postmortem in both languages."""

from __future__ import annotations

import pytest

from plantao.postmortems import blameless

ENGLISH_BLAME = [
    ("The outage was Alice's fault.", "Alice's fault"),
    ("It was the fault of the release manager.", "fault of"),
    ("The on-call engineer was at fault.", "at fault"),
    ("We should not blame anyone, but", "blame"),
    ("Ops blamed the network team.", "blamed"),
    ("The culprit was identified.", "culprit"),
    ("The reviewer should have known the flag was on.", "should have known"),
    ("A careless edit of the config.", "careless"),
    ("This was negligence in the review.", "negligence"),
    ("Root cause: human error.", "human error"),
    ("Yesterday Alice broke the deploy.", "Alice broke"),
    ("Bob forgot to renew the certificate.", "Bob forgot to"),
    ("During the rollout @carol deleted the topic.", "@carol deleted"),
    ("@dave ignored the alert.", "@dave ignored"),
    ("After lunch Erin didn't check the canary.", "Erin didn't check"),
]

PORTUGUESE_BLAME = [
    ("A queda foi culpa do João.", "culpa do"),
    ("Foi culpa da equipe de banco.", "culpa da"),
    ("Isso é culpa de quem aprovou.", "culpa de"),
    ("O alarme falhou por culpa do deploy.", "por culpa do"),
    ("O culpado foi o deploy manual.", "culpado"),
    ("Causa raiz: erro humano.", "erro humano"),
    ("Houve negligência na revisão.", "negligência"),
    ("Houve negligencia na revisão.", "negligencia"),
    ("Foi um descuido na configuração.", "descuido"),
    ("A revisora deveria ter sabido do flag.", "deveria ter sabido"),
    ("Ontem o João esqueceu de renovar o certificado.", "João esqueceu de"),
    ("Depois disso a Maria derrubou o banco.", "Maria derrubou"),
    ("No deploy o @joao apagou o tópico.", "@joao apagou"),
    ("Pedro não verificou o canário.", "Pedro não verificou"),
]

CLEAN_ENGLISH = """\
# Postmortem — INC-20261122-1 (sev1): checkout 5xx

## Executive summary
Between 11:53 and 13:30 UTC about 20% of EU checkouts failed. Version 41 of the checkout
service opened more database connections than the pool allowed; the rollback to v40 at
12:40 restored service. We are adding a pool saturation alarm and a load test for releases.

## Timeline (UTC)
- 11:20 — checkout v41 deployed by the pipeline
- 12:00 — HighErrorRate fired; Ana acknowledged at 12:03
- 12:08 — Rolled back to v40

## What worked / what was missing
- Worked: the alert fired within seven minutes and the runbook was linked automatically.
- Missing: no dashboard showed pool saturation; the release checklist has no load test.

## Root cause
Change (code). Technical: the new client library doubled the connections per pod. Process:
the release checklist does not ask for a load test when a client library changes. Human
factors: the library's changelog did not mention the new default, so the review could not
catch it.

### 5 Whys
1. Why did checkouts fail? The database refused new connections.
2. Why? Each pod opened twice as many connections after v41.
3. Why? The client library changed its default pool size.
4. Why was it not caught? No load test runs for library upgrades.
5. Why? The release checklist predates the shared client library.

## Corrective actions (SMART)
| ID | Action | Owner | Due | Status |
|----|--------|-------|-----|--------|
| AC-01 | Alarm on pool saturation above 80% | @ana | 2026-12-01 | open |
| AC-02 | Load test on client library upgrades | @bruno | 2026-12-15 | open |
"""

CLEAN_PORTUGUESE = """\
# Postmortem — INC-20261122-1 (sev1): erros 5xx no checkout

## Resumo executivo
Entre 11:53 e 13:30 UTC cerca de 20% dos checkouts na Europa falharam. A versão 41 do
serviço de checkout abria mais conexões com o banco do que o pool permitia; o rollback para
a v40 às 12:40 restabeleceu o serviço. Vamos criar um alarme de saturação do pool e um teste
de carga para releases.

## Linha do tempo (UTC)
- 11:20 — checkout v41 implantado pelo pipeline
- 12:00 — HighErrorRate disparou; Ana reconheceu às 12:03
- 12:08 — Rollback para a v40

## O que funcionou / o que faltou
- Funcionou: o alerta disparou em sete minutos e o runbook foi vinculado automaticamente.
- Faltou: nenhum dashboard mostrava a saturação do pool; o checklist de release não pede
  teste de carga.

## Causa raiz
Mudança (código). Técnica: a nova biblioteca cliente dobrou as conexões por pod. Processo:
o checklist de release não pede teste de carga quando a biblioteca cliente muda. Fatores
humanos: o changelog da biblioteca não citava o novo padrão, então a revisão não tinha como
perceber.

### 5 porquês
1. Por que os checkouts falharam? O banco recusou novas conexões.
2. Por quê? Cada pod abriu o dobro de conexões depois da v41.
3. Por quê? A biblioteca cliente mudou o tamanho padrão do pool.
4. Por que não foi percebido? Nenhum teste de carga roda em upgrades de biblioteca.
5. Por quê? O checklist de release é anterior à biblioteca cliente compartilhada.

## Ações corretivas (SMART)
| ID | Ação | Dono | Prazo | Status |
|----|------|------|-------|--------|
| AC-01 | Alarme de saturação do pool acima de 80% | @ana | 2026-12-01 | aberta |
| AC-02 | Teste de carga em upgrades da biblioteca cliente | @bruno | 2026-12-15 | aberta |
"""


@pytest.mark.parametrize(("text", "found"), ENGLISH_BLAME)
def test_english_blame_patterns_are_found(text: str, found: str) -> None:
    """Each English blame phrase yields a finding on its exact words, with an English hint."""
    findings = blameless.lint(text, "en")
    assert [f.text for f in findings] == [found]
    assert findings[0].line == 1 and findings[0].column == text.index(found) + 1
    assert findings[0].message.isascii()


@pytest.mark.parametrize(("text", "found"), PORTUGUESE_BLAME)
def test_portuguese_blame_patterns_are_found(text: str, found: str) -> None:
    """Each Portuguese blame phrase yields a finding on its exact words, with a pt-BR hint."""
    findings = blameless.lint(text, "pt-BR")
    assert [f.text for f in findings] == [found]
    assert findings[0].column == text.index(found) + 1
    assert "não" in findings[0].message or "ção" in findings[0].message


def test_case_and_accents_do_not_hide_a_pattern() -> None:
    """Upper case and missing or extra accents still match."""
    texts = ["ERRO HUMANO na virada", "Foi CULPA DO deploy", "NEGLIGÊNCIA", "Human Error"]
    assert [len(blameless.lint(text)) for text in texts] == [1, 1, 1, 1]


def test_findings_point_at_their_line_and_column() -> None:
    """Line and column are 1-based positions in the original text, in reading order."""
    text = "First line is fine.\nThen Bob forgot to page.\n  Culpa do deploy."
    findings = blameless.lint(text)
    assert [(f.line, f.column, f.text) for f in findings] == [
        (2, 6, "Bob forgot to"),
        (3, 3, "Culpa do"),
    ]


def test_the_language_of_the_text_chooses_the_message() -> None:
    """Without a language the hint follows the text: Portuguese text, Portuguese hint."""
    [portuguese] = blameless.lint("O incidente foi culpa do deploy que não tinha rollback.")
    [english] = blameless.lint("The incident was the fault of the deploy that had no rollback.")
    assert portuguese.message.startswith("Descreva")
    assert english.message.startswith("Describe")
    assert blameless.detect_language(CLEAN_PORTUGUESE) == "pt-BR"
    assert blameless.detect_language(CLEAN_ENGLISH) == "en"


def test_systems_and_pronouns_as_subjects_are_not_names() -> None:
    """A system failing at a sentence start, or "we forgot", is not a person blamed."""
    texts = [
        "Redis failed at 14:00.",
        "Deploy broke the cache.",
        "We forgot to renew the certificate.",
        "The cache broke under load.",
        "Nós esquecemos de renovar o certificado.",
        "This is a blameless postmortem.",
        "Page faults rose; fault tolerance held.",
    ]
    assert [blameless.lint(text) for text in texts] == [[] for _ in texts]


@pytest.mark.parametrize(("text", "language"), [(CLEAN_ENGLISH, "en"), (CLEAN_PORTUGUESE, "pt-BR")])
def test_a_clean_blameless_postmortem_has_no_finding(text: str, language: str) -> None:
    """A realistic blameless postmortem passes in both languages."""
    assert blameless.lint(text, language) == []
    assert blameless.lint(text) == []
