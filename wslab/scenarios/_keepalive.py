"""Scenarios: pings, pongs and keepalive, and the 1011 a missing pong causes.

Times come from two clocks that are one: ``time.monotonic()`` in this process, read by
the server's event log, the websockets client and the tap alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..live import Event, routes
from ._lab import Lab, LabFactory, raw_close
from ._registry import scenario
from ._result import ScenarioError, ScenarioResult

BLOCK_ATTEMPTS = 3  # keepalive pings the blocking handler waits through for a slow pong

DIRECTIONS = {"s2c": ("s2c",), "c2s": ("c2s",), "both": ("c2s", "s2c")}


def _wait_until(lab: Lab, done: Callable[[list[Event]], bool], timeout: float) -> bool:
    """Poll the server's log (every 10 ms, at most ``timeout`` s) until ``done(events)``."""
    deadline = time.monotonic() + timeout
    while not done(lab.server.events):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _pongs_in(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == "pong" and e.detail.get("direction") == "in"]


def _server_rtts(events: list[Event]) -> list[float]:
    """Server ping (out) to its pong (in), matched by payload, from the server's log."""
    out = []
    for ping_ in (e for e in events if e.kind == "ping" and e.detail.get("direction") == "out"):
        pong = next((p for p in _pongs_in(events) if p.conn_id == ping_.conn_id
                     and p.t >= ping_.t and p.detail.get("data") == ping_.detail.get("data")),
                    None)
        if pong is not None:
            out.append(pong.t - ping_.t)
    return out


def _echo_noting_latency(into: dict[str, Any]) -> routes.Handler:
    """"/echo", and the connection's ``latency`` (websockets' last RTT) noted at its end."""

    async def echo(conn: ServerConnection) -> None:
        try:
            await routes.echo(conn)
        finally:
            into["latency_server"] = conn.latency

    return echo


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _expect_close(lab: Lab, ws: object, timeout: float) -> None:
    with contextlib.suppress(ConnectionClosed):
        try:
            got = ws.recv(timeout=timeout)  # type: ignore[attr-defined]
        except TimeoutError:
            raise lab.fail(f"the connection was not closed within {timeout:g} s") from None
        raise lab.fail(f"expected the connection to close; a message came: {got!r}")


@scenario("ping",
          summary="client pings; round-trip time seen by the client and by the tap")
def ping(new_lab: LabFactory, *, count: int = 5, delay: float = 0.0,
         timeout: float = 5.0) -> ScenarioResult:
    """The client pings ``count`` times; RTT seen by the client and by the tap.

    Shows: ping and pong (RFC 6455 §5.5.2, §5.5.3): the pong carries the ping's payload.
    websockets answers pings automatically; the client's ``ping()`` returns an event set
    when the pong arrives and ``connection.latency`` holds the round trip. ``delay`` (s)
    is added by the tap in each direction.
    """
    delays = {"c2s": delay, "s2c": delay} if delay else None
    with new_lab(timeout=timeout, delay=delays) as lab:
        ws = lab.connect("/echo")
        client_rtts = []
        for i in range(count):
            if not ws.ping(f"wslab ping {i + 1}".encode()).wait(timeout + 2 * delay):
                raise lab.fail(f"no pong for ping {i + 1} within {timeout:g} s")
            # websockets sets the event, then latency, holding protocol_mutex: take it too.
            with getattr(ws, "protocol_mutex", contextlib.nullcontext()):
                client_rtts.append(ws.latency)
        result = lab.result(
            "Ping and pong: the round-trip time",
            "The client sends ping frames (RFC 6455 §5.5.2) and the server answers each with "
            "a pong carrying the same payload (§5.5.3); websockets does that by itself, "
            "outside the handler. The round trip is measured by the client (websockets' "
            "connection.latency: ping sent to pong received) and by the tap (ping seen to "
            "pong passed on), which misses the short hops between the client and the tap.",
            "RFC 6455 §5.5.2, §5.5.3", client_close=lab.ws_close(ws))
    turnaround = [pong.t - p.t for p, pong in zip(
        [e for e in result.events if e.kind == "ping" and e.detail["direction"] == "in"],
        [e for e in result.events if e.kind == "pong" and e.detail["direction"] == "out"],
        strict=False)]
    tap_rtts = result.transcript.ping_rtts()
    result.extra.update(rtt_client=client_rtts, rtt_tap=tap_rtts, server_turnaround=turnaround,
                        delay=delay)
    for name, values in (("rtt_client", client_rtts), ("rtt_tap", tap_rtts)):
        if values:
            result.timings[name] = _median(values)  # type: ignore[assignment]
    return result


@scenario("server-ping",
          summary="server keepalive pings, answered by the websockets client")
def server_ping(new_lab: LabFactory, *, pings: int = 3, ping_interval: float = 0.2,
                ping_timeout: float = 1.0, delay: float = 0.0,
                timeout: float = 5.0) -> ScenarioResult:
    """The server's keepalive pings a websockets client, which answers by itself.

    Shows: keepalive (RFC 6455 §5.5.2: a ping "may serve either as a keepalive or as a
    means to verify that the remote endpoint is still responsive"). websockets: with
    ``ping_interval`` the server pings every interval; the client answers in its
    background thread, the application never sees it. RTT from the transcript
    (``extra["rtt_tap"]``), the server's log (``extra["rtt_server"]``) and the server
    connection's ``latency`` at the end (``extra["latency_server"]``, seconds).
    """
    seen: dict[str, Any] = {}
    with new_lab(timeout=timeout, ping_interval=ping_interval, ping_timeout=ping_timeout,
             delay={"s2c": delay} if delay else None,
             routes={"/echo": _echo_noting_latency(seen)}) as lab:
        ws = lab.connect("/echo")
        budget = timeout + pings * (ping_interval + delay)
        if not _wait_until(lab, lambda ev: len(_pongs_in(ev)) >= pings, budget):
            raise lab.fail(f"the server did not get {pings} pongs within {budget:g} s")
        result = lab.result(
            "Keepalive: the server pings, the client answers",
            f"With ping_interval={ping_interval:g} s a websockets server sends a ping "
            f"(RFC 6455 §5.5.2) every {ping_interval:g} s and expects the pong (§5.5.3) "
            f"within ping_timeout={ping_timeout:g} s. The websockets client answers pings "
            f"by itself, in its background thread: the application never sees them. The "
            f"round trip is read from the transcript (ping seen by the tap to pong passed "
            f"on to the server), from the server's log, and from the server connection's "
            f"latency attribute (websockets: the last keepalive round trip).",
            "RFC 6455 §5.5.2, §5.5.3", client_close=lab.ws_close(ws))
    tap_rtts = result.transcript.ping_rtts()
    result.extra.update(rtt_tap=tap_rtts, rtt_server=_server_rtts(result.events),
                        latency_server=seen.get("latency_server"),
                        ping_interval=ping_interval, ping_timeout=ping_timeout, delay=delay)
    if tap_rtts:
        result.timings["rtt_tap"] = _median(tap_rtts)  # type: ignore[assignment]
    return result


@scenario("1011-keepalive-timeout",
          summary="a client that never answers pings: the server closes (1011)")
def close_1011_keepalive_timeout(new_lab: LabFactory, *, ping_interval: float = 0.2,
                                 ping_timeout: float = 0.2, timeout: float = 5.0) -> ScenarioResult:
    """A raw client that never answers pings: the server closes with 1011.

    Shows: keepalive failure. websockets: no pong within ``ping_timeout`` after a
    keepalive ping means the server fails the connection (RFC 6455 §7.1.7) with 1011
    "keepalive ping timeout", closes TCP and ignores what the client sends afterwards,
    so the server itself reports 1006.
    """
    with new_lab(timeout=timeout, ping_interval=ping_interval, ping_timeout=ping_timeout) as lab:
        raw = lab.raw(auto_pong=False)
        if raw.send_handshake(path="/echo").status != HTTPStatus.SWITCHING_PROTOCOLS:
            raise lab.fail("the handshake failed")
        try:
            raw.recv_frames(timeout=timeout + ping_interval + ping_timeout)
        except TimeoutError as exc:
            raise lab.fail(f"the server did not close: {exc}") from None
        received = raw_close(raw)
        raw.close(received[0], received[1])  # echo it, as RFC 6455 §5.5.1 suggests
        result = lab.result(
            "1011: the server's keepalive ping got no pong",
            f"The server pings every {ping_interval:g} s (RFC 6455 §5.5.2) and this raw "
            f"client never answers. With no pong within ping_timeout={ping_timeout:g} s, "
            f"websockets fails the connection (§7.1.7) with close 1011 \"keepalive ping "
            f"timeout\" and closes TCP. After failing it processes nothing more, not even "
            f"the client's echoed close frame, so the server itself reports 1006.",
            "RFC 6455 §5.5.2, §7.1.7, §7.4.1", client_close=received)
    pings = result.transcript.pings("s2c")
    close = result.transcript.first_close("s2c")
    result.extra.update(pings=len(pings), pongs=len(result.transcript.pongs("c2s")))
    if pings and close is not None:
        result.timings["ping_to_close"] = close.t - pings[0].t
    return result


@scenario("1011-client-keepalive",
          summary="the server seems silent: the client's keepalive closes (1011)")
def close_1011_client_keepalive(new_lab: LabFactory, *, ping_interval: float = 0.2,
                                ping_timeout: float = 0.2, close_timeout: float = 0.5,
                                timeout: float = 5.0) -> ScenarioResult:
    """The tap stalls the server's bytes: the client's keepalive gives up with 1011.

    Shows: 1011 sent by a client (an erratum to RFC 6455 lets either endpoint send it).
    websockets' client fails the connection with 1011 "keepalive ping timeout", waits
    ``close_timeout`` for the server's TCP close and drops the connection: it received
    no close frame and reports 1006, while the server received 1011 and reports it.
    """
    with new_lab(timeout=timeout) as lab:
        ws = lab.connect("/echo", ping_interval=ping_interval, ping_timeout=ping_timeout,
                         close_timeout=close_timeout)
        assert lab.tap is not None
        lab.tap.stall("s2c")
        _expect_close(lab, ws, timeout + ping_interval + ping_timeout + close_timeout)
        close = lab.ws_close(ws)
        late = lab.wait_closed()
        result = lab.result(
            "1011 from the client: its keepalive got no pong",
            f"The client pings every {ping_interval:g} s and the tap stalls everything the "
            f"server sends, so no pong comes back. The websockets client fails the "
            f"connection with close 1011 \"keepalive ping timeout\" (either endpoint may "
            f"send 1011 since an erratum to RFC 6455), waits close_timeout={close_timeout:g} s "
            f"for the server to close TCP, then drops it: it received no close frame and "
            f"reports 1006 (§7.1.5). The server received the 1011 and echoed it, so it "
            f"reports 1011; its echo is stuck in the tap, never delivered.",
            "RFC 6455 §7.1.5, §7.1.7, §7.4.1 and its errata", client_close=close,
            settle=False)
    result.notes[:0] = late
    result.extra.update(client_pings=len(result.transcript.pings("c2s")),
                        pongs_held=len(result.transcript.pongs("s2c")))
    return result


@scenario("keepalive-timeline",
          summary="keepalive through a delay: pings, pongs, and 1011 if too slow")
def delayed_keepalive(new_lab: LabFactory, *, delay: float = 0.1, ping_interval: float = 0.2,
                      ping_timeout: float = 0.3, direction: str = "s2c", pings: int = 3,
                      timeout: float = 5.0) -> ScenarioResult:
    """Server keepalive through a tap that delays ``direction`` by ``delay`` seconds.

    Shows: when pings go out and pongs come back (RFC 6455 §5.5.2, §5.5.3), and whether
    1011 fires: the round trip is ``delay`` (twice that with ``direction="both"``) and
    websockets' server fails the connection (§7.1.7) with 1011 "keepalive ping timeout"
    when it exceeds ``ping_timeout``. Watches
    until ``pings`` pongs came back or the server closed. Compute the timeline with
    ``wslab.scenarios.keepalive_timeline(result.transcript, result.events)``, the expected
    one with ``wslab.scenarios.predict_keepalive``; ``keepalive_experiment`` does both.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction is 's2c', 'c2s' or 'both', not {direction!r}")
    delays = dict.fromkeys(DIRECTIONS[direction], delay)
    rtt = delay * len(DIRECTIONS[direction])
    with new_lab(timeout=timeout, delay=delays, ping_interval=ping_interval,
             ping_timeout=ping_timeout) as lab:
        ws = lab.connect("/echo")

        def over(events: list[Event]) -> bool:
            return len(_pongs_in(events)) >= pings or any(
                e.kind in ("close_sent", "closed") for e in events)

        budget = timeout + pings * max(ping_interval, rtt) + ping_timeout
        if not _wait_until(lab, over, budget):
            raise lab.fail(f"neither {pings} pongs nor a close within {budget:g} s")
        timed_out = any(e.kind == "close_sent" for e in lab.server.events)
        if timed_out:  # the server's close is on its way (held by the tap): wait for it
            _expect_close(lab, ws, timeout + delay)
        outcome = ("exceeds" if rtt > ping_timeout else "is within")
        result = lab.result(
            "Keepalive timeline: delay against ping_timeout",
            f"The tap delays {direction} by {delay:g} s, so each keepalive round trip takes "
            f"about {rtt:g} s, which {outcome} ping_timeout={ping_timeout:g} s. websockets' "
            f"server pings every ping_interval={ping_interval:g} s (RFC 6455 §5.5.2) and "
            f"fails the connection with 1011 \"keepalive ping timeout\" (§7.1.7) when a pong "
            f"is late; otherwise the pongs (§5.5.3) keep the connection open and the client "
            f"closes it with 1000.",
            "RFC 6455 §5.5.2, §5.5.3, §7.1.7", client_close=lab.ws_close(ws))
    result.extra.update(delay=delay, ping_interval=ping_interval, ping_timeout=ping_timeout,
                        direction=direction, rtt_expected=rtt, timed_out=timed_out,
                        rtt_server=_server_rtts(result.events))
    return result


def _block_after_keepalive_ping(block: float, wait: float, seen: dict[str, Any]
                                ) -> routes.Handler:
    """A handler that blocks the event loop (``time.sleep``) while a keepalive ping waits.

    It wraps the connection's ``ping()`` to learn when a keepalive ping has gone out,
    then sleeps ``block`` seconds without awaiting. Its wake-up is queued by the keepalive
    task itself, which has armed its ``ping_timeout`` timer by then. If the pong was read
    before the handler ran (a very busy machine), it waits for the next ping instead: it
    only ever blocks while a ping waits for its pong, with the timer running.
    """

    async def handler(conn: ServerConnection) -> None:
        pinged = asyncio.Event()
        pending: list[Any] = []
        send_ping = conn.ping

        async def ping_and_tell(data: Any = None) -> Any:
            pending.append(await send_ping(data))
            pinged.set()
            return pending[-1]

        conn.ping = ping_and_tell  # type: ignore[method-assign]
        try:
            for attempt in range(1, BLOCK_ATTEMPTS + 1):
                if not await _wait_event(pinged, wait):
                    break
                pinged.clear()
                if pending[-1].done():
                    continue  # its pong was read already: wait for the next ping
                seen.update(attempt=attempt, blocked_at=time.monotonic())
                time.sleep(block)  # the mistake: blocking work in a coroutine
                seen["unblocked_at"] = time.monotonic()
                break
            await conn.wait_closed()
        finally:
            seen["latency_server"] = conn.latency

    return handler


async def _wait_event(event: asyncio.Event, timeout: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True


@scenario("1011-blocked-loop",
          summary="a handler blocks the event loop: 1011 although the pong came")
def close_1011_blocked_loop(new_lab: LabFactory, *, block: float = 0.8, ping_interval: float = 0.2,
                            ping_timeout: float = 0.3, delay: float = 0.05,
                            timeout: float = 5.0) -> ScenarioResult:
    """A handler blocks the server's event loop: 1011 although the pong came in time.

    Shows: the classic spurious keepalive timeout. websockets runs handlers, keepalive
    pings, frame reading and the ``ping_timeout`` timer on one event loop; a handler
    calling ``time.sleep(block)`` stops them all. The client's pong (RFC 6455 §5.5.3)
    reaches the server's socket while the loop sleeps; when it wakes, the pong is read
    but the timer has run out, and the server fails the connection (§7.1.7) with 1011
    "keepalive ping timeout". The tap adds ``delay`` to the client's frames, a round trip
    far below ``ping_timeout``, so that the pong arrives after the loop blocked (if it
    came first, the handler waits for the next ping). ``extra["latency_server"]`` is the
    server connection's ``latency``: about ``block``, not the network's round trip.
    """
    if block <= ping_timeout:
        raise ValueError(f"block ({block:g} s) must be longer than ping_timeout "
                         f"({ping_timeout:g} s), or the timer does not run out")
    seen: dict[str, Any] = {}
    handler = _block_after_keepalive_ping(block, timeout + 2 * ping_interval, seen)
    with new_lab(timeout=timeout, delay={"c2s": delay} if delay else None,
             ping_interval=ping_interval, ping_timeout=ping_timeout,
             routes={"/block": handler}) as lab:
        ws = lab.connect("/block")
        try:
            _expect_close(lab, ws, timeout + 3 * ping_interval + block)
        except ScenarioError as exc:
            if "blocked_at" not in seen:
                raise lab.fail("the handler never blocked while a keepalive ping waited for "
                               "its pong (each pong came too fast)") from exc
            raise
        result = lab.result(
            "1011 from a blocked event loop: the pong came in time",
            f"The \"/block\" handler calls time.sleep({block:g}) right after a keepalive "
            f"ping of the server (RFC 6455 §5.5.2). The client answers at once; with the "
            f"tap's {delay * 1000:.0f} ms the pong (§5.5.3) reaches the server's socket long "
            f"before ping_timeout={ping_timeout:g} s. But websockets runs the handler, the "
            f"frame reader and the ping_timeout timer on one event loop, and time.sleep "
            f"blocks all of them. When the loop wakes, it reads the pong (the server's log "
            f"shows it), and the timer, overdue, fails the connection (§7.1.7) with 1011 "
            f"\"keepalive ping timeout\". A blocked event loop is the classic cause of "
            f"spurious keepalive timeouts; the fix is await asyncio.sleep() or "
            f"asyncio.to_thread() for blocking work, never a longer ping_timeout.",
            "RFC 6455 §5.5.2, §5.5.3, §7.1.7, §7.4.1", client_close=lab.ws_close(ws))
    _note_blocked_loop(result, seen, block, delay, ping_interval, ping_timeout)
    return result


def _note_blocked_loop(result: ScenarioResult, seen: dict[str, Any], block: float,
                       delay: float, ping_interval: float, ping_timeout: float) -> None:
    """The pong's delivery against the server's close, and what the server measured."""
    tr = result.transcript.for_connection(result.conn_id or 1)
    close = next(iter(tr.frames("s2c", "close")), None)
    pings = [p for p in tr.frames("s2c", "ping") if close is None or p.t < close.t]
    ping_ = pings[-1] if pings else None  # the one the server gave up on
    payload = None if ping_ is None else ping_.frame_dissection.frame.payload  # type: ignore[union-attr]
    pong = next((p for p in tr.frames("c2s", "pong")
                 if p.frame_dissection.frame.payload == payload), None)  # type: ignore[union-attr]
    delivered = pong.t_forwarded if pong is not None else None
    result.extra.update(
        block=block, delay=delay, ping_interval=ping_interval, ping_timeout=ping_timeout,
        latency_server=seen.get("latency_server"), attempt=seen.get("attempt"),
        blocked=(seen["unblocked_at"] - seen["blocked_at"]) if "unblocked_at" in seen
        else None,
        pong_before_close=(delivered is not None and close is not None
                           and delivered < close.t))
    if ping_ is not None and delivered is not None:
        result.timings["pong_delivered_after_ping"] = delivered - ping_.t
    if ping_ is not None and close is not None:
        result.timings["ping_to_close"] = close.t - ping_.t
