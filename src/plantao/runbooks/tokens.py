"""Turn alert text and runbook text into comparable terms, across English and Portuguese.

Alerts say ``KafkaConsumerLagHigh`` and "latência p99 alta"; runbooks say "consumer lag" or
"latency". A full stemmer per language would be heavy and still would not make ``latência`` meet
``latency``. Instead every word goes through the same cheap pipeline:

1. recognise product and exporter names whose spelling CamelCase splitting would break
   (``HAProxy``, ``MySQL``, ``RabbitMQ``, ``CoreDNS``, ``OpenTelemetry``/``otelcol``, ``PG``),
   then split CamelCase, snake_case and letter/digit runs (``KafkaConsumerLagHigh`` -> kafka
   consumer lag high, ``HTTPRequestsErrors`` -> http requests errors);
2. fold accents and case (``latência`` -> ``latencia``); map 5xx-like codes (``503`` -> ``5xx``);
3. drop a small en + pt-BR stopword list;
4. strip plurals and -ing/-ed, map a short table of pt-BR words whose English cognate does not
   share a prefix (``fila`` -> queue, ``conexão`` -> connection);
5. keep the first five letters (prefix normalisation): ``latenc|ia`` / ``latenc|y`` and
   ``consu|midor`` / ``consu|mer`` meet, as do ``replicação`` and ``replication``.

Five-letter truncation is a known, language-agnostic conflation that is crude but predictable;
its false merges (``consul``/``consumer``) are damped by BM25's field weights and IDF.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from plantao.runbooks.body import fold

PREFIX = 5
# Product and exporter names as they appear in alert names, in any case, -> the word both
# sides of the index use. Longest spellings first so ``mysqld`` wins over ``mysql``. Names
# that already split well (Kafka, Redis, Nginx, Traefik, Envoy, Kube, Node, Host, Loki,
# Prometheus, Blackbox) need no entry.
BRANDS: dict[str, str] = {
    "opentelemetry": "otel",
    "otelcol": "otel",
    "elasticsearch": "elasticsearch",
    "opensearch": "elasticsearch",
    "certmanager": "certmanager cert",
    "cert-manager": "certmanager cert",
    "postgresql": "postgres",
    "rabbitmq": "rabbitmq",
    "mariadb": "mysql",
    "mysqld": "mysql",
    "mysql": "mysql",
    "mongodb": "mongodb",
    "haproxy": "haproxy",
    "coredns": "coredns dns",
    "litellm": "litellm llm",
    "kubelet": "kubelet",
    "argocd": "argocd",
    "x509": "certificate",
    "k8s": "kubernetes",
}
_BRAND = re.compile("|".join(map(re.escape, sorted(BRANDS, key=len, reverse=True))), re.I)
# "PG" as its own capitalised run (PGExporterScrapeError, pg_up) is PostgreSQL.
_PG = re.compile(r"(?<![A-Za-z])(?:PG|pg)(?![a-z])")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_HTTP_CODE = re.compile(r"^([45])\d\d$")
_QUANTITY = re.compile(r"^\d+(?:ms|s|m|h|d|w|k|kb|mb|gb|tb|x|rps|qps)?$")  # 500ms, 10gb, 3x

_EN_STOP = (
    "a an and are as at be been being but by can could did do does doing for from had has have "
    "having how if in into is it its may might more most no nor not of on or our out over so "
    "such than that the their them then there these they this those to too up very was we were "
    "what when where which while who whom why will with would you your all any also after "
    "before about above below per via i me my he she his her us own same just only other some "
    "each few both should now ago since still again further once here until against between "
    "during through under yet"
)
_PT_STOP = (  # accent-folded
    "o os as um uma uns umas de do da dos das em no na nos nas por pelo pela pelos pelas para "
    "com sem que se ao aos e ou mas como mais menos muito muita muitos muitas ja nao sim foi "
    "ser esta estao esse essa isso este isto ha tem sao seu sua seus suas entre sobre ate "
    "quando onde qual quais apos antes depois cada outro outra outros outras eu ele ela eles "
    "elas voce voces lhe meu minha nosso nossa aquele aquela aquilo tambem so ainda agora "
    "desde enquanto porque pois ter estar era eram sera foram seja sendo tinha havia num numa "
    "nesse nessa neste nesta dele dela deles mesmo mesma todo toda todos todas algum alguma "
    "nenhum nenhuma bem la aqui ali assim entao vez vezes estava ficou fica"
)
_ALERT_STOP = (  # alert boilerplate and units that carry no topic
    "alert alerts alerta alertas firing disparado instance value valor current atual "
    "minute minutes minuto minutos min mins second seconds segundo segundos hour hours hora "
    "horas day days dia dias week weeks semana semanas today hoje ontem yesterday last ultimo "
    "ultimos ultima ultimas acima ms sec kb mb gb tb percent"
)
STOPWORDS = frozenset(f"{_EN_STOP} {_PT_STOP} {_ALERT_STOP}".split())

# pt-BR (folded, plural already stripped) -> English word, where prefixes do not meet.
COGNATES = {
    "erro": "error",
    "falha": "fail",
    "failure": "fail",
    "fila": "queue",
    "atraso": "lag",
    "atrasado": "lag",
    "lentidao": "slow",
    "lento": "slow",
    "lenta": "slow",
    "disco": "disk",
    "memoria": "memory",
    "banco": "database",
    "db": "database",
    "conexao": "connection",
    "requisicao": "request",
    "indisponivel": "unavailable",
    "fora": "down",
    "cheio": "full",
    "cheia": "full",
    "espaco": "space",
    "armazenamento": "storage",
    "pagamento": "payment",
    "pedido": "order",
    "usuario": "user",
    "sincronizacao": "sync",
    "taxa": "rate",
    "vazamento": "leak",
    "consulta": "query",
    "alto": "high",
    "alta": "high",
    "elevado": "high",
    "elevada": "high",
    "baixo": "low",
    "baixa": "low",
    "reinicio": "restart",
    "reiniciando": "restart",
    "reinicializacao": "restart",
    "implantacao": "deploy",
    "mensagem": "message",
    "mensagen": "message",
    "topico": "topic",
    "grupo": "group",
    "rede": "network",
    "pico": "spike",
    "aumento": "increase",
    "crescendo": "grow",
    "crescimento": "grow",
    "growth": "grow",
    "senha": "password",
    "chave": "key",
    "saturado": "saturation",
    "esgotado": "exhaust",
    "esgotamento": "exhaust",
    "tempo": "time",
    "resposta": "response",
    "vencido": "expire",
    "vencendo": "expire",
    "expiracao": "expire",
    "nodo": "node",
    "uso": "usage",
    "fatal": "crash",
    "travado": "stuck",
    "parado": "stall",
    "bloqueio": "lock",
    "bloqueado": "lock",
    "acerto": "hit",
    "vazao": "throughput",
    "escrita": "write",
    "leitura": "read",
    "aparelho": "device",
    "dispositivo": "device",
    "parceiro": "partner",
    "ataque": "attack",
    "invasao": "breach",
    "lancamento": "release",
    "versao": "version",
    "reversao": "rollback",
    "trafego": "traffic",
    "custo": "cost",
    "orcamento": "budget",
    "gasto": "spend",
    "servidor": "server",
    "carga": "load",
    "indice": "index",
    "tabela": "table",
    "atualizacao": "update",
    "desatualizado": "stale",
    "aplicativo": "app",
    "celular": "mobile",
    "tarefa": "task",
    "relatorio": "report",
    "nuvem": "cloud",
    "fatura": "invoice",
}
# Same idea for inflected forms (falhando, atrasando, sincronizando): five-letter stems whose
# English side differs. Only stems that no common English ops word starts with are listed.
PREFIX_COGNATES = {
    "falha": "fail",
    "atras": "lag",
    "lenti": "slow",
    "sincr": "sync",
    "reini": "resta",
    "acert": "hit",
    "trafe": "traff",
    "esgot": "exhau",
    "indis": "unava",
    "armaz": "stora",
    "vazam": "leak",
    "requi": "reque",
    "conex": "conne",
}


def words(text: str) -> list[str]:
    """Surface words, product names recognised, CamelCase split and accent-folded, before
    stemming."""
    text = _BRAND.sub(lambda m: f" {BRANDS[m.group(0).lower()]} ", text)
    text = _PG.sub(" postgres ", text)
    return _WORD.findall(fold(_CAMEL.sub(" ", text)))


def stem(word: str) -> str | None:
    """One folded word -> its term, or None for stopwords and noise."""
    code = _HTTP_CODE.match(word)
    if code:
        return f"{code.group(1)}xx"
    if _QUANTITY.match(word) or len(word) < 2 or word in STOPWORDS:
        return None
    if len(word) > 4 and word.endswith("oes"):
        word = word[:-3] + "ao"
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word in STOPWORDS:
        return None
    for suffix in ("ing", "ed"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]
            break
    if word in COGNATES:
        word = COGNATES[word]
    elif word.endswith("a") and word[:-1] + "o" in COGNATES:  # feminine form
        word = COGNATES[word[:-1] + "o"]
    if word in STOPWORDS:
        return None
    prefix = word[:PREFIX]
    return PREFIX_COGNATES.get(prefix, prefix)


def terms(text: str) -> Iterator[tuple[str, str]]:
    """(term, surface word) pairs; the surface word is what an explanation shows."""
    for word in words(text):
        term = stem(word)
        if term is not None:
            yield term, word


def family_key(labels: Mapping[str, str]) -> str:
    """The alert family responders' feedback is stored under: the alert name lower-cased with
    its digits removed (``Disk1Full`` and ``disk2full`` are one family, so a rule numbered per
    shard or per threshold still learns as one); ``""`` for an alert without a name."""
    return "".join(c for c in labels.get("alertname", "").strip().lower() if not c.isdigit())
