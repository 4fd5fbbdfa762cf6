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
"/account"         trusts the credential in the handshake (a ``session`` cookie, a Bearer
                   token or ``?token=``): the account's private data if it is ``token``,
                   else close 1008 after the 101
=================  =====================================================================

:func:`require_token` checks the same credential *before* the 101, as a ``process_request``
hook (``LabServer(process_request=routes.require_token)``): HTTP 401 instead of a
connection.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ..codec import CloseCode, describe, is_sendable

__all__ = ["ACCOUNT", "DEFAULT_ROUTES", "SESSION_COOKIE", "TOKEN_PARAMETER", "Handler",
           "account", "capacity", "close_with", "echo", "fail", "path_problem", "policy",
           "presented_token", "require_token", "silent", "slow"]

Handler = Callable[[ServerConnection], Awaitable[None]]  # async def handler(connection)

SESSION_COOKIE = "session"  # the cookie "/account" and require_token read (RFC 6265 §5.4)
TOKEN_PARAMETER = "token"  # the query parameter they read: ws://.../account?token=...
ACCOUNT = {"user": "alice", "email": "alice@example.com",
           "balance": "1,234.56 EUR"}  # the private data "/account" sends (made up)
REALM = "wslab"  # the realm of require_token's 401 challenge


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


def presented_token(request: Request) -> str | None:
    """The credential a handshake request carries, or ``None``.

    Looked for in this order: the ``session`` cookie (what a browser adds by itself,
    RFC 6265 §5.4), an ``Authorization: Bearer`` header (RFC 6750 §2.1; a browser's
    WebSocket API cannot set it), a ``token`` query parameter (in the URL, so in every
    access log; RFC 6750 §2.3 discourages it for that reason).
    """
    for header in request.headers.get_all("Cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if SESSION_COOKIE in jar:
            return jar[SESSION_COOKIE].value
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    values = parse_qs(urlsplit(request.path).query).get(TOKEN_PARAMETER)
    return values[0] if values else None


def _is_valid(presented: str | None, token: str) -> bool:
    """Whether ``presented`` is ``token``, compared in constant time."""
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


async def account(conn: ServerConnection) -> None:
    """"/account": a server that trusts whatever credential the handshake carries.

    If the request carries the LabServer's ``token`` (see :func:`presented_token`), it
    sends :data:`ACCOUNT` as JSON, then echoes; else it closes with 1008 "not signed in",
    *after* the handshake (the connection was opened, then closed). It does not look at
    ``Origin``: that is the server's ``origins=`` setting, or its absence (cross-site
    WebSocket hijacking).
    """
    assert conn.request is not None
    if not _is_valid(presented_token(conn.request), _lab(conn).token):
        await conn.close(CloseCode.POLICY_VIOLATION, "not signed in")
        return
    await conn.send(json.dumps(ACCOUNT))
    await echo(conn)


def require_token(conn: ServerConnection, request: Request) -> Response | None:
    """A ``process_request`` hook: no 101 without the LabServer's ``token``.

    Refuses the handshake with HTTP 401 and a ``WWW-Authenticate: Bearer`` challenge
    (RFC 6455 §4.2.2 item 2; RFC 9110 §15.5.2 requires the challenge; RFC 6750 §3, with
    ``error="invalid_token"`` when a wrong credential was presented), before any
    WebSocket connection exists; returns ``None`` (carry on) when the credential is right.
    Use it as ``LabServer(process_request=routes.require_token)``.
    """
    presented = presented_token(request)
    if _is_valid(presented, _lab(conn).token):
        return None
    if presented is None:
        response = conn.respond(401, "Sign in first: send a credential with the handshake.\n")
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
    else:
        response = conn.respond(401, "That credential is not valid.\n")
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="invalid_token"'
    return response


DEFAULT_ROUTES: dict[str, Handler] = {
    "/echo": echo, "/raise": fail, "/silent": silent, "/close/": close_with,
    "/policy": policy, "/capacity": capacity, "/slow": slow, "/account": account,
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
