"""How a real client reacts when a server breaks a rule of RFC 6455 on purpose.

:class:`wslab.live.ScratchServer` can misbehave (``misbehave=[...]``, see
:data:`wslab.live.MISBEHAVIOURS`). :func:`client_reaction` starts such a server, talks to it
with the ``websockets`` client (a strict, widely used implementation) and reports what the
client did: the exception it raised and the close codes sent and received. That is the
quickest way to see why each rule exists::

    print(client_reaction("masked-frames"))
    # masked-frames: ConnectionClosedError, client sent 1002, received None: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from ..live import ScratchServer


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
