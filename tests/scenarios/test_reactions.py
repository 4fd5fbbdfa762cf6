"""client_reaction: a websockets client against a scratch server with one switch on."""

from __future__ import annotations

import pytest

from wslab.scenarios import client_reaction


@pytest.mark.parametrize(("switch", "sent", "received"), [
    ("masked-frames", 1002, None),  # the client failed the connection: 1002, §7.1.7
    ("no-pong", 1011, None),  # websockets' keepalive gave up: "keepalive ping timeout"
    ("close-code=4000", 4000, 4000),  # a normal closing handshake, code echoed
])
def test_client_reaction(switch: str, sent: int, received: int | None) -> None:
    reaction = client_reaction(switch, keepalive=0.5)
    assert reaction.error == "ConnectionClosedError"
    assert (reaction.client_sent, reaction.client_received) == (sent, received)
    assert reaction.received == (["hello"] if switch == "no-pong" else [])
    assert str(reaction).startswith(f"{switch}: ConnectionClosedError")
    assert f"client sent {sent}, received {received}" in str(reaction)
