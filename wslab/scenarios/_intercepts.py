"""Scenarios: the tap changes one frame in flight, and the server answers as the RFC says.

Each runs an ordinary ``websockets`` client through a tap with a frame hook
(:data:`wslab.live.FrameHook`): the client's bytes are correct, the tap breaks them on
the way, byte-exact (the rest of the stream is untouched). The transcript holds what the
tap passed on, and a tap event "intercept" says what it changed. Over wss:// none of
this is possible: the tap sees only encrypted TLS records.
"""

from __future__ import annotations

import os

from websockets.exceptions import ConnectionClosed

from ..codec import Frame, Opcode
from ..live import Intercepted
from ._lab import Lab, LabFactory
from ._registry import scenario
from ._result import ScenarioResult


def _first_text(direction: str, change: object) -> object:
    """A hook that applies ``change(frame)`` to the first text frame going ``direction``."""
    done = []

    def hook(seen: Intercepted) -> object:
        if seen.direction != direction or seen.frame.opcode != Opcode.TEXT or done:
            return None
        done.append(seen)
        return change(seen.frame)  # type: ignore[operator]

    return hook


def _closed_by_server(lab: Lab, ws: object) -> tuple[int | None, str] | None:
    """Wait (bounded) for the server to close ``ws``; the client's §7.1.5 close code."""
    try:
        got = ws.recv(timeout=lab.timeout)  # type: ignore[attr-defined]
    except ConnectionClosed:
        return lab.ws_close(ws)  # type: ignore[arg-type]
    except TimeoutError:
        raise lab.fail(f"the server did not close within {lab.timeout:g} s") from None
    raise lab.fail(f"expected the server to close; it sent {got!r}")


@scenario("intercept-unmask", summary="the tap clears MASK on a client frame in flight (1002)")
def intercept_unmask(new_lab: LabFactory, *, text: str = "Hello",
                     timeout: float = 5.0) -> ScenarioResult:
    """The tap rewrites the client's first text frame unmasked: the server closes with 1002.

    Shows: a server must fail the connection on an unmasked client frame (RFC 6455 §5.1,
    §5.3); websockets sends 1002 Protocol Error. The client masked correctly: the tap
    cleared the MASK bit and removed the key (the payload goes on in clear).
    """
    hook = _first_text("c2s", lambda frame: frame.unmasked())
    with new_lab(timeout=timeout, intercept=hook) as lab:
        ws = lab.connect("/echo")
        ws.send(text)
        close = _closed_by_server(lab, ws)
        return lab.result(
            "1002: the tap unmasked a client frame",
            "The client masked its frame as it must (RFC 6455 §5.3); the tap cleared the MASK "
            "bit and dropped the masking key in flight, leaving every other byte of the stream "
            "as it was. The server must fail the connection on an unmasked client frame (§5.1, "
            "§7.1.7): websockets sends close 1002 Protocol Error (§7.4.1).",
            "RFC 6455 §5.1, §5.3, §7.1.7", client_close=close)


@scenario("intercept-invalid-utf8",
          summary="the tap corrupts one byte of a text message into invalid UTF-8 (1007)")
def intercept_invalid_utf8(new_lab: LabFactory, *, text: str = "Hello",
                           timeout: float = 5.0) -> ScenarioResult:
    """The tap turns the first byte of a text message into 0xFF: the server closes with 1007.

    Shows: a text message must be valid UTF-8 (RFC 6455 §5.6, §8.1); 0xFF never occurs
    in UTF-8 (RFC 3629), so the websockets server fails the connection with 1007 (§7.4.1).
    """
    def corrupt(frame: Frame) -> Frame:
        return Frame(frame.opcode, b"\xff" + frame.payload[1:], fin=frame.fin,
                     masking_key=frame.masking_key)

    with new_lab(timeout=timeout, intercept=_first_text("c2s", corrupt)) as lab:
        ws = lab.connect("/echo")
        ws.send(text)
        close = _closed_by_server(lab, ws)
        return lab.result(
            "1007: the tap made a text message invalid UTF-8",
            "The tap replaced the first payload byte of the client's text frame with 0xFF "
            "(masked again with the same key, so only that byte changed on the wire). 0xFF "
            "never occurs in UTF-8, and a text message must be valid UTF-8 (RFC 6455 §5.6, "
            "§8.1): websockets fails the connection with 1007 Invalid frame payload data "
            "(§7.4.1).", "RFC 6455 §5.6, §8.1, §7.4.1", client_close=close)


@scenario("intercept-unsolicited-pong",
          summary="the tap injects a pong nobody asked for: ignored (§5.5.3)")
def intercept_unsolicited_pong(new_lab: LabFactory, *, data: bytes = b"unsolicited",
                               timeout: float = 5.0) -> ScenarioResult:
    """The tap injects a pong after the client's first message: the server ignores it.

    Shows: "A Pong frame MAY be sent unsolicited. This serves as a unidirectional
    heartbeat. A response to an unsolicited Pong frame is not expected." (RFC 6455
    §5.5.3). websockets matches pongs to its pings and ignores any other; the echo goes on
    and the client closes normally (1000).
    """
    def inject(frame: Frame) -> list[Frame]:
        return [frame, Frame(Opcode.PONG, data, masking_key=os.urandom(4))]

    with new_lab(timeout=timeout, intercept=_first_text("c2s", inject)) as lab:
        ws = lab.connect("/echo")
        ws.send("before")
        ws.send("after")
        echoed = [ws.recv(timeout=timeout), ws.recv(timeout=timeout)]
        if echoed != ["before", "after"]:
            raise lab.fail(f"the echo changed: {echoed!r}")
        result = lab.result(
            "An unsolicited pong: ignored",
            "The tap injected a masked pong between the client's two messages. A pong may be "
            "sent unsolicited and needs no answer (RFC 6455 §5.5.3): websockets notes it (no "
            "ping of its own matches it), echoes both messages and the client closes with "
            "1000.", "RFC 6455 §5.5.3", client_close=lab.ws_close(ws))
    result.extra["echoed"] = echoed
    return result


@scenario("intercept-drop-pongs",
          summary="the tap drops every pong: the server's keepalive closes (1011)")
def intercept_drop_pongs(new_lab: LabFactory, *, ping_interval: float = 0.2,
                         ping_timeout: float = 0.2, timeout: float = 5.0) -> ScenarioResult:
    """The tap drops every pong from the client: the server closes with 1011.

    Shows: a websockets client answers every ping (RFC 6455 §5.5.2); the tap drops the
    answers, so the server's keepalive sees no pong within ``ping_timeout`` and fails the
    connection with 1011 "keepalive ping timeout" (the timer is websockets' choice).
    """
    def drop_pongs(seen: Intercepted) -> list[Frame] | None:
        return [] if seen.direction == "c2s" and seen.frame.opcode == Opcode.PONG else None

    with new_lab(timeout=timeout, intercept=drop_pongs, ping_interval=ping_interval,
                 ping_timeout=ping_timeout) as lab:
        ws = lab.connect("/echo")
        try:
            got = ws.recv(timeout=timeout + ping_interval + ping_timeout)
        except ConnectionClosed:
            close = lab.ws_close(ws)
        except TimeoutError:
            raise lab.fail("the server did not close") from None
        else:
            raise lab.fail(f"expected the server to close; it sent {got!r}")
        result = lab.result(
            "1011: the tap dropped every pong",
            f"The server pings every {ping_interval:g} s (RFC 6455 §5.5.2); the client answers "
            f"each with a pong (§5.5.3), which the tap drops. With no pong within "
            f"ping_timeout={ping_timeout:g} s, websockets fails the connection (§7.1.7) with "
            f"close 1011 \"keepalive ping timeout\".", "RFC 6455 §5.5.2, §5.5.3, §7.1.7",
            client_close=close)
    result.extra["pongs_dropped"] = sum(
        1 for e in result.transcript.entries
        if e.event is not None and e.event.kind == "intercept" and "dropped" in e.event.detail)
    return result
