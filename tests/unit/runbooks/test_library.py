"""Loading a runbook directory, language fallback, alert linking and cheap reloads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from plantao.runbooks.library import RunbookLibrary, default_pack_dir

from .conftest import FIXTURE_PACK, document


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(FIXTURE_PACK, target)
    return target


def test_loads_recursively_by_id_and_lang(pack: Path) -> None:
    """Every *.md below the root is loaded and keyed by (id, lang)."""
    library = RunbookLibrary.load(pack)
    assert library.ids() == [
        "db-connection-saturation",
        "disk-full",
        "kafka-consumer-lag",
        "tls-certificate-expiry",
    ]
    assert len(library.all()) == 5
    assert library.problems == []


def test_get_falls_back_to_the_other_language(pack: Path) -> None:
    """A runbook missing in the asked language is served in the one that exists."""
    library = RunbookLibrary.load(pack)
    kafka = library.get("kafka-consumer-lag", "pt-BR")
    disk = library.get("disk-full", "pt-BR")
    assert kafka is not None
    assert kafka.lang == "pt-BR"
    assert disk is not None
    assert disk.lang == "en"
    assert library.get("nope") is None


def test_linked_for_requires_every_matcher_of_a_group(pack: Path) -> None:
    """Matchers in one list are ANDed: a failing exclusion unlinks the runbook."""
    library = RunbookLibrary.load(pack)
    linked = library.linked_for({"alertname": "KafkaConsumerLag", "severity": "critical"})
    assert [rb.id for rb in linked] == ["kafka-consumer-lag"]
    info = library.linked_for({"alertname": "KafkaConsumerLag", "severity": "info"}, lang="en")
    # the English entry excludes severity=info; the pt-BR entry has no such matcher
    assert [rb.lang for rb in info] == ["en"]
    assert info[0].id == "kafka-consumer-lag"


def test_linked_for_list_of_lists_is_or(pack: Path) -> None:
    """Any one group of a list-of-lists links the runbook."""
    library = RunbookLibrary.load(pack)
    assert [rb.id for rb in library.linked_for({"alertname": "PostgresTooManyConnections"})] == [
        "db-connection-saturation"
    ]
    assert library.linked_for({"alertname": "PgBouncerPoolExhausted", "service": "x"}) == []
    assert library.linked_for({"alertname": "Unrelated"}) == []


def _touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_reload_reparses_only_changed_files(pack: Path) -> None:
    """An unchanged tree reloads nothing; an edit, an addition and a removal are reported."""
    library = RunbookLibrary.load(pack)
    assert not library.reload_if_changed().any
    disk = pack / "en" / "disk-full.md"
    _touch(disk, disk.read_text(encoding="utf-8").replace("Node disk almost full", "Disk full"))
    (pack / "en" / "tls-certificate-expiry.md").unlink()
    _touch(pack / "en" / "new.md", document())
    report = library.reload_if_changed()
    assert report.changed == (str(disk),)
    assert report.removed == (str(pack / "en" / "tls-certificate-expiry.md"),)
    assert report.added == (str(pack / "en" / "new.md"),)
    new_disk = library.get("disk-full")
    assert new_disk is not None
    assert new_disk.title == "Disk full"
    assert library.get("tls-certificate-expiry") is None
    assert library.get("restart-api") is not None


def test_broken_edit_drops_the_runbook_and_reports_it(pack: Path) -> None:
    """A file that stops parsing is not served from a stale copy; its problem is listed."""
    library = RunbookLibrary.load(pack)
    disk = pack / "en" / "disk-full.md"
    _touch(disk, disk.read_text(encoding="utf-8").replace("owner: sre", "owner: ''"))
    library.reload_if_changed()
    assert library.get("disk-full") is None
    assert [(p.file, p.field) for p in library.problems] == [(str(disk), "owner")]


def test_duplicate_id_in_same_language_is_reported(pack: Path) -> None:
    """Two files with one (id, lang) keep the first (by path) and report the second."""
    shutil.copy(pack / "en" / "disk-full.md", pack / "en" / "zz-copy.md")
    library = RunbookLibrary.load(pack)
    assert [(Path(p.file).name, p.field) for p in library.problems] == [("zz-copy.md", "id")]


def test_default_pack_dir_is_the_shipped_pack() -> None:
    """The shipped pack lives inside the package, next to this module."""
    assert default_pack_dir().name == "pack"
    assert default_pack_dir().parent.name == "runbooks"
