"""Two runbooks that both fit a disk alert (one better than the other) and one that does not,
written to a folder: the tests of responders' feedback need a close second to promote and a
clear first to demote."""

from __future__ import annotations

import textwrap
from pathlib import Path

RUNBOOKS = {
    "node-disk-full.md": """
        ---
        id: node-disk-full
        title: Node disk almost full
        owner: sre
        last_reviewed: 2026-11-01
        symptoms: [a node's filesystem fills up, disk space running out on a node]
        tags: [disk, node, filesystem]
        ---
        # Node disk almost full

        ## Symptom
        A node filesystem is above 90%.

        ## Mitigation
        - [ ] Free space on the node.
        """,
    "volume-full.md": """
        ---
        id: volume-full
        title: Volume almost full
        owner: sre
        last_reviewed: 2026-11-01
        symptoms: [a persistent volume fills up, disk of a volume running out]
        tags: [volume, disk, storage]
        ---
        # Volume almost full

        ## Symptom
        A persistent volume is above 90%.

        ## Mitigation
        - [ ] Grow the volume.
        """,
    "kafka-consumer-lag.md": """
        ---
        id: kafka-consumer-lag
        title: Kafka consumer lag growing
        owner: data
        last_reviewed: 2026-11-01
        symptoms: [kafka consumer lag grows, messages processed late]
        tags: [kafka, consumer, lag, queue]
        ---
        # Kafka consumer lag growing

        ## Mitigation
        - [ ] Scale the consumer group.
        """,
}


def write_feedback_pack(root: Path) -> Path:
    """The library written under ``root`` (created if missing), one Markdown file a runbook."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in RUNBOOKS.items():
        (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root
