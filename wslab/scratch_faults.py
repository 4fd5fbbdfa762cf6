"""Misbehaviours of the scratch server, and how a real client reacts to each.

:class:`wslab.scratch.ScratchServer` can break one rule of RFC 6455 on purpose
(``misbehave=[...]``). :func:`client_reaction` starts such a server, talks to it with the
``websockets`` client (a strict, widely used implementation) and reports what the client
did: the exception it raised and the close codes sent and received. That is the quickest
way to see why each rule exists::

    print(client_reaction("masked-frames"))
    # masked-frames: ConnectionClosedError, client sent 1002, received None: ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["MISBEHAVIOURS", "Reaction", "client_reaction", "parse_misbehave"]

MISBEHAVIOURS = {
    "masked-frames": "the server masks its frames (a server must not, RFC 6455 §5.1)",
    "fragmented-ping": "before each echo, a ping with FIN=0 (control frames are never "
                       "fragmented, §5.5)",
    "invalid-utf8": "text echoes end with the byte 0xFF, never valid in UTF-8 (§8.1)",
    "no-pong": "pings are never answered (a pong is due as soon as practical, §5.5.2)",
    "close-code=NNNN": "right after the handshake, close with code NNNN, even one that must "
                       "not be sent (§7.4)",
}


def parse_misbehave(names: Iterable[str]) -> tuple[frozenset[str], int | None]:
    """Check ``misbehave`` switches; return the plain ones and the close code, if any.

    Raises:
        ValueError: an unknown switch, or a close code that is not 0-65535.
    """
    plain, code = set(), None
    for name in names:
        if name.startswith("close-code="):
            value = name.partition("=")[2]
            if not value.isdigit() or int(value) > 0xFFFF:
                raise ValueError(f"close-code=NNNN takes a code 0-65535, not {value!r}")
            code = int(value)
        elif name in MISBEHAVIOURS:
            plain.add(name)
        else:
            raise ValueError(f"unknown misbehaviour {name!r}; known: {', '.join(MISBEHAVIOURS)}")
    return frozenset(plain), code


@dataclass(frozen=True)
class Reaction:
    """What the websockets client did when the server misbehaved.

    Attributes:
        switch: the misbehaviour, e.g. ``"masked-frames"``.
        received: messages the client got before the end.
        error: the exception ``recv()`` raised (class name), ``""`` if none.
        client_sent: the close code the client sent (``None``: no close frame).
        client_received: the close code the client received (``None``: none, or not
            processed because the client had already failed the connection, §7.1.7).
        detail: the exception's message.
    """

    switch: str
    received: list[str | bytes] = field(default_factory=list)
    error: str = ""
    client_sent: int | None = None
    client_received: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        if not self.error:
            return f"{self.switch}: no error; received {self.received!r}. {self.detail}"
        before = f" (after receiving {self.received!r})" if self.received else ""
        return (f"{self.switch}: {self.error}{before}, client sent {self.client_sent}, "
                f"received {self.client_received}: {self.detail}")


def client_reaction(switch: str, *, timeout: float = 5, keepalive: float = 0.5) -> Reaction:
    """Start a misbehaving scratch server, send it "hello" with the websockets client.

    The client then reads until the connection closes or ``timeout`` passes. It sends a
    keepalive ping every ``keepalive`` seconds and gives up (close 1011) if no pong comes
    within ``keepalive`` seconds, which is what shows ``no-pong``.

    Raises:
        ValueError: an unknown misbehaviour.
    """
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from .scratch import ScratchServer

    received: list[str | bytes] = []
    with ScratchServer(misbehave=[switch]) as srv, connect(
            srv.url, open_timeout=timeout, close_timeout=timeout, ping_interval=keepalive,
            ping_timeout=keepalive) as ws:
        try:
            ws.send("hello")
            while True:
                received.append(ws.recv(timeout=timeout))
        except ConnectionClosed as exc:
            return Reaction(switch, received, type(exc).__name__,
                            exc.sent.code if exc.sent else None,
                            exc.rcvd.code if exc.rcvd else None, str(exc))
        except TimeoutError:
            return Reaction(switch, received,
                            detail=f"the connection was still open after {timeout:g} s")
