"""Ranking runbooks for an alert: tokens, BM25F, the threshold and the shipped-pack quality."""

from __future__ import annotations

import sys

import pytest

from plantao.runbooks.alert_query import alert_product
from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.suggest import FAMILY_BONUS, RELATIVE, SuggestIndex, alert_query
from plantao.runbooks.synonyms import EXPANSION_WEIGHT, expand, parse_groups, shipped_groups
from plantao.runbooks.tokens import family_key, terms

from .conftest import FIXTURE_PACK, FIXTURES
from .quality import evaluate, load_cases


@pytest.fixture(scope="module")
def index() -> SuggestIndex:
    return RunbookLibrary.load(FIXTURE_PACK).index()


def _terms(text: str) -> list[str]:
    return [t for t, _ in terms(text)]


def test_camel_case_alert_names_split_into_words() -> None:
    """KafkaConsumerLagHigh yields the same terms as 'kafka consumer lag high'."""
    assert _terms("KafkaConsumerLagHigh") == _terms("kafka consumer lag high")
    assert _terms("HTTPErrorRate") == _terms("http error rate")


def test_portuguese_and_english_words_meet() -> None:
    """Accents are folded and cognates normalised: latência/latency, consumidor/consumer."""
    assert _terms("latência") == _terms("latency")
    assert _terms("consumidor") == _terms("consumers")
    assert _terms("conexões") == _terms("connection")
    assert _terms("replicação") == _terms("replication")
    assert _terms("fila de mensagens") == _terms("message queue")[::-1]


def test_stopwords_and_plain_numbers_are_dropped() -> None:
    """Function words and bare numbers carry no topic; HTTP status codes collapse to 5xx."""
    assert _terms("the rate of the 12 errors is above 503") == ["rate", "error", "5xx"]


def test_alert_query_weights_alertname_above_description() -> None:
    """A word in the alert name outweighs the same word in a long description."""
    query = alert_query({"alertname": "DiskFull"}, {"description": "disk almost full"})
    assert query["disk"].weight > 1.0


def test_suggests_the_matching_runbook_first(index: SuggestIndex) -> None:
    """A Kafka lag alert ranks the Kafka runbook first and explains which words matched."""
    found = index.suggest({"alertname": "KafkaLagGrowing"}, {"summary": "consumer lag growing"})
    assert found[0].id == "kafka-consumer-lag"
    words = next(code for code in found[0].why if code.startswith("words:"))
    assert "lag" in words.removeprefix("words:").split(",")


def test_languages_merge_by_id(index: SuggestIndex) -> None:
    """Both language versions match, but the id is suggested once."""
    found = index.suggest({"alertname": "KafkaConsumerLag"}, {"summary": "atraso no consumidor"})
    assert [s.id for s in found].count("kafka-consumer-lag") == 1


def test_preferred_language_wins_ties(index: SuggestIndex) -> None:
    """When both languages are linked by a matcher, the caller's language is shown."""
    found = index.suggest({"alertname": "KafkaConsumerStalled", "severity": "page"}, lang="pt-BR")
    assert (found[0].id, found[0].linked) == ("kafka-consumer-lag", True)


def test_linked_runbook_ranks_first_even_without_shared_words(index: SuggestIndex) -> None:
    """An explicit alert matcher beats text similarity."""
    found = index.suggest(
        {"alertname": "PostgresTooManyConnections"}, {"summary": "node disk full certificate"}
    )
    assert found[0].id == "db-connection-saturation"
    assert found[0].linked
    assert "matcher" in found[0].why


def test_unrelated_alert_gets_no_suggestion(index: SuggestIndex) -> None:
    """Below the threshold the answer is 'no runbook found', not a guess."""
    assert (
        index.suggest(
            {"alertname": "PayrollExportLate"}, {"summary": "Monthly payroll export did not finish"}
        )
        == []
    )


def test_scores_are_normalised(index: SuggestIndex) -> None:
    """Unlinked scores are a share of the query's maximum, between 0 and 1, plus at most the
    family bonus when a declared family matches."""
    found = index.suggest({"alertname": "DiskFull"}, {"summary": "filesystem full"})
    words_only = index.suggest(
        {"alertname": "ConsumerGroupBehind"}, {"summary": "kafka consumer lag on topic orders"}
    )
    assert found and words_only
    assert all(0 < s.score <= 1 for s in words_only if not s.linked)
    assert all(0 < s.score <= 1 + FAMILY_BONUS["name"] for s in found if not s.linked)
    assert any(code.startswith("family:") for code in found[0].why)


def test_quality_on_fixture_pack() -> None:
    """On the fixture pack every expected runbook is in the top 3 and strays get nothing."""
    quality = evaluate(
        RunbookLibrary.load(FIXTURE_PACK).index(), load_cases([FIXTURES / "own_alerts.json"])
    )
    print(f"fixture pack: {quality.line()}", file=sys.stderr)
    assert quality.misses == []
    assert quality.false_positives == []


def test_quality_on_shipped_pack() -> None:
    """Against the shipped pack: recall@3 >= 0.9 and no suggestion for unrelated alerts."""
    files = sorted(FIXTURES.glob("alerts_*.json"))
    assert files, "the ranking fixtures tests/unit/runbooks/fixtures/alerts_*.json are missing"
    library = RunbookLibrary.load(default_pack_dir())
    quality = evaluate(library.index(), load_cases(files))
    report = "\n  ".join([quality.line(), *quality.misses, *quality.false_positives])
    print(f"shipped pack: {report}")
    assert quality.total > 0
    assert quality.recall_at_3 >= 0.9, report
    assert quality.false_positives == [], report


@pytest.mark.parametrize(
    ("labels", "annotations"),
    [
        ({"alertname": "KafkaLagGrowing"}, {"summary": "consumer lag growing on orders"}),
        ({"alertname": "DiskFull"}, {"description": "the disk of the node is full"}),
        ({"alertname": "Whatever"}, {"summary": "certificate handshake errors and lag"}),
    ],
)
def test_pruning_gives_the_same_answer_as_full_scoring(
    index: SuggestIndex, labels: dict[str, str], annotations: dict[str, str]
) -> None:
    """MaxScore pruning never changes which runbooks pass the threshold or their scores."""
    full = [s for s in index.suggest(labels, annotations, k=100, threshold=0.0) if s.score >= 0.25]
    assert index.suggest(labels, annotations, k=100, threshold=0.25) == full


def test_adjust_lifts_a_runbook_with_no_shared_words(index: SuggestIndex) -> None:
    """A positive feedback adjustment can show a runbook the alert's words never reach."""
    labels = {"alertname": "PayrollExportLate"}
    notes = {"summary": "Monthly payroll export did not finish"}
    found = index.suggest(labels, notes, adjust={"kafka-consumer-lag": 0.3})
    assert [s.id for s in found] == ["kafka-consumer-lag"]
    assert "feedback:+0.30" in found[0].why


def test_adjust_can_drop_a_suggestion_below_the_threshold(index: SuggestIndex) -> None:
    """A negative adjustment (responders rejected it) removes a runbook that passed on words."""
    labels = {"alertname": "KafkaLagGrowing"}
    notes = {"summary": "consumer lag growing"}
    assert "kafka-consumer-lag" in [s.id for s in index.suggest(labels, notes)]
    dropped = index.suggest(labels, notes, adjust={"kafka-consumer-lag": -2.0})
    assert "kafka-consumer-lag" not in [s.id for s in dropped]


def test_adjust_for_an_unknown_runbook_is_ignored(index: SuggestIndex) -> None:
    """Feedback about a runbook since deleted changes nothing."""
    labels = {"alertname": "KafkaLagGrowing"}
    assert index.suggest(labels, adjust={"gone": 0.5}) == index.suggest(labels)


def test_family_key_lowercases_and_drops_digits() -> None:
    """The feedback key ignores case and numbering; no alert name gives an empty key."""
    assert family_key({"alertname": "Disk1Full"}) == family_key({"alertname": "diskfull"})
    assert family_key({"alertname": "KubeNodeNotReady"}) == "kubenodenotready"
    assert family_key({"job": "x"}) == ""


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("HTTPRequestsErrors", "http requests errors"),
        ("KubePodCrashLooping", "kube pod crash looping"),
        ("HAProxyServerDown", "haproxy server down"),
        ("MySQLReplicationLag", "mysql replication lag"),
        ("RabbitMQNodeDown", "rabbitmq node down"),
        ("OpenTelemetryCollectorRefusedSpans", "otel collector refused spans"),
        ("otelcol_exporter_queue_size", "otel exporter queue size"),
        ("PGExporterScrapeError", "postgres exporter scrape error"),
        ("PostgreSQLDown", "postgres down"),
        ("MongodbReplicationLag", "mongodb replication lag"),
    ],
)
def test_alert_names_split_into_words_keeping_product_names(name: str, words: str) -> None:
    """CamelCase with acronyms, snake_case and exporter prefixes give the words people say."""
    assert _terms(name) == _terms(words)


def test_coredns_also_means_dns() -> None:
    """A CoreDNS alert carries the plain word 'dns' so a DNS runbook meets it."""
    assert "dns" in _terms("CoreDNSErrorsHigh")


def test_generic_words_weigh_less_than_specific_ones() -> None:
    """'high' and 'memory' in an alert name weigh a fraction of 'heap' next to them."""
    query = alert_query({"alertname": "JvmHeapMemoryHigh"})
    assert query["heap"].weight > 2 * query[_terms("memory")[0]].weight
    assert query["high"].generic and not query["heap"].generic


def test_synonyms_expand_the_query_at_a_lower_weight() -> None:
    """'fora do ar' also asks for 'unavailable', weighing less than the alert's own words."""
    query = alert_query({"alertname": "Checkout"}, {"summary": "checkout fora do ar"})
    unavailable = _terms("unavailable")[0]
    assert query[unavailable].expanded
    assert query[unavailable].weight < query["down"].weight


def test_label_values_weigh_by_label() -> None:
    """job names the technology; an arbitrary label value weighs less."""
    query = alert_query({"alertname": "X", "job": "mysqld-exporter", "shard": "redis-7"})
    assert query["mysql"].weight > query["redis"].weight


def test_generic_words_alone_suggest_nothing(index: SuggestIndex) -> None:
    """An alert sharing only generic words (high, usage, latency) with a runbook gets none."""
    labels = {"alertname": "HighUsageLatency"}
    notes = {"summary": "high usage and latency on the service"}
    assert index.suggest(labels, notes, threshold=0.0) == []


def test_a_declared_family_is_strong_evidence(index: SuggestIndex) -> None:
    """An alert named like a runbook's family is suggested with the family as the reason."""
    found = index.suggest({"alertname": "EtcdDiskAlmostFullSoon"})
    assert found and found[0].id == "disk-full"
    assert "family:*Disk*Full*" in found[0].why


def test_a_far_weaker_runbook_is_not_shown_next_to_a_strong_one(index: SuggestIndex) -> None:
    """A runbook shown on its words alone is dropped next to one scoring over 1/RELATIVE
    times more."""
    labels = {"alertname": "ConsumerGroupLagHigh"}
    notes = {
        "summary": "consumer lag growing on orders",
        "description": "filesystem full, disk writes failing, no space left",
    }
    alone = index.suggest(labels, notes, threshold=0.0)
    assert [s.id for s in alone] == ["kafka-consumer-lag", "disk-full"]
    strong = index.suggest(labels, notes, threshold=0.0, adjust={"kafka-consumer-lag": 1.0})
    assert [s.id for s in strong] == ["kafka-consumer-lag"]
    assert alone[1].score < strong[0].score * RELATIVE


def test_shipped_pack_has_no_catch_all_matchers() -> None:
    """No shipped runbook links an alert by severity alone or by an empty pattern."""
    library = RunbookLibrary.load(default_pack_dir())
    loose = [
        f"{rb.id} ({rb.lang})"
        for rb in library.all()
        for group in rb.alerts
        if all(m.name in ("severity", "priority") or m.value in ("", ".*", ".+") for m in group)
    ]
    assert loose == []


def test_shipped_vocabulary_loads_and_pairs_languages() -> None:
    """The synonyms file ships, parses, and joins English and Portuguese phrasings."""
    groups = shipped_groups()
    assert len(groups) >= 20
    added = expand(dict.fromkeys(_terms("disco cheio"), 1.0))
    assert {*_terms("out of space")} <= set(added)
    assert all(w == EXPANSION_WEIGHT for w in added.values())


def test_a_phrase_fires_only_when_all_its_words_are_there() -> None:
    """'memory leak' needs both words: 'memory' alone expands nothing from that group."""
    groups = parse_groups("groups:\n  - [memory leak, heap growing]\n")
    assert expand(dict.fromkeys(_terms("memory"), 1.0), tuple(map(tuple, groups))) == {}
    assert expand(dict.fromkeys(_terms("memory leak"), 1.0), tuple(map(tuple, groups)))


def test_an_alert_named_after_a_product_needs_that_product_in_the_runbook(
    index: SuggestIndex,
) -> None:
    """EtcdConsumerLag shares 'consumer lag' with the Kafka runbook, but etcd is not Kafka."""
    notes = {"summary": "consumer group lag growing, messages piling up in the queue"}
    assert index.suggest({"alertname": "ConsumerGroupLag"}, notes)
    assert index.suggest({"alertname": "EtcdConsumerGroupLag"}, notes) == []
    assert alert_product({"alertname": "EtcdConsumerGroupLag"}) == "etcd"
    assert alert_product({"alertname": "ConsumerGroupLag"}) is None


@pytest.mark.parametrize(
    ("labels", "annotations"),
    [
        (
            {"alertname": "PayrollExportLate", "job": "finance-batch"},
            {"summary": "Monthly payroll export did not finish by 06:00"},
        ),
        (
            {"alertname": "ExportacaoFolhaAtrasada", "job": "financeiro"},
            {"summary": "Exportação da folha de pagamento não terminou até as 6h"},
        ),
        (
            {"alertname": "PrinterTonerLow", "instance": "printer-3"},
            {"summary": "Toner of the 3rd floor printer below 10%"},
        ),
        (
            {"alertname": "NodeClockNotSynchronising", "job": "node-exporter"},
            {"summary": "O relógio do nó não está sincronizando com o NTP"},
        ),
        (
            {"alertname": "KubeQuotaAlmostFull", "namespace": "team-a"},
            {"summary": "Namespace team-a is using 92% of its memory quota"},
        ),
    ],
)
def test_unrelated_alerts_get_no_runbook_from_the_shipped_pack(
    labels: dict[str, str], annotations: dict[str, str]
) -> None:
    """Alerts no shipped runbook is about, in English and Portuguese, get 'no runbook'."""
    library = RunbookLibrary.load(default_pack_dir())
    assert library.suggest(labels, annotations) == []
