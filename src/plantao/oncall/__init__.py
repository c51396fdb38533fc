"""On-call: rotations, schedules, escalation policies and calendar feeds."""
