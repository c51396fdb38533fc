"""Ranking runbooks for an alert: tokens, BM25F, the threshold and the shipped-pack quality."""

from __future__ import annotations

import sys

import pytest

from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.suggest import FAMILY_BONUS, SuggestIndex, alert_query
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
