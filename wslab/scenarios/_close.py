"""Scenarios: an echo, and one connection ending with each close code a server sends.

Each function runs a fresh server behind a tap (see :class:`~wslab.scenarios.Lab`) and
returns a :class:`~wslab.scenarios.ScenarioResult`. Protocol violations are sent with a
:class:`~wslab.live.RawClient` (no library would send them); everything else uses the
``websockets`` client, as an application would.
"""

from __future__ import annotations

from http import HTTPStatus

from websockets.exceptions import ConnectionClosed

from ..codec import DEFAULT_MAX_SIZE, CloseCode, Frame, Opcode
from ._lab import Lab, LabFactory, raw_close
from ._registry import scenario
from ._result import ScenarioResult


def _expect_close(lab: Lab, ws: object) -> None:
    """Read until the server closes ``ws``; a message instead is an error."""
    try:
        got = ws.recv(timeout=lab.timeout)  # type: ignore[attr-defined]
    except ConnectionClosed:
        return
    except TimeoutError:
        raise lab.fail(f"the server did not close within {lab.timeout:g} s") from None
    raise lab.fail(f"expected the server to close; it sent {got!r}")


@scenario("echo", summary="a text and a binary message echoed, then a normal close")
def echo(new_lab: LabFactory, *, text: str = "Hello", data: bytes = b"\x00\x01\xfe\xff",
         timeout: float = 5.0) -> ScenarioResult:
    """A text and a binary message echoed by "/echo", then a normal close.

    Shows: data frames (RFC 6455 §5.6) masked by the client only (§5.3), and the closing
    handshake (§7.1.2). websockets: the route's handler sends each message back; the
    client's ``close()`` sends 1000 and the server echoes it, then closes TCP (§7.1.1).
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo")
        ws.send(text)
        ws.send(data)
        echoed = [ws.recv(timeout=timeout), ws.recv(timeout=timeout)]
        close = lab.ws_close(ws)
        return lab.result(
            "Echo: a text and a binary message, there and back",
            "A text and a binary message go to \"/echo\" and come back (RFC 6455 §5.6). The "
            "client masks every frame it sends and the server never does (§5.3). The client "
            "then closes with 1000; the websockets server echoes the close frame (§5.5.1) "
            "and closes TCP first (§7.1.1).",
            "RFC 6455 §5.6, §5.3, §7.1.2", client_close=close,
            extra={"sent": [text, data], "echoed": echoed})


@scenario("1000-client", summary="the client closes normally (1000)")
def close_1000_client(new_lab: LabFactory, *, reason: str = "done",
                      timeout: float = 5.0) -> ScenarioResult:
    """The client closes normally: 1000, answered by the server.

    Shows: the closing handshake started by the client (RFC 6455 §7.1.2), the echoed code
    (§5.5.1), the server closing TCP first (§7.1.1). websockets: ``close(1000, reason)``
    sends the frame and waits (``close_timeout``) for the server's answer and TCP end.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo")
        ws.send("last words")
        ws.recv(timeout=timeout)
        ws.close(CloseCode.NORMAL_CLOSURE, reason)
        return lab.result(
            "1000 Normal Closure, started by the client",
            "The client starts the closing handshake (RFC 6455 §7.1.2) with 1000 Normal "
            "Closure. The websockets server answers with a close frame carrying the same code "
            "(§5.5.1) and, being the server, closes TCP first (§7.1.1). Each side reports "
            "the code of the close frame it received: 1000 (§7.1.5).",
            "RFC 6455 §7.1.2, §5.5.1, §7.4.1", client_close=lab.ws_close(ws))


@scenario("1000-server", summary="the server closes normally (1000)")
def close_1000_server(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """The server closes normally: route "/close/1000".

    Shows: a server-initiated closing handshake (RFC 6455 §7.1.2, §7.4.1). websockets:
    the handler's ``close(1000, "Normal Closure")`` sends the frame; the websockets client
    echoes it and waits for the server to close TCP (§7.1.1).
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/close/1000")
        _expect_close(lab, ws)
        return lab.result(
            "1000 Normal Closure, started by the server",
            "The \"/close/1000\" handler calls close(1000): the server sends its close frame "
            "first (RFC 6455 §7.1.2). The websockets client echoes it (§5.5.1) and waits for "
            "the server to close TCP (§7.1.1). Both sides report 1000 Normal Closure "
            "(§7.4.1).",
            "RFC 6455 §7.1.2, §7.1.1, §7.4.1", client_close=lab.ws_close(ws))


@scenario("1001-shutdown", summary="the server shuts down with clients connected (1001)")
def close_1001_shutdown(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """The server shuts down while a client is connected: 1001 Going Away.

    Shows: 1001 (RFC 6455 §7.4.1: "a server going down"). websockets: ``Server.close()``
    (here ``LabServer.stop(code=1001)``) does the closing handshake on every connection.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo")
        ws.send("still there?")
        ws.recv(timeout=timeout)
        lab.server.stop(timeout, code=CloseCode.GOING_AWAY)
        _expect_close(lab, ws)
        return lab.result(
            "1001 Going Away: the server shuts down",
            "LabServer.stop() closes every open connection with 1001 Going Away before it "
            "stops (RFC 6455 §7.4.1: an endpoint is \"going away\", such as a server "
            "going down); websockets' Server.close() does the closing handshake on each one. "
            "The client receives 1001 and echoes it (§5.5.1).",
            "RFC 6455 §7.4.1", client_close=lab.ws_close(ws))


def _violation(new_lab: LabFactory, title: str, explanation: str, rfc: str, frame: Frame,
               mask: bool, timeout: float) -> ScenarioResult:
    """A raw client sends one broken frame; the server's answer is awaited and echoed."""
    with new_lab(timeout=timeout) as lab:
        raw = lab.raw()
        status = raw.send_handshake(path="/echo").status
        if status != HTTPStatus.SWITCHING_PROTOCOLS:
            raise lab.fail(f"the handshake got HTTP {status}, not 101")
        sent = raw.send_frame(frame, mask=mask)
        try:
            got = raw.recv_frames(timeout=timeout)
        except TimeoutError as exc:
            raise lab.fail(f"no close frame from the server: {exc}") from None
        received = raw_close(raw)
        unsendable = (CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE)  # §7.4.1
        code = CloseCode.NORMAL_CLOSURE if received[0] in unsendable else received[0]
        raw.close(code, received[1])
        explanation += (" Having failed the connection, the server ignores the client's "
                        "answering close frame and reports 1006 itself (§7.1.5).")
        return lab.result(title, explanation, rfc, client_close=received, extra={
            "sent_frame": sent.hex(), "received": [f.opcode_name for f in got]})


@scenario("1002-unmasked", summary="an unmasked client frame (1002)")
def close_1002_unmasked(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """An unmasked client frame: the server fails the connection with 1002.

    Shows: clients must mask (RFC 6455 §5.3), servers must close on an unmasked frame
    (§5.1). websockets fails the connection (§7.1.7): close 1002, TCP closed, and it
    ignores what the client sends afterwards.
    """
    return _violation(
        new_lab, "1002 Protocol Error: an unmasked client frame",
        "A client must mask every frame it sends (RFC 6455 §5.3), and a server must close "
        "the connection when it receives an unmasked one (§5.1), here with 1002 Protocol "
        "Error (§7.4.1). websockets fails the connection (§7.1.7): it sends the close frame "
        "and closes TCP.",
        "RFC 6455 §5.1, §5.3, §7.1.7", Frame.text("not masked"), False, timeout)


@scenario("1002-reserved-opcode", summary="a reserved opcode (1002)")
def close_1002_reserved_opcode(new_lab: LabFactory, *, opcode: int = 0x3,
                               timeout: float = 5.0) -> ScenarioResult:
    """A frame with a reserved opcode: the server fails the connection with 1002.

    Shows: opcodes 0x3-0x7 and 0xB-0xF are reserved; an unknown one means the receiver
    must fail the connection (RFC 6455 §5.2). websockets closes with 1002.
    """
    return _violation(
        new_lab, f"1002 Protocol Error: reserved opcode {opcode:#x}",
        f"Opcodes 0x3-0x7 and 0xB-0xF are reserved for future use (RFC 6455 §5.2); a "
        f"receiver that gets an unknown opcode must fail the connection (§5.2, §7.1.7). The "
        f"raw client sends opcode {opcode:#x}, and the websockets server closes with 1002 "
        f"Protocol Error (§7.4.1).",
        "RFC 6455 §5.2, §7.1.7", Frame(opcode, b"?"), True, timeout)


@scenario("1002-rsv-bit", summary="RSV1 set without an extension (1002)")
def close_1002_rsv_bit(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """RSV1 set with no extension negotiated: the server fails the connection with 1002.

    Shows: RSV1-3 must be 0 unless an extension defines them (RFC 6455 §5.2;
    permessage-deflate, RFC 7692, uses RSV1). websockets closes with 1002.
    """
    return _violation(
        new_lab, "1002 Protocol Error: RSV1 without an extension",
        "RSV1, RSV2 and RSV3 must be 0 unless a negotiated extension gives them a meaning "
        "(RFC 6455 §5.2); permessage-deflate would give RSV1 one (RFC 7692 §6), but none "
        "was negotiated here. The websockets server therefore fails the connection with "
        "1002 Protocol Error (§7.1.7, §7.4.1).",
        "RFC 6455 §5.2, §7.4.1", Frame.text("rsv", rsv1=True), True, timeout)


@scenario("1006-cut", summary="TCP cut by the tap: no close frame (1006 on both sides)")
def close_1006_cut(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """The tap cuts TCP (RST both ways): no close frame, 1006 on both sides.

    Shows: 1006 Abnormal Closure is reported when no close frame arrived (RFC 6455
    §7.1.5) and must never be sent (§7.4.1). websockets raises ConnectionClosedError with
    code 1006 on both sides.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo")
        ws.send("before the cut")
        ws.recv(timeout=timeout)
        assert lab.tap is not None
        cut = lab.tap.cut()
        _expect_close(lab, ws)
        return lab.result(
            "1006 Abnormal Closure: TCP cut, no close frame",
            "The tap resets both TCP connections (RST) while the WebSocket connection is "
            "open, so no close frame goes either way. Both sides report 1006 Abnormal "
            "Closure, which RFC 6455 §7.1.5 defines for exactly this case and §7.4.1 forbids "
            "in a close frame: 1006 only ever exists in an API, never on the wire.",
            "RFC 6455 §7.1.5, §7.4.1", client_close=lab.ws_close(ws), extra={"cut": cut})


@scenario("1007-invalid-utf8", summary="a text message that is not UTF-8 (1007)")
def close_1007_invalid_utf8(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """A text frame that is not UTF-8: the server fails the connection with 1007.

    Shows: text payloads must be UTF-8 (RFC 6455 §5.6, §8.1). websockets validates every
    text message and closes with 1007 Invalid Frame Payload Data.
    """
    return _violation(
        new_lab, "1007 Invalid Frame Payload Data: text that is not UTF-8",
        "A text message must be valid UTF-8 (RFC 6455 §5.6), and an endpoint that finds it "
        "is not must fail the connection (§8.1). The raw client sends the bytes 63 61 66 c3 "
        "(\"caf\" and half of \"é\"); the websockets server closes with 1007 Invalid Frame "
        "Payload Data (§7.4.1).",
        "RFC 6455 §8.1, §7.4.1", Frame(Opcode.TEXT, b"caf\xc3"), True, timeout)


@scenario("1008-policy", summary="a bad token after the handshake (1008)")
def close_1008_policy(new_lab: LabFactory, *, token: str = "wrong",
                      timeout: float = 5.0) -> ScenarioResult:
    """A wrong token on "/policy": the handler closes with 1008 "bad token".

    Shows: 1008 Policy Violation (RFC 6455 §7.4.1). websockets: the handler calls
    ``close(1008, "bad token")``; better, refuse during the handshake with HTTP 401/403.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/policy")
        ws.send(f"token:{token}")
        _expect_close(lab, ws)
        return lab.result(
            "1008 Policy Violation: a bad token",
            "\"/policy\" expects the first message to be \"token:secret\"; the client sends "
            "another token and the handler closes with 1008 Policy Violation \"bad token\" "
            "(RFC 6455 §7.4.1: a generic code for a message that violates a policy). A check "
            "that can be made before the upgrade is better answered during the handshake, "
            "with HTTP 401 or 403 (§4.2.2).",
            "RFC 6455 §7.4.1", client_close=lab.ws_close(ws), extra={"token": token})


@scenario("1009-too-big", summary="a message bigger than the server's max_size (1009)")
def close_1009_too_big(new_lab: LabFactory, *, max_size: int = 1024, size: int = 4096,
                       timeout: float = 5.0) -> ScenarioResult:
    """A message bigger than the server's max_size: 1009 Message Too Big.

    Shows: 1009 (RFC 6455 §7.4.1) and size limits (§10.4). websockets checks the length
    in the frame header against ``max_size`` and fails the connection with 1009.
    """
    with new_lab(timeout=timeout, max_size=max_size) as lab:
        ws = lab.connect("/echo")
        ws.send("x" * size)
        _expect_close(lab, ws)
        return lab.result(
            "1009 Message Too Big",
            f"The server accepts messages of at most max_size = {max_size} bytes "
            f"(websockets' max_size, {DEFAULT_MAX_SIZE:,} bytes by default) and the client "
            f"sends {size}. "
            f"websockets reads the length in the frame header and fails the connection with "
            f"1009 Message Too Big (RFC 6455 §7.4.1; §10.4 lets endpoints limit frame and "
            f"message sizes). Having failed the connection (§7.1.7), the server ignores the "
            f"client's answering close frame and reports 1006 itself.",
            "RFC 6455 §7.4.1, §10.4", client_close=lab.ws_close(ws),
            extra={"max_size": max_size, "size": size})


@scenario("1011-handler-exception", summary="the server's handler raises (1011)")
def close_1011_handler_exception(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """The "/raise" handler raises: websockets closes with 1011 Internal Error.

    Shows: 1011 (RFC 6455 §7.4.1). websockets logs the handler's exception and closes
    with 1011; the server's log shows the exception, then close_sent 1011.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/raise")
        _expect_close(lab, ws)
        result = lab.result(
            "1011 Internal Error: the handler raised",
            "The \"/raise\" handler raises an exception. websockets logs it and closes the "
            "connection with 1011 Internal Error (RFC 6455 §7.4.1: an unexpected condition "
            "prevented the server from fulfilling the request). The server's log shows the "
            "exception before close_sent 1011; the client echoes the close (§5.5.1).",
            "RFC 6455 §7.4.1", client_close=lab.ws_close(ws))
    exc = next((e for e in result.events if e.kind == "exception"), None)
    kinds = [e.kind for e in result.events]
    result.extra["exception"] = None if exc is None else f"{exc.detail['type']}: " \
                                                         f"{exc.detail['message']}"
    result.extra["exception_before_close"] = (
        "exception" in kinds and "close_sent" in kinds
        and kinds.index("exception") < kinds.index("close_sent"))
    return result


@scenario("1012-restart", summary="the server restarts (1012), then a reconnect works")
def close_1012_restart(new_lab: LabFactory, *, reason: str = "service restart",
                       timeout: float = 5.0) -> ScenarioResult:
    """The server restarts: 1012 Service Restart, then a new connection succeeds.

    Shows: 1012 (IANA registry, RFC 6455 §11.7). websockets: ``Server.close(code=1012)``
    closes every connection with it; 1012 is not a "normal" close for websockets, so the
    client gets ConnectionClosedError, not ConnectionClosedOK.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo")
        ws.send("before the restart")
        ws.recv(timeout=timeout)
        lab.server.stop(timeout, code=CloseCode.SERVICE_RESTART, reason=reason)
        _expect_close(lab, ws)
        close = lab.ws_close(ws)
        lab.server.start()  # same port: the tap reaches it again
        again = lab.connect("/echo")
        again.send("after the restart")
        answer = again.recv(timeout=timeout)
        again.close()
        return lab.result(
            "1012 Service Restart",
            f"LabServer.stop(code=1012, reason={reason!r}) closes every connection with 1012 "
            f"Service Restart, a code registered with IANA (RFC 6455 §11.7): the server is "
            f"restarting and the client may reconnect. websockets counts only 1000, 1001 "
            f"and a close frame without a code as normal, so its client raises "
            f"ConnectionClosedError. The server then starts again on the same port and a new "
            f"connection works.",
            "IANA registry (RFC 6455 §11.7)", client_close=close,
            extra={"after_restart": answer})


@scenario("1013-try-again", summary="over capacity: try again later (1013)")
def close_1013_try_again(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """Over capacity on "/capacity": the second connection gets 1013 Try Again Later.

    Shows: 1013 (IANA registry, RFC 6455 §11.7): a temporary condition. websockets: the
    handler accepts the connection (the handshake succeeds) and closes it with 1013; the
    result is about the second connection (``conn_id=2``).
    """
    with new_lab(timeout=timeout, capacity=1) as lab:
        first = lab.connect("/capacity")
        first.send("I hold the only place")
        first.recv(timeout=timeout)
        second = lab.connect("/capacity")
        _expect_close(lab, second)
        close = lab.ws_close(second)
        first.close()
        return lab.result(
            "1013 Try Again Later: over capacity",
            "\"/capacity\" serves one connection at a time. A second one is accepted (its "
            "handshake succeeds) and then closed with 1013 Try Again Later, a code registered "
            "with IANA (RFC 6455 §11.7) for a temporary condition: the client may retry "
            "later. Refusing during the handshake with HTTP 503 is the alternative.",
            "IANA registry (RFC 6455 §11.7)", client_close=close, conn_id=2)
