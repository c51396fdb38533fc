"""A small runbook library (checkout errors with guarded steps, Kafka consumer lag, disk full)
written to a folder, for the tests of linking, suggestions, checklists and step runs that read
runbooks from disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

RUNBOOKS = {
    "checkout-errors.md": """
        ---
        id: checkout-errors
        title: Checkout returns errors
        owner: sre
        last_reviewed: 2026-11-01
        alerts: ['alertname="CheckoutErrors"']
        tags: [checkout, payments]
        parameters:
          deployment: {type: string, pattern: '^[a-z0-9-]+$', required: true}
          token: {type: string, secret: true}
        ---
        # Checkout returns errors

        ## Symptom
        Checkout answers 5xx.

        ## Diagnosis
        - [ ] Look at the error graph.
        - [ ] Check the last deploy.

        ```sh {action=leak danger=read params=token}
        echo "pat ghp_$(printf abcdefghijklmnopqrstuvwxyz)0123456789AB s=$TOKEN ${TOKEN}!"
        ```

        ```sh {action=show danger=read params=deployment}
        printf 'deployment %s\\n' "$DEPLOYMENT"
        ```

        ## Mitigation
        - [ ] Roll back.

        ```sh {action=restart danger=mutate params=deployment}
        printf 'restarted %s\\n' "$DEPLOYMENT"
        ```

        ```sh {action=wipe danger=destructive params=deployment}
        printf 'wiped %s\\n' "$DEPLOYMENT"
        ```
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

        ## Symptom
        Consumers fall behind the topic.

        ## Mitigation
        - [ ] Scale the consumer group.
        """,
    "disk-full.md": """
        ---
        id: disk-full
        title: Disk almost full
        owner: sre
        last_reviewed: 2026-11-01
        ---
        # Disk almost full

        ## Symptom
        A volume is above 90%.

        ## Mitigation
        - [ ] Free space.
        """,
}


def write_pack(root: Path) -> Path:
    """The library written under ``root`` (created if missing), one Markdown file a runbook."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in RUNBOOKS.items():
        (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root
