"""The set of runbooks the server knows, loaded from a directory and kept fresh cheaply.

Operators edit runbooks in git and sync the directory (git pull, ConfigMap, volume). Rather than
a watcher thread or inotify (absent on many volumes), callers invoke :meth:`reload_if_changed`
on their own cadence (a request, an engine cycle): it stats every ``*.md`` file and reparses only
those whose mtime or size changed, so a check over a thousand files costs milliseconds. A file
that stops parsing keeps no stale copy: its problems are reported and its runbook disappears, so
what is shown always matches what is on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plantao.runbooks.document import LANGS, Problem, Runbook, RunbookError, parse_runbook
from plantao.runbooks.suggest import THRESHOLD, SuggestIndex, Suggestion


def default_pack_dir() -> Path:
    """The runbooks shipped with Plantão (``plantao/runbooks/pack``)."""
    return Path(__file__).resolve().parent / "pack"


@dataclass(frozen=True)
class _Entry:
    stamp: tuple[int, int]  # (mtime_ns, size)
    runbook: Runbook | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class ReloadReport:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def load_file(path: Path) -> tuple[Runbook | None, tuple[Problem, ...]]:
    """Parse one file, turning unreadable or broken files into problems instead of exceptions."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (Problem(str(path), 1, "file", f"not UTF-8: {exc.reason}"),)
    except OSError as exc:
        return None, (Problem(str(path), 1, "file", f"cannot read: {exc.strerror}"),)
    try:
        runbook = parse_runbook(text, path)
    except RunbookError as exc:
        return None, tuple(exc.problems)
    return runbook, runbook.warnings


@dataclass
class RunbookLibrary:
    """Runbooks by (id, lang) from one directory tree; thread-safe for concurrent readers."""

    root: Path
    _files: dict[Path, _Entry] = field(default_factory=dict, init=False, repr=False)
    _by_key: dict[tuple[str, str], Runbook] = field(default_factory=dict, init=False, repr=False)
    _duplicates: list[Problem] = field(default_factory=list, init=False, repr=False)
    _index: SuggestIndex | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def load(cls, root: Path | str) -> RunbookLibrary:
        library = cls(Path(root))
        library.reload_if_changed()
        return library

    def _scan(self) -> dict[Path, tuple[int, int]]:
        stamps: dict[Path, tuple[int, int]] = {}
        if not self.root.is_dir():
            return stamps
        for path in self.root.rglob("*.md"):
            try:
                st = path.stat()
            except OSError:
                continue
            if path.is_file():
                stamps[path] = (st.st_mtime_ns, st.st_size)
        return stamps

    def reload_if_changed(self) -> ReloadReport:
        """Stat every file, reparse only new or changed ones; returns what moved."""
        with self._lock:
            stamps = self._scan()
            added: list[str] = []
            changed: list[str] = []
            files = dict(self._files)
            for path, stamp in stamps.items():
                old = files.get(path)
                if old is not None and old.stamp == stamp:
                    continue
                (changed if old is not None else added).append(str(path))
                runbook, problems = load_file(path)
                files[path] = _Entry(stamp, runbook, problems)
            removed = [str(p) for p in files if p not in stamps]
            for path in [p for p in files if p not in stamps]:
                del files[path]
            report = ReloadReport(tuple(added), tuple(changed), tuple(removed))
            if report.any or not self._files:
                self._files = files
                self._rebuild()
            return report

    def _rebuild(self) -> None:
        by_key: dict[tuple[str, str], Runbook] = {}
        duplicates: list[Problem] = []
        for path in sorted(self._files):
            runbook = self._files[path].runbook
            if runbook is None:
                continue
            key = (runbook.id, runbook.lang)
            if key in by_key:
                duplicates.append(
                    Problem(
                        str(path),
                        runbook.line_of("id"),
                        "id",
                        f"id '{runbook.id}' ({runbook.lang}) already used by {by_key[key].path}",
                    )
                )
                continue
            by_key[key] = runbook
        self._by_key, self._duplicates, self._index = by_key, duplicates, None

    @property
    def problems(self) -> list[Problem]:
        """Errors and warnings of the files as last loaded (broken files, duplicate ids)."""
        found = [p for entry in self._files.values() for p in entry.problems]
        return sorted([*found, *self._duplicates], key=lambda p: (p.file, p.line))

    def all(self) -> list[Runbook]:
        return sorted(self._by_key.values(), key=lambda r: (r.id, r.lang))

    def ids(self) -> list[str]:
        return sorted({key[0] for key in self._by_key})

    def get(self, runbook_id: str, lang: str = "en") -> Runbook | None:
        """The runbook in ``lang``, else in the other language, else None."""
        found = self._by_key.get((runbook_id, lang))
        if found is not None:
            return found
        return next(
            (
                self._by_key[(runbook_id, other)]
                for other in LANGS
                if (runbook_id, other) in self._by_key
            ),
            None,
        )

    def linked_for(self, labels: Mapping[str, str], lang: str = "en") -> list[Runbook]:
        """Runbooks whose ``alerts`` matchers all match (any group), one per id, in ``lang``."""
        ids = sorted({rb.id for rb in self._by_key.values() if rb.links(labels)})
        found = (self.get(i, lang) for i in ids)
        return [rb for rb in found if rb is not None]

    def index(self) -> SuggestIndex:
        index = self._index
        if index is None:
            index = SuggestIndex(self.all())
            self._index = index
        return index

    def suggest(
        self,
        labels: Mapping[str, str],
        annotations: Mapping[str, str] | None = None,
        k: int = 3,
        lang: str | None = None,
        threshold: float = THRESHOLD,
        *,
        adjust: Mapping[str, float] | None = None,
    ) -> list[Suggestion]:
        """The index's suggestions; ``adjust`` is responders' feedback (id → score change)."""
        return self.index().suggest(
            labels, annotations, k=k, lang=lang, threshold=threshold, adjust=adjust
        )
