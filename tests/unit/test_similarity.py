"""The pure scoring behind "Similar past incidents": families, stable labels, text, weights."""

from __future__ import annotations

import pytest

from plantao.postmortems import similarity
from plantao.postmortems.similarity import AlertFacts, Profile, family_key, profile, rank

DISK = {"alertname": "NodeFilesystemAlmostOutOfSpace", "job": "node-exporter", "cluster": "prod"}


def _p(service: int, title: str, *labels: dict[str, str]) -> Profile:
    return profile(service, title, [AlertFacts(lab, title) for lab in labels])


def test_family_key_lowercases_and_strips_digits() -> None:
    """``Disk1Full`` and ``disk2full`` are one family; no alertname is no family."""
    assert family_key({"alertname": "Disk1Full"}) == family_key({"alertname": "disk2full"})
    assert family_key({"alertname": "Http5xxHigh"}) == "httpxxhigh"
    assert family_key({"job": "x"}) == ""
    assert family_key({"alertname": 3}) == ""


def test_stable_labels_drop_per_occurrence_ones() -> None:
    """instance, pod, ids, addresses and alertname/severity are not part of the overlap."""
    kept = similarity.stable_labels(
        {
            "alertname": "X",
            "severity": "critical",
            "instance": "db-1:9100",
            "pod": "api-7d9f8-x2k4q",
            "container_id": "abc",
            "target": "10.0.0.12:8080",
            "trace": "3f2a9c1be4d07788",
            "job": "Node-Exporter",
            "namespace": "checkout",
        }
    )
    assert kept == {("job", "node-exporter"), ("namespace", "checkout")}


def test_same_family_beats_same_service_with_other_words() -> None:
    """A same-family incident on another service outranks one of the same service that only
    shares its labels' context."""
    probe = _p(1, "Filesystem on db-9 has 3% space left", {**DISK, "instance": "db-9"})
    family_elsewhere = _p(2, "Filesystem on cache-1 has 4% space left", {**DISK, "cluster": "x"})
    same_service = _p(1, "Replication broken on db-2", {**DISK, "alertname": "PgReplication"})
    ranked = rank(probe, {10: family_elsewhere, 11: same_service}, limit=5)
    assert [s.key for s in ranked][:1] == [10]


def test_service_and_labels_alone_are_not_similar() -> None:
    """Sharing only the service and labels (no family, no words) yields no result."""
    probe = _p(1, "Checkout latency high", {"alertname": "CheckoutLatency", "job": "api"})
    other = _p(1, "Certificate renewal", {"alertname": "CertExpiry", "job": "api"})
    assert rank(probe, {5: other}, limit=5) == []


def test_words_alone_can_find_a_declared_incident() -> None:
    """With no alerts at all, close enough words are enough, and the reason names them."""
    probe = _p(3, "Billing consumer group lagging on invoices topic")
    past = _p(4, "Consumer group billing lags behind on topic invoices")
    noise = _p(4, "Office coffee machine broken")
    (found,) = rank(probe, {1: past, 2: noise}, limit=5)
    assert found.key == 1
    assert found.family == 0 and found.service == 0
    assert found.why[-1].startswith("words:")
    assert "billing" in found.why[-1]  # the probe's own words, not stems


def test_weights_sum_to_one_and_full_match_scores_one() -> None:
    """The four weights make a 0–1 score; an identical incident scores 1."""
    total = (
        similarity.WEIGHT_FAMILY
        + similarity.WEIGHT_TEXT
        + similarity.WEIGHT_SERVICE
        + similarity.WEIGHT_LABELS
    )
    assert total == pytest.approx(1.0)
    probe = _p(1, "Redis on cache-1 is down", {"alertname": "RedisDown", "job": "redis"})
    (found,) = rank(probe, {7: probe}, limit=1)
    assert found.score == pytest.approx(1.0)
    assert found.why[:2] == ("family:redisdown", "service")


def test_ties_go_to_the_most_recent_then_limit() -> None:
    """Equal scores are ordered by recency, and no more than ``limit`` come back."""
    probe = _p(1, "Redis on cache-1 is down", {"alertname": "RedisDown"})
    same = {k: _p(1, "Redis on cache-1 is down", {"alertname": "RedisDown"}) for k in (1, 2, 3)}
    ranked = rank(probe, same, limit=2, recency={1: 10.0, 2: 30.0, 3: 20.0})
    assert [s.key for s in ranked] == [2, 3]


def test_rare_words_weigh_more_than_common_ones() -> None:
    """A candidate sharing the pool's rare word beats one sharing a word every candidate has."""
    probe = _p(9, "checkout timeout on zookeeper")
    common = {k: _p(9, f"checkout slow {k}") for k in range(1, 6)}
    rare = _p(9, "zookeeper session expired")
    ranked = rank(probe, {**common, 100: rare}, limit=1, min_score=0.0)
    assert ranked[0].key == 100


def test_search_words_are_prefixes_of_the_longest_words() -> None:
    """Title search uses five-letter prefixes of the longest words, letters only, no repeats,
    so ``latência`` and ``latency`` meet and hosts or numbers never reach a LIKE pattern."""
    words = similarity.search_words("Latência alta no checkout-db-2 após 503 em pagamentos")
    assert words == ["pagam", "check", "laten"]  # longest first, ties alphabetical
    assert similarity.search_words("db-1 503 ok") == []


def test_operational_synonyms_meet_other_words() -> None:
    """A hand-declared "very slow" meets a past latency alert through the shipped synonyms, and
    the reason marks the widened word; a certificate incident sharing only the service's name
    is not similar."""
    probe = _p(1, "Checkout very slow for customers")
    latency = _p(1, "Checkout p99 latency above 2s", {"alertname": "CheckoutLatencyHigh"})
    unrelated = _p(1, "Checkout certificate renewal", {"alertname": "CertExpiry"})
    ranked = rank(probe, {1: latency, 2: unrelated}, limit=5)
    assert [s.key for s in ranked] == [1]
    assert "≈laten" in ranked[0].why[-1]
