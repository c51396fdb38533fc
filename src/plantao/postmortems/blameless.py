"""The blameless lint: warnings on wording that puts a person where a cause should be.

Seeds 001 and 002 ask for blameless postmortems: a postmortem that says "Alice broke the
deploy" or "culpa do João" teaches people to hide mistakes, and it stops the analysis at a
person instead of at the condition that let the mistake happen (a missing check, an unclear
runbook, an alarm that did not fire). The lint only *warns* — the author decides — so it
prefers finding a phrase worth a second look over staying silent.

What it looks for, in English and Portuguese whatever the text's language (teams mix them):

- blame words: "X's fault", "fault of", "at fault", "blame", "culprit", "should have known",
  "careless", "negligence", "human error", "culpa de/do/da", "por culpa", "culpado",
  "erro humano", "negligência", "descuido", "deveria ter sabido/percebido";
- a name as the subject of a failure verb: an ``@handle`` anywhere, or a capitalised word that
  does not open a sentence (openers are mostly ordinary words: "Deploy broke..."), followed by
  a verb such as "broke", "forgot to", "esqueceu", "derrubou". At a sentence's start only verbs
  that need a person ("forgot", "neglected", "esqueceu") count, so "Redis failed" is not a
  finding but "Bob forgot to renew" is.

Matching ignores case and accents ("negligencia" finds "negligência"); findings point at the
original text (1-based line and column). Pure: no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Finding", "detect_language", "lint"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One phrase worth rewording: where it is (1-based), what it says, and a suggestion."""

    line: int
    column: int
    text: str
    message: str


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    en: str
    pt: str


def _rule(regex: str, en: str, pt: str) -> _Rule:
    return _Rule(re.compile(regex), en, pt)


_PERSON_EN = "Describe what happened and which condition allowed it, not who is to blame."
_PERSON_PT = "Descreva o que aconteceu e que condição permitiu isso, não quem é culpado."

#: Blame words, written lower-case without accents (the text is folded the same way).
_WORD_RULES = (
    _rule(r"[\w@.\-]+(?:'|\u2019)s\s+fault\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bfault\s+of\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bat\s+fault\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bblam(?:e|es|ed|ing)\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bculprits?\b", _PERSON_EN, _PERSON_PT),
    _rule(
        r"\bshould\s+have\s+(?:known|noticed|realized|realised)\b",
        "Hindsight: say what information was missing at the time and how to surface it.",
        "Retrospectiva: diga que informação faltava no momento e como torná-la visível.",
    ),
    _rule(
        r"\bcareless(?:ly|ness)?\b",
        "Name the missing safeguard (review, check, automation) instead of judging care.",
        "Nomeie a proteção que faltou (revisão, verificação, automação) em vez de julgar cuidado.",
    ),
    _rule(
        r"\bneglig(?:ence|ent|ently)\b",
        "Name the missing safeguard (review, check, automation) instead of judging people.",
        "Nomeie a proteção que faltou (revisão, verificação, automação) em vez de julgar pessoas.",
    ),
    _rule(
        r"\bhuman\s+errors?\b",
        "Human error is a starting point, not a root cause: ask why the system allowed it.",
        "Erro humano é ponto de partida, não causa raiz: pergunte por que o sistema permitiu.",
    ),
    _rule(r"\bpor\s+culpa\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bculpa\s+d(?:e|o|a|os|as)\b", _PERSON_EN, _PERSON_PT),
    _rule(r"\bculpad[oa]s?\b", _PERSON_EN, _PERSON_PT),
    _rule(
        r"\berros?\s+humanos?\b",
        "Human error is a starting point, not a root cause: ask why the system allowed it.",
        "Erro humano é ponto de partida, não causa raiz: pergunte por que o sistema permitiu.",
    ),
    _rule(
        r"\bneglig(?:encia|ente|entes|enciou)\b",
        "Name the missing safeguard (review, check, automation) instead of judging people.",
        "Nomeie a proteção que faltou (revisão, verificação, automação) em vez de julgar pessoas.",
    ),
    _rule(
        r"\bdescuid(?:o|os|ado|ada|ados|adas)\b",
        "Name the missing safeguard (review, check, automation) instead of judging care.",
        "Nomeie a proteção que faltou (revisão, verificação, automação) em vez de julgar cuidado.",
    ),
    _rule(
        r"\bdeveria(?:m)?\s+ter\s+(?:sabido|percebido|notado|visto)\b",
        "Hindsight: say what information was missing at the time and how to surface it.",
        "Retrospectiva: diga que informação faltava no momento e como torná-la visível.",
    ),
)

#: Verbs that need a person as subject (count even at a sentence's start).
_PERSON_VERBS = (
    r"forgot(?:\s+to)?|neglected(?:\s+to)?|ignored|overlooked|failed\s+to\s+(?:check|notice|test"
    r"|verify|review|follow|read)|didn'?t\s+(?:check|test|verify|notice|review|follow|read)"
    r"|did\s+not\s+(?:check|test|verify|notice|review|follow|read)|messed\s+up|screwed\s+up"
    r"|esqueceu(?:-se)?(?:\s+de)?|ignorou|negligenciou|deixou\s+de|nao\s+(?:verificou|checou"
    r"|testou|revisou|leu|seguiu|percebeu)|errou|vacilou"
)
#: Verbs an object can take too ("the disk broke"): count only after a name inside a sentence.
_OBJECT_VERBS = (
    r"broke|crashed|took\s+down|brought\s+down|deleted|dropped|caused|pushed|botched|"
    r"derrubou|quebrou|apagou|deletou|causou|estragou|subiu"
)
_NAME = r"(?P<name>@[\w.\-]+|\b[A-Z][a-z]+)"
_NAME_VERB = re.compile(_NAME + r"\s+(?P<verb>(?i:" + _PERSON_VERBS + "|" + _OBJECT_VERBS + r"))\b")
_PERSON_VERB = re.compile(r"(?i:" + _PERSON_VERBS + r")")

#: Capitalised words that are not names (pronouns, articles, team words) when they open a phrase.
_NOT_NAMES = frozenset(
    [
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "it",
        "this",
        "that",
        "these",
        "those",
        "our",
        "the",
        "a",
        "an",
        "someone",
        "nobody",
        "everyone",
        "team",
        "on-call",
        "oncall",
        "eu",
        "nos",
        "voce",
        "voces",
        "eles",
        "elas",
        "ele",
        "ela",
        "isso",
        "este",
        "esse",
        "esta",
        "essa",
        "nossa",
        "nosso",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "alguem",
        "ninguem",
        "todos",
        "equipe",
        "time",
        "plantao",
    ]
)
_SENTENCE_END = re.compile(r"(?:^|[.!?:;|>#*\-]|\d+\.)\s*$")

_NAME_EN = "Put the system or step as the subject ('the deploy removed...'), not a person."
_NAME_PT = "Use o sistema ou a etapa como sujeito ('o deploy removeu...'), não uma pessoa."

_PT_WORDS = frozenset(
    [
        "que",
        "nao",
        "de",
        "do",
        "da",
        "em",
        "para",
        "com",
        "uma",
        "os",
        "as",
        "foi",
        "por",
        "sem",
        "mais",
        "quando",
        "como",
        "isso",
        "ao",
        "pelo",
        "pela",
        "incidente",
        "causa",
        "raiz",
        "acoes",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "for",
        "with",
        "was",
        "were",
        "is",
        "not",
        "when",
        "how",
        "this",
        "by",
        "from",
        "incident",
        "root",
        "cause",
        "actions",
    ]
)


def lint(text: str, language: str | None = None) -> list[Finding]:
    """Every blame phrase in ``text``, in reading order; messages in ``language`` (or guessed)."""
    portuguese = (language or detect_language(text)).lower().startswith("pt")
    findings: list[tuple[int, int, Finding]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        accentless = _strip_accents(line)
        folded = _lower(accentless)
        for rule in _WORD_RULES:
            for match in rule.pattern.finditer(folded):
                message = rule.pt if portuguese else rule.en
                findings.append(_finding(number, line, match.start(), match.end(), message))
        for match in _NAME_VERB.finditer(accentless):
            if _is_name_subject(accentless, match):
                message = _NAME_PT if portuguese else _NAME_EN
                findings.append(_finding(number, line, match.start(), match.end(), message))
    findings.sort(key=lambda item: (item[0], item[1]))
    return _merged(findings, text.splitlines())


def _merged(found: list[tuple[int, int, Finding]], lines: list[str]) -> list[Finding]:
    """One finding per phrase: overlapping matches ("por culpa do") become their union."""
    out: list[Finding] = []
    for number, start, finding in found:
        last = out[-1] if out else None
        end = start + len(finding.text)
        if last is not None and last.line == number and start < last.column - 1 + len(last.text):
            begin = last.column - 1
            stop = max(begin + len(last.text), end)
            out[-1] = Finding(number, last.column, lines[number - 1][begin:stop], last.message)
            continue
        out.append(finding)
    return out


def detect_language(text: str) -> str:
    """``pt-BR`` when common Portuguese words outnumber English ones, else ``en``."""
    words = re.findall(r"[a-z]+", _lower(_strip_accents(text)))
    portuguese = sum(1 for word in words if word in _PT_WORDS)
    english = sum(1 for word in words if word in _EN_WORDS)
    return "pt-BR" if portuguese > english else "en"


def _is_name_subject(line: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    if name.startswith("@"):
        return True
    if _lower(name.split()[0]) in _NOT_NAMES:
        return False
    at_sentence_start = _SENTENCE_END.search(line[: match.start()]) is not None
    if not at_sentence_start:
        return True
    return _PERSON_VERB.fullmatch(match.group("verb")) is not None


def _finding(
    number: int, line: str, start: int, end: int, message: str
) -> tuple[int, int, Finding]:
    return (
        number,
        start,
        Finding(line=number, column=start + 1, text=line[start:end], message=message),
    )


def _strip_accents(text: str) -> str:
    """``text`` without accents, one character for one (positions stay those of the original)."""
    return "".join(_base_char(char) for char in text)


def _base_char(char: str) -> str:
    if char.isascii():
        return char
    base = unicodedata.normalize("NFD", char)[0]
    return base if not unicodedata.combining(base) else char


def _lower(text: str) -> str:
    """Lower case, one character for one (the rare characters that grow stay as they are)."""
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)
