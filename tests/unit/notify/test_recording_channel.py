"""The recording fake channel in plantao.notify.channels.recording."""

from __future__ import annotations

import asyncio

from plantao.notify.channels.base import (
    Channel,
    ContactTarget,
    Delivered,
    OutgoingMessage,
    PermanentFailure,
    RetryableFailure,
)
from plantao.notify.channels.recording import RecordingChannel

MESSAGE = OutgoingMessage("subject", "text", "INC-1", "sev1", "key-1")
TARGET = ContactTarget("ana@example.org")


def test_records_every_send_and_delivers_by_default() -> None:
    """Without a script every send is delivered and recorded in order."""
    channel = RecordingChannel()
    other = OutgoingMessage("second", "text", "INC-2", "sev3", "key-2")
    assert asyncio.run(channel.send(MESSAGE, TARGET)) == Delivered()
    asyncio.run(channel.send(other, TARGET))
    assert [s.message.subject for s in channel.sent] == ["subject", "second"]
    assert channel.delivered_to("ana@example.org") == [MESSAGE, other]


def test_scripted_outcomes_are_returned_in_order() -> None:
    """Queued outcomes come first, then the channel falls back to delivered."""
    retry = RetryableFailure("HTTP 503")
    channel = RecordingChannel("sms", outcomes=[retry])
    channel.script(PermanentFailure("bad number"))
    outcomes = [asyncio.run(channel.send(MESSAGE, TARGET)) for _ in range(3)]
    assert outcomes == [retry, PermanentFailure("bad number"), Delivered()]
    assert channel.delivered_to("ana@example.org") == [MESSAGE]
    assert channel.name == "sms"


def test_recording_channel_satisfies_the_protocol() -> None:
    """The fake is usable wherever a Channel is expected."""
    assert isinstance(RecordingChannel(), Channel)
