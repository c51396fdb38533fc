"""The ready-to-paste CI examples of ``docs/release-gate.md`` are valid YAML that ask the gate
with a token taken from a secret, never written inline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "release-gate.md"
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def _blocks() -> list[Any]:
    return [yaml.safe_load(text) for text in BLOCK.findall(DOC.read_text(encoding="utf-8"))]


def _walk(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (key, value) of every mapping, and every string as (None, string)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, str):
        yield None, node


def _strings(node: Any) -> list[str]:
    return [value for key, value in _walk(node) if key is None]


def _asks_gate(node: Any) -> bool:
    return any("/api/v1/release-gate" in s or "plantao gate check" in s for s in _strings(node))


def test_every_yaml_block_parses_and_the_ci_ones_ask_the_gate() -> None:
    """Five YAML blocks parse; four of them (GitHub twice, GitLab, Argo CD) ask the gate."""
    blocks = _blocks()
    assert len(blocks) == 5
    assert sum(_asks_gate(b) for b in blocks) == 4


def test_tokens_come_from_secrets() -> None:
    """Each gate call uses PLANTAO_GATE_TOKEN (passed, or in the step's environment for the
    CLI), set only from a CI secret or a Kubernetes Secret; no string is a pasted token."""
    for block in filter(_asks_gate, _blocks()):
        calls = [s for s in _strings(block) if "/api/v1/release-gate" in s or "gate check" in s]
        in_env = any(k == "PLANTAO_GATE_TOKEN" for k, _ in _walk(block))
        assert all("PLANTAO_GATE_TOKEN" in c or in_env for c in calls), calls
        for key, value in _walk(block):
            if key == "PLANTAO_GATE_TOKEN":
                assert isinstance(value, str) and value.startswith("${{ secrets."), value
        env_lists = [v for k, v in _walk(block) if k == "env" and isinstance(v, list)]
        for env in env_lists:
            for item in env:
                if item.get("name") == "PLANTAO_GATE_TOKEN":
                    assert "value" not in item
                    assert item["valueFrom"]["secretKeyRef"]["key"]
        assert not any(re.search(r"Bearer [A-Za-z0-9_\-]{16,}", s) for s in _strings(block))


def test_argo_hook_is_a_presync_job_that_fails_on_409() -> None:
    """The Argo CD example is a Job annotated as a PreSync hook whose curl fails on a 409."""
    [job] = [b for b in _blocks() if isinstance(b, dict) and b.get("kind") == "Job"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "--fail-with-body" in " ".join(container["args"])
    assert job["spec"]["backoffLimit"] == 0
