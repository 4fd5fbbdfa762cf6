"""The built-in routes of :class:`~wslab.live.LabServer`: one small handler per lesson.

A route is ``async def handler(connection)``; it gets the ``websockets``
``ServerConnection``, with ``.lab`` (the LabServer, for its settings) and ``.conn_id``.
This module is public, as ``wslab.live.routes``, so a route of your own can reuse one
(``await routes.echo(conn)``) without its name clashing with the client's
:func:`wslab.live.echo`.

=================  =====================================================================
"/echo"            every message back, text as text, binary as binary
"/raise"           the handler raises: websockets closes with 1011 (internal error)
"/silent"          reads every message, never answers
"/close/<code>"    closes at once with that code (a code that cannot be sent: HTTP 400)
"/policy"          first message must be "token:<token>", else close 1008
"/capacity"        echo for ``capacity`` connections at once; more get close 1013
"/slow"            echo, but blocks the whole event loop ``slow_seconds`` per message
=================  =====================================================================
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection

from ..codec import CloseCode, describe, is_sendable

__all__ = ["DEFAULT_ROUTES", "Handler", "capacity", "close_with", "echo", "fail",
           "path_problem", "policy", "silent", "slow"]

Handler = Callable[[ServerConnection], Awaitable[None]]  # async def handler(connection)


def _lab(conn: ServerConnection) -> Any:
    """The LabServer serving ``conn`` (its settings: token, capacity, slow_seconds)."""
    return conn.lab  # type: ignore[attr-defined]


async def echo(conn: ServerConnection) -> None:
    """"/echo": send every message back, text as text, binary as binary."""
    async for message in conn:
        await conn.send(message)


async def fail(conn: ServerConnection) -> None:
    """"/raise": the handler raises, so websockets closes with 1011 (internal error)."""
    raise RuntimeError("this handler fails on purpose (websockets answers close 1011)")


async def silent(conn: ServerConnection) -> None:
    """"/silent": read every message, never answer."""
    async for _ in conn:
        pass


async def close_with(conn: ServerConnection) -> None:
    """"/close/<code>": close at once with that code and its name as the reason."""
    assert conn.request is not None
    code = int(urlsplit(conn.request.path).path.rsplit("/", 1)[1])
    await conn.close(code, describe(code).name)


async def policy(conn: ServerConnection) -> None:
    """"/policy": the first message must be "token:<token>", else close 1008 "bad token"."""
    if await conn.recv() != f"token:{_lab(conn).token}":
        await conn.close(CloseCode.POLICY_VIOLATION, "bad token")
        return
    await conn.send("welcome")
    await echo(conn)


async def capacity(conn: ServerConnection) -> None:
    """"/capacity": echo for the first ``capacity`` connections; more get 1013."""
    lab = _lab(conn)
    lab._capacity_used += 1
    try:
        if lab._capacity_used > lab.capacity:
            await conn.close(CloseCode.TRY_AGAIN_LATER, "try again later")
            return
        await echo(conn)
    finally:
        lab._capacity_used -= 1


async def slow(conn: ServerConnection) -> None:
    """"/slow": echo, but block the whole event loop ``slow_seconds`` per message first.

    ``time.sleep`` in a coroutine stops every connection of the server: no keepalive
    pings go out and no pongs are read, which is the classic cause of spurious 1011
    "keepalive ping timeout" closes.
    """
    lab = _lab(conn)
    async for message in conn:
        time.sleep(lab.slow_seconds)  # blocks the event loop, on purpose
        await conn.send(message)


DEFAULT_ROUTES: dict[str, Handler] = {
    "/echo": echo, "/raise": fail, "/silent": silent, "/close/": close_with,
    "/policy": policy, "/capacity": capacity, "/slow": slow,
}  # the routes every LabServer has (routes= adds to them or replaces some)


def path_problem(handler: Handler, path: str) -> str | None:
    """Why ``path`` cannot be served by ``handler`` (an HTTP 400 body), or ``None``.

    Only "/close/<code>" checks its path: the code must be one that may be sent.
    """
    if handler is not close_with:
        return None
    tail = path.rsplit("/", 1)[1]
    if tail.isdigit() and is_sendable(int(tail)):
        return None
    return (f"{tail!r} is not a close code that can be sent on the wire "
            f"(1000-1003, 1007-1014, 3000-4999)\n")
