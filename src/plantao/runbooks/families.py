"""Alert families a runbook declares it handles: alert-name globs and ``label=glob`` patterns.

Why a second way to tie alerts to runbooks besides the ``alerts:`` matchers: matchers are an
absolute link (the runbook is shown whatever the text says), so they must be exact. Real rule
sets name the same problem many ways (``KubeNodeNotReady``, ``KubernetesNodeNotReady``,
``NodeNotReady``) and an author cannot list them all; a family glob such as ``*NodeNotReady``
says "alerts of this kind are usually mine", which the ranker treats as strong evidence that
still competes with the alert's words instead of overriding them.

Syntax (front matter ``families:``, a list of strings):

- ``KubeNodeNotReady``, ``Node*Pressure``, ``*FilesystemAlmostOutOfSpace``: a glob on the
  alert name, case-insensitive, where ``*`` is any run of characters (possibly empty);
- ``job=*mysqld*``, ``exporter=*rabbitmq*``: the same glob on another label's value.

A pattern that would match every alert (``*``, ``job=*``) is refused: it is the "any critical
alert" link the ranking must not have. Pure module: strings in, compiled patterns out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters an alert name or label value glob may hold: Prometheus names plus the separators
# exporters put in label values (job="kube-state-metrics", service="api.orders:8080").
_GLOB = re.compile(r"^[A-Za-z0-9_:.\-/*]+$")


class FamilyError(ValueError):
    """A ``families:`` entry that cannot be used; the message says why."""


@dataclass(frozen=True)
class Family:
    """One declared family: which label it reads and the compiled, case-insensitive glob."""

    text: str
    label: str
    pattern: re.Pattern[str]

    @property
    def on_name(self) -> bool:
        """True for an alert-name glob (the strongest kind of family evidence)."""
        return self.label == "alertname"

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.label)
        return value is not None and self.pattern.fullmatch(value) is not None


def parse_family(text: str) -> Family:
    """``"Node*Pressure"`` or ``"job=*mysqld*"`` -> :class:`Family`; raises
    :class:`FamilyError` naming what is wrong."""
    raw = text.strip()
    label, sep, glob = raw.partition("=")
    if not sep:
        label, glob = "alertname", raw
    label, glob = label.strip(), glob.strip()
    if not _LABEL.match(label):
        raise FamilyError(f"'{raw}': '{label}' is not a label name")
    if not glob or not _GLOB.match(glob):
        raise FamilyError(f"'{raw}': the pattern may hold letters, digits, _ : . - / and *")
    if not glob.replace("*", ""):
        raise FamilyError(f"'{raw}' would match every alert; name the family")
    regex = ".*".join(re.escape(part) for part in glob.split("*"))
    return Family(raw, label, re.compile(regex, re.IGNORECASE))


def matching(families: tuple[Family, ...], labels: Mapping[str, str]) -> list[Family]:
    """The declared families an alert belongs to, in declaration order."""
    return [f for f in families if f.matches(labels)]
