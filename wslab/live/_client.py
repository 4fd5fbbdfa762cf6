"""The lab's real client: thin helpers over ``websockets.sync.client.connect``.

:func:`connect`, :func:`echo`, :func:`ping_rtt`, with lab defaults: no keepalive, no proxy,
no compression, short timeouts. (A client that sends any bytes at all is
:class:`~wslab.live.RawClient`.)
"""

from __future__ import annotations

import ssl as ssl_module
import time
from typing import Any

from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from ..codec import DEFAULT_MAX_SIZE

TIMEOUT = 5.0  # default seconds to open, close, or wait for an answer


def connect(url: str, *, ssl: ssl_module.SSLContext | None = None,
            ping_interval: float | None = None, ping_timeout: float | None = None,
            open_timeout: float = TIMEOUT, close_timeout: float = TIMEOUT,
            max_size: int | None = DEFAULT_MAX_SIZE,
            **kw: Any) -> ClientConnection:
    """Open a WebSocket connection with ``websockets.sync.client.connect``.

    Use it directly or as a context manager (``with connect(url) as ws: ...``). Keepalive
    is off unless ``ping_interval`` is given; system proxies are ignored (``proxy=None``);
    other keyword arguments go to websockets (``compression``, ``origin``,
    ``subprotocols``, ``additional_headers``...).

    Raises:
        websockets.exceptions.InvalidHandshake: the server refused (e.g. InvalidStatus).
        OSError, TimeoutError: no connection within ``open_timeout``.
    """
    kw.setdefault("proxy", None)
    kw.setdefault("legacy", True)  # a plain connection, usable with or without `with`
    kw.setdefault("compression", None)
    return ws_connect(url, ssl=ssl, ping_interval=ping_interval, ping_timeout=ping_timeout,
                      open_timeout=open_timeout, close_timeout=close_timeout,
                      max_size=max_size, **kw)


def echo(url: str, message: str | bytes, timeout: float = TIMEOUT, **kw: Any) -> str | bytes:
    """Send one message, return the first message received, close (one round trip).

    Raises:
        TimeoutError: no answer within ``timeout``.
        websockets.exceptions.ConnectionClosed: the server closed instead of answering.
    """
    with connect(url, open_timeout=timeout, close_timeout=timeout, **kw) as ws:
        ws.send(message)
        return ws.recv(timeout=timeout)


def ping_rtt(url: str, timeout: float = TIMEOUT, **kw: Any) -> float:
    """Round-trip time in seconds of one client ping to its pong (``connection.latency``).

    Raises:
        TimeoutError: no pong within ``timeout``.
    """
    with connect(url, open_timeout=timeout, close_timeout=timeout, **kw) as ws:
        before, started = ws.latency, time.monotonic()
        if not ws.ping().wait(timeout):
            raise TimeoutError(f"no pong from {url} within {timeout:g} s")
        measured = time.monotonic() - started
        # websockets sets the event a moment before it stores latency: fall back if unset.
        return ws.latency if ws.latency != before else measured
