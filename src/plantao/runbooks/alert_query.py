"""An alert's labels and annotations -> the weighted terms the runbook ranker looks up.

Why weights by origin: the alert name is the rule author's one-word diagnosis, the summary is
the line a person wrote to say what is wrong, the description is longer and chattier, and most
label values are identifiers (pods, hosts, shards) that say nothing about the failure. Labels
such as ``job``, ``service`` or ``exporter`` do name the technology (``job="mysqld-exporter"``),
so they count like a summary word.

Why generic words are damped: "high", "memory", "container", "latency", "query", "error",
"rate", "usage" appear in alerts about everything; on real rule sets they were what carried a
confident but wrong runbook (``ElasticsearchHighQueryLatency`` -> a Postgres runbook through
"query" and "latency"). They keep :data:`GENERIC_FACTOR` of their weight and, in the ranker,
cannot be the only reason a runbook is shown.

Synonyms (:mod:`plantao.runbooks.synonyms`) are added after the alert's own words, weighing
less. Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plantao.runbooks.synonyms import expand
from plantao.runbooks.tokens import stem, terms, words

ORIGIN_WEIGHTS = {"alertname": 2.0, "summary": 1.5, "description": 0.8}
# Labels that name the technology or the service; any other label value weighs OTHER_LABEL.
LABEL_WEIGHTS = {
    "job": 1.2,
    "service": 1.0,
    "exporter": 1.2,
    "app": 0.8,
    "app_kubernetes_io_name": 0.8,
    "container": 0.8,
    "component": 0.8,
    "namespace": 0.4,
}
OTHER_LABEL = 0.3
IGNORED_LABELS = frozenset(
    {
        "alertname",
        "severity",
        "prometheus",
        "receiver",
        "instance",
        "le",
        "quantile",
        "endpoint",
        "pod_ip",
        "priority",
        "team",
        "env",
        "environment",
        "region",
        "cluster",
        "monitor",
        "pod",
        "node",
        "host",
        "hostname",
        "uid",
        "id",
        "ip",
        "url",
        "runbook_url",
    }
)
#: Share of its weight a generic word keeps.
GENERIC_FACTOR = 0.3
_GENERIC_WORDS = (
    "high low too much many big large memory container latency query queries error errors rate "
    "usage total count duration request requests response time kube kubernetes cluster pod "
    "pods state metrics exporter service server instance node host job check status number "
    "percent percentage size problem issue warning critical abnormal unusual detected increase "
    "decrease increasing fail failed failing failure system process application app api "
    "resource resources limit utilization used use value threshold long slow more less above "
    "below level seen expected esperado longer number numero run running update updated "
    "complete completed missing exceeded exceeds max maximum min minimum reached reach "
    "zero monitoring monitor prometheus alertmanager scrape target targets "
    "alto alta uso erro taxa tempo ar"
)
GENERIC = frozenset(t for t in (stem(w) for w in _GENERIC_WORDS.split()) if t is not None)


# Products and exporters an alert name often starts with (``EtcdMembersDown``,
# ``TempoPartitionLag``). An alert about one of them is only about another product's runbook
# when a family or a link says so: words alone ("members down", "partition lag") match the
# runbook of whichever product uses the same words.
# Checked on the alert name's first word before stemming, since five-letter stems of some
# product names meet ordinary words (consul/consumer, tempo/time in Portuguese).
PRODUCTS = frozenset(
    [
        "etcd",
        "kafka",
        "zookeeper",
        "redis",
        "postgres",
        "mysql",
        "mongodb",
        "rabbitmq",
        "elasticsearch",
        "memcached",
        "cassandra",
        "clickhouse",
        "consul",
        "vault",
        "nomad",
        "minio",
        "ceph",
        "tempo",
        "loki",
        "mimir",
        "cortex",
        "thanos",
        "prometheus",
        "alertmanager",
        "grafana",
        "haproxy",
        "traefik",
        "envoy",
        "nginx",
        "istio",
        "linkerd",
        "coredns",
        "kubelet",
        "argocd",
        "flux",
        "otel",
        "jvm",
        "pgbouncer",
        "blackbox",
        "certmanager",
    ]
)


def alert_product(labels: Mapping[str, str]) -> str | None:
    """The term of the product an alert name starts with (``etcd`` for EtcdMembersDown)."""
    first = next(iter(words(labels.get("alertname", ""))), None)
    return stem(first) if first in PRODUCTS else None


@dataclass(frozen=True)
class QueryTerm:
    """One looked-up term: its weight, the alert word it came from, and what kind it is."""

    weight: float
    surface: str
    generic: bool = False
    expanded: bool = False


def _parts(
    labels: Mapping[str, str], annotations: Mapping[str, str] | None
) -> list[tuple[str, float]]:
    parts: list[tuple[str, float]] = []
    if labels.get("alertname"):
        parts.append((labels["alertname"], ORIGIN_WEIGHTS["alertname"]))
    for name, value in labels.items():
        if name not in IGNORED_LABELS:
            parts.append((value, LABEL_WEIGHTS.get(name, OTHER_LABEL)))
    for name, value in (annotations or {}).items():
        if name in ("summary", "title", "alertname"):
            parts.append((value, ORIGIN_WEIGHTS["summary"]))
        elif name in ("description", "message"):
            parts.append((value, ORIGIN_WEIGHTS["description"]))
    return parts


def alert_query(
    labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> dict[str, QueryTerm]:
    """term -> :class:`QueryTerm`: each term at the best weight any field gave it, generic
    words damped, then synonyms of what the alert said at a lower weight."""
    query: dict[str, QueryTerm] = {}
    for text, weight in _parts(labels, annotations):
        for term, surface in terms(text):
            generic = term in GENERIC
            w = weight * GENERIC_FACTOR if generic else weight
            if term not in query or query[term].weight < w:
                query[term] = QueryTerm(w, surface, generic)
    for term, weight in expand({t: q.weight for t, q in query.items()}).items():
        query[term] = QueryTerm(weight, term, term in GENERIC, expanded=True)
    return query
