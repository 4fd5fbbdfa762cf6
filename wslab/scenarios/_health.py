"""Scenarios: what a pong proves, and what it does not.

A pong (RFC 6455 §5.5.3) answers a ping (§5.5.2) on one connection. ``websockets``
answers pings by itself, in the code that reads frames, outside the application's handler;
so does any endpoint that terminates WebSocket, a gateway in between included. A pong
therefore proves that *the other end of this connection* still reads frames: not that the
application behind it does anything useful.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..live import LabServer, routes
from ._lab import Lab, LabFactory
from ._registry import scenario
from ._result import ScenarioResult

ANSWER_WAIT = 0.5  # seconds a client waits for an answer that does not come
POLL = 0.01  # seconds between two looks at what a server noted


def _wait_for(lab: Lab, done: Any, timeout: float, what: str) -> None:
    """Poll ``done()`` every :data:`POLL` s; raise the lab's failure after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise lab.fail(f"{what} within {timeout:g} s")
        time.sleep(POLL)


def _pings(lab: Lab, ws: ClientConnection, count: int, timeout: float) -> list[float]:
    """Ping ``count`` times, each pong awaited (bounded); the round trips in seconds."""
    rtts = []
    for i in range(count):
        sent = time.monotonic()
        if not ws.ping(f"are you there? {i + 1}".encode()).wait(timeout):
            raise lab.fail(f"no pong for ping {i + 1} within {timeout:g} s")
        rtts.append(time.monotonic() - sent)
    return rtts


def _no_answer(ws: ClientConnection, wait: float) -> str | None:
    """What the client received within ``wait`` s, or ``None`` (nothing came)."""
    try:
        got = ws.recv(timeout=wait)
    except TimeoutError:
        return None
    return got if isinstance(got, str) else repr(got)


@scenario("pong-stuck-app",
          summary="the application never answers, yet every ping gets its pong")
def pong_stuck_app(new_lab: LabFactory, *, pings: int = 5, answer_wait: float = ANSWER_WAIT,
                   timeout: float = 5.0) -> ScenarioResult:
    """A handler that reads requests and never answers: pongs come back all the same.

    Shows: ``websockets`` answers pings in its frame reader, not in the handler (the
    library's choice; RFC 6455 §5.5.2 only asks that a pong be sent "as soon as is
    practical"). The "/silent" handler stands for an application stuck on a dead database:
    it received the request (the server's log shows it) and never answers, while every
    ping of the client is answered at once (about a millisecond on loopback). A pong says
    the connection and the library's event loop are alive, nothing about the application.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/silent")
        ws.send("GET /balance")
        _wait_for(lab, lambda: any(e.kind == "recv" for e in lab.server.events), timeout,
                  "the server did not receive the request")
        rtts = _pings(lab, ws, pings, timeout)
        answer = _no_answer(ws, answer_wait)
        if answer is not None:
            raise lab.fail(f"the silent handler answered: {answer!r}")
        result = lab.result(
            f"{pings} pongs, no answer: the application is stuck",
            f"The \"/silent\" handler received the request (the server's log shows it) and "
            f"never answers, as an application waiting on a dead database would. Yet each of "
            f"the client's {pings} pings (RFC 6455 §5.5.2) got its pong (§5.5.3), in "
            f"{max(rtts) * 1000:.2f} ms at most: websockets answers pings in the code that "
            f"reads frames, outside the handler. A pong proves that the other end reads "
            f"frames; only an answer from the application (an application-level heartbeat "
            f"or a timeout on each request) proves the application works.",
            "RFC 6455 §5.5.2, §5.5.3", client_close=lab.ws_close(ws))
    result.extra.update(pong_rtts=rtts, answered=False, answer_wait=answer_wait)
    result.timings["max_pong_rtt"] = max(rtts)
    return result


def _gateway(upstream_url: str, seen: dict[str, Any], timeout: float) -> routes.Handler:
    """A route that terminates WebSocket and relays messages to ``upstream_url``.

    When the upstream connection ends, it keeps the client's connection open and drops what
    the client sends (noted in ``seen["dropped"]``), as a gateway waiting for its backend
    to come back would. Its own ``websockets`` connection answers the client's pings.
    """

    async def gateway(conn: ServerConnection) -> None:
        async with ws_connect(upstream_url, open_timeout=timeout, ping_interval=None,
                              close_timeout=timeout) as upstream:

            async def client_to_upstream() -> None:
                async for message in conn:
                    try:
                        await upstream.send(message)
                    except ConnectionClosed:
                        seen["dropped"].append(message)

            async def upstream_to_client() -> None:
                with contextlib.suppress(ConnectionClosed):
                    async for message in upstream:
                        await conn.send(message)
                code = upstream.close_code
                seen["upstream_close"] = None if code is None else int(code)

            await asyncio.gather(client_to_upstream(), upstream_to_client())

    return gateway


@scenario("pong-from-gateway",
          summary="the server behind a gateway is gone; the gateway answers the pings")
def pong_from_gateway(new_lab: LabFactory, *, pings: int = 3, timeout: float = 5.0
                      ) -> ScenarioResult:
    """A gateway terminates WebSocket; its backend stops; the client's pings still get pongs.

    Shows: ping and pong belong to one connection (RFC 6455 §5.5.2, §5.5.3). An
    intermediary that terminates WebSocket (a gateway, a terminating proxy) has its own
    connection to the client and answers the client's pings itself (here a ``websockets``
    connection does, by itself, as :func:`pong_stuck_app` shows): the server behind it
    never sees them (its log shows none), and the pongs keep coming after it stopped.
    ``extra["upstream_pings"]`` counts the pings the backend saw (0).
    """
    seen: dict[str, Any] = {"dropped": []}
    upstream = LabServer(ping_interval=None, start_timeout=timeout).start()
    try:
        gateway = _gateway(f"{upstream.url}/echo", seen, timeout)
        with new_lab(timeout=timeout, routes={"/gateway": gateway}) as lab:
            ws = lab.connect("/gateway")
            ws.send("before")
            relayed = ws.recv(timeout=timeout)
            if relayed != "before":
                raise lab.fail(f"the backend's echo through the gateway: {relayed!r}")
            upstream.stop(timeout)  # the backend goes away; the gateway stays
            _wait_for(lab, lambda: "upstream_close" in seen, timeout,
                      "the gateway did not see its backend go")
            ws.send("after")
            _wait_for(lab, lambda: seen["dropped"], timeout,
                      "the gateway did not drop the message")
            answer = _no_answer(ws, POLL)
            if answer is not None:
                raise lab.fail(f"an answer came with no backend: {answer!r}")
            rtts = _pings(lab, ws, pings, timeout)
            upstream_pings = [e for e in upstream.events if e.kind == "ping"]
            result = lab.result(
                f"{pings} pongs from the gateway, its backend gone",
                f"The client talks to a gateway that terminates WebSocket and relays messages "
                f"to a backend server. \"before\" went there and back. Then the backend "
                f"stopped (it closed its side with {seen['upstream_close']}); the gateway kept "
                f"the client's connection open and dropped \"after\". Each of the client's "
                f"{pings} pings (RFC 6455 §5.5.2) still got its pong (§5.5.3): the gateway's "
                f"own websockets connection answered, and the backend, which saw "
                f"{len(upstream_pings)} pings, could not have. Ping and pong belong to one "
                f"connection: they prove the nearest WebSocket endpoint is there, not the "
                f"server behind it.",
                "RFC 6455 §5.5.2, §5.5.3", client_close=lab.ws_close(ws))
    finally:
        upstream.stop(timeout)
    result.extra.update(pong_rtts=rtts, upstream_pings=len(upstream_pings),
                        upstream_close=seen["upstream_close"], dropped=list(seen["dropped"]))
    result.timings["max_pong_rtt"] = max(rtts)
    return result
