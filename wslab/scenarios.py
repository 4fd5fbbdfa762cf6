"""Every lab scenario as one call: a real server, a tap, a client, and what each side saw.

>>> from wslab import scenarios
>>> for name, (_, what) in scenarios.SCENARIOS.items(): print(name, "-", what)
>>> result = scenarios.run("1011-keepalive-timeout")
>>> print(result)                     # summary + sequence diagram
>>> result.client_close, result.server_close, result.transcript.close_frames()
>>> result.summary_line()             # one line: who sent what, what each side reports
>>> scenarios.summary_table([result, scenarios.run("1006-cut")])   # side by side

Each scenario starts its own :class:`~wslab.server.LabServer` on a free port behind its
own :class:`~wslab.tap.Tap` (so the transcript shows every byte), runs, tears everything
down, even on failure, and returns a :class:`ScenarioResult`. Every wait is bounded by
the ``timeout`` argument (seconds). A scenario that cannot finish raises
:class:`ScenarioError`, which carries what was recorded up to then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .scenarios_close import (
    close_1000_client,
    close_1000_server,
    close_1001_shutdown,
    close_1002_reserved_opcode,
    close_1002_rsv_bit,
    close_1002_unmasked,
    close_1006_cut,
    close_1007_invalid_utf8,
    close_1008_policy,
    close_1009_too_big,
    close_1011_handler_exception,
    close_1012_restart,
    close_1013_try_again,
    echo,
)
from .scenarios_core import Lab
from .scenarios_handshake import (
    handshake_500,
    handshake_bad_key,
    handshake_origin,
    handshake_version,
)
from .scenarios_keepalive import (
    close_1011_blocked_loop,
    close_1011_client_keepalive,
    close_1011_keepalive_timeout,
    keepalive_timeline,
    ping,
    server_ping,
)
from .scenarios_result import (
    Closing,
    ScenarioError,
    ScenarioResult,
    SummaryTable,
    summary_table,
)

__all__ = ["SCENARIOS", "Closing", "Lab", "ScenarioError", "ScenarioResult", "SummaryTable",
           "describe", "names", "run", "summary_table"]

Scenario = Callable[..., ScenarioResult]

SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "echo": (echo, "a text and a binary message echoed, then a normal close"),
    "ping": (ping, "client pings; round-trip time seen by the client and by the tap"),
    "server-ping": (server_ping, "server keepalive pings, answered by the websockets client"),
    "1000-client": (close_1000_client, "the client closes normally (1000)"),
    "1000-server": (close_1000_server, "the server closes normally (1000)"),
    "1001-shutdown": (close_1001_shutdown, "the server shuts down with clients connected (1001)"),
    "1002-unmasked": (close_1002_unmasked, "an unmasked client frame (1002)"),
    "1002-reserved-opcode": (close_1002_reserved_opcode, "a reserved opcode (1002)"),
    "1002-rsv-bit": (close_1002_rsv_bit, "RSV1 set without an extension (1002)"),
    "1006-cut": (close_1006_cut, "TCP cut by the tap: no close frame (1006 on both sides)"),
    "1007-invalid-utf8": (close_1007_invalid_utf8, "a text message that is not UTF-8 (1007)"),
    "1008-policy": (close_1008_policy, "a bad token after the handshake (1008)"),
    "1009-too-big": (close_1009_too_big, "a message bigger than the server's max_size (1009)"),
    "1011-handler-exception": (close_1011_handler_exception,
                               "the server's handler raises (1011)"),
    "1011-keepalive-timeout": (close_1011_keepalive_timeout,
                               "a client that never answers pings: the server closes (1011)"),
    "1011-client-keepalive": (close_1011_client_keepalive,
                              "the server seems silent: the client's keepalive closes (1011)"),
    "1011-blocked-loop": (close_1011_blocked_loop,
                          "a handler blocks the event loop: 1011 although the pong came"),
    "1012-restart": (close_1012_restart, "the server restarts (1012), then a reconnect works"),
    "1013-try-again": (close_1013_try_again, "over capacity: try again later (1013)"),
    "handshake-version": (handshake_version, "Sec-WebSocket-Version 8: HTTP 426, no close code"),
    "handshake-bad-key": (handshake_bad_key, "a malformed Sec-WebSocket-Key: HTTP 400"),
    "handshake-origin": (handshake_origin, "an Origin the server refuses: HTTP 403"),
    "handshake-500": (handshake_500, "the server fails during the handshake: HTTP 500, not 1011"),
    "keepalive-timeline": (keepalive_timeline,
                           "keepalive through a delay: pings, pongs, and 1011 if too slow"),
}


def names() -> list[str]:
    """The scenario names, in the order of :data:`SCENARIOS`."""
    return list(SCENARIOS)


def describe() -> str:
    """One line per scenario: its name and what it shows."""
    width = max(len(name) for name in SCENARIOS)
    return "\n".join(f"{name:<{width}}  {what}" for name, (_, what) in SCENARIOS.items())


def run(name: str, **kwargs: Any) -> ScenarioResult:
    """Run the scenario ``name`` with its keyword arguments (``timeout=``...).

    Raises:
        KeyError: no scenario has that name (the message lists them).
        ScenarioError: the scenario could not run to its end.
    """
    try:
        function, _ = SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; there are: {', '.join(SCENARIOS)}") from None
    return function(**kwargs)
