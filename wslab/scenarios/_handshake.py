"""Scenarios: handshakes the server refuses. Each is an HTTP answer, never a close code.

A raw client sends the request (so it can be wrong on purpose); the server answers
with an HTTP status and closes TCP. There is no WebSocket connection, so there is no
close frame: close codes exist only after ``101 Switching Protocols``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ._lab import LabFactory
from ._registry import scenario
from ._result import ScenarioResult

MISCONCEPTION = (
    "A common belief is that a server failing during the handshake sends close 1011. It "
    "cannot: close frames exist only once the connection is open, after 101 Switching "
    "Protocols (RFC 6455 §4.1, §5.5.1); before that the server answers with an HTTP status "
    "(500 for an error of its own) and closes TCP, and the websockets client raises "
    "InvalidStatus, not ConnectionClosed.")
NO_CLOSE = ("No close frame goes either way: close codes exist only after 101 Switching "
            "Protocols (§4.1, §5.5.1), so there is no \"1011 during the handshake\"; a "
            "server failing before the upgrade answers HTTP 500.")
GOOD_ORIGIN = "http://good.example"


def _refused(new_lab: LabFactory, title: str, explanation: str, rfc: str, timeout: float,
             build: dict[str, Any], path: str = "/echo", **server: Any) -> ScenarioResult:
    """Send a handshake built with ``build`` and record the HTTP answer."""
    with new_lab(timeout=timeout, **server) as lab:
        raw = lab.raw()
        response = raw.send_handshake(path=path, **build)
        with contextlib.suppress(TimeoutError, OSError):
            while raw.recv_bytes(timeout=timeout):  # until the server closes TCP
                pass
        raw.abort()
        result = lab.result(title, f"{explanation} {NO_CLOSE}", rfc)
    answer = next((e.http for e in result.transcript.entries
                   if e.kind == "http" and e.direction == "s2c"), None)
    result.extra.update(
        status=response.status, reason=response.reason,
        headers=[list(h) for h in response.headers],
        body=response.body.decode("utf-8", "replace"),
        http_response=str(answer) if answer is not None else None,
        has_close_frame=result.transcript.has_close_frame(), misconception=MISCONCEPTION,
        server_rejection=next((e.detail for e in result.events
                               if e.kind == "handshake_rejected"), None),
        exception=next((f"{e.detail['type']}: {e.detail['message']}" for e in result.events
                        if e.kind == "exception"), None))
    return result


@scenario("handshake-version", summary="Sec-WebSocket-Version 8: HTTP 426, no close code")
def handshake_version(new_lab: LabFactory, *, version: int = 8,
                      timeout: float = 5.0) -> ScenarioResult:
    """Sec-WebSocket-Version 8: HTTP 426 Upgrade Required, "Sec-WebSocket-Version: 13".

    Shows: version negotiation (RFC 6455 §4.2.2, §4.4). websockets alone answers 400;
    LabServer's check answers 426 with the version it speaks, as the RFC describes.
    """
    return _refused(
        new_lab, f"HTTP 426: Sec-WebSocket-Version {version}",
        f"The client asks for Sec-WebSocket-Version {version}. A server that does not speak "
        f"it answers 426 Upgrade Required with a Sec-WebSocket-Version header listing the "
        f"versions it does speak, here 13 (RFC 6455 §4.2.2, §4.4); LabServer does so, where "
        f"websockets by itself answers 400.",
        "RFC 6455 §4.2.2, §4.4", timeout, {"version": version})


@scenario("handshake-bad-key", summary="a malformed Sec-WebSocket-Key: HTTP 400")
def handshake_bad_key(new_lab: LabFactory, *, key: str = "not a base64 key",
                      timeout: float = 5.0) -> ScenarioResult:
    """A Sec-WebSocket-Key that is not 16 bytes in base64: HTTP 400 Bad Request.

    Shows: the key's form (RFC 6455 §4.1, §4.2.1). websockets answers 400 and logs why.
    """
    return _refused(
        new_lab, "HTTP 400: a bad Sec-WebSocket-Key",
        f"Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 §4.1); {key!r} is "
        f"not, so websockets answers 400 Bad Request (§4.2.1: the request is not a valid "
        f"opening handshake).",
        "RFC 6455 §4.1, §4.2.1", timeout, {"key": key})


@scenario("handshake-origin", summary="an Origin the server refuses: HTTP 403")
def handshake_origin(new_lab: LabFactory, *, origin: str = "http://evil.example",
                     timeout: float = 5.0) -> ScenarioResult:
    """An Origin the server does not accept: HTTP 403 Forbidden.

    Shows: origin checks (RFC 6455 §4.2.2, §10.2). websockets' ``origins=[...]`` refuses
    any other Origin header with 403.
    """
    return _refused(
        new_lab, "HTTP 403: an Origin the server refuses",
        f"Browsers send an Origin header, so a server can refuse pages from other sites "
        f"(RFC 6455 §10.2) with an HTTP error such as 403 Forbidden (§4.2.2). This server "
        f"accepts only {GOOD_ORIGIN!r} (websockets' origins=...); the client says "
        f"{origin!r}.",
        "RFC 6455 §4.2.2, §10.2", timeout, {"origin": origin}, origins=[GOOD_ORIGIN])


def _hook(conn: object, request: object) -> None:
    raise RuntimeError("process_request fails on purpose (websockets answers HTTP 500)")


@scenario("handshake-500", summary="the server fails during the handshake: HTTP 500, not 1011")
def handshake_500(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
    """The server's process_request hook raises: HTTP 500, not a close 1011.

    Shows: a server error before the upgrade is an HTTP status, not a close code: close
    frames exist only after 101 (RFC 6455 §4.1, §5.5.1). websockets logs the exception
    ("process_request failed") and answers 500 Internal Server Error.
    """
    return _refused(
        new_lab, "HTTP 500: the server fails during the handshake",
        "The server's process_request hook raises before the upgrade; websockets logs the "
        "exception and answers 500 Internal Server Error (RFC 7231 §6.6.1), as any HTTP "
        "server would.",
        "RFC 6455 §4.2.2, §4.1", timeout, {}, process_request=_hook)
