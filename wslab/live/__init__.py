"""The live layer: real servers, clients and a wire tap on 127.0.0.1, with sockets and threads.

Everything here does I/O; what the bytes mean is :mod:`wslab.codec`'s business. Each server
is a :class:`Service`: it listens on loopback (port 0: a free one) and serves from an event
loop in a thread of its own (named ``wslab-...``), so it works the same in a script, in
pytest and in a Jupyter kernel. All share one lifecycle: ``start()`` returns the service
(and raises if it runs already), ``stop()`` is a no-op when stopped, ``with`` starts and
stops, ``stop_all()`` stops every running one of a class, ``url``, ``host``, ``port``::

    with LabServer() as srv, Tap("127.0.0.1", srv.port) as tap:
        echo(tap.url_for("/echo"), "hello")
        print(format_events(srv.events))
        print(tap.transcript())

- servers: :class:`LabServer` (the ``websockets`` library, recording every event in an
  :class:`EventLog`; its built-in handlers are the public module :mod:`wslab.live.routes`),
  :class:`ScratchServer` (written from scratch on the codec, can break rules on purpose:
  :data:`MISBEHAVIOURS`), whose command line is :func:`serve_scratch`;
- the tap: :class:`Tap`, a recording, fault-injecting TCP proxy (:class:`Faults`) that
  can also drop, inject or rewrite frames in flight (a :data:`FrameHook` that sees each
  frame as an :class:`Intercepted`), and :func:`write_pcap` to open what it recorded in
  Wireshark;
- clients: :func:`connect`, :func:`echo`, :func:`ping_rtt` (``websockets`` with lab
  defaults) and :class:`RawClient`, which sends exactly the bytes it is given;
- server push four ways: :class:`PushServer` (aiohttp: WebSocket, HTTP short and long
  polling, Server-Sent Events; its :class:`PushEvent` stream, :data:`TRANSPORTS`) and
  :class:`PushReceiver`, a real client for each that times every :class:`Delivery`.

The modules behind this face are private (except :mod:`~wslab.live.routes`); import from here.
"""

from . import routes
from ._client import connect, echo, ping_rtt
from ._events import ConnectionSummary, Event, EventLog, event_from_record, format_events, summarize
from ._misbehaviours import MISBEHAVIOURS, parse_misbehave
from ._pcap import pcap_hexdump, pcap_segments, write_pcap
from ._push_client import Delivery, PushReceiver
from ._push_server import TRANSPORTS, PushEvent, PushServer
from ._rawclient import RawClient, RawConnectionClosed
from ._scratch import SCRATCH_SERVER_NAME, ScratchConnection, ScratchServer
from ._scratch_cli import serve_scratch
from ._server import LabServer
from ._service import Service, is_loopback
from ._tap import Faults, FrameHook, Intercepted, Tap, TapConnection

__all__ = [
    "MISBEHAVIOURS",
    "SCRATCH_SERVER_NAME",
    "TRANSPORTS",
    "ConnectionSummary",
    "Delivery",
    "Event",
    "EventLog",
    "Faults",
    "FrameHook",
    "Intercepted",
    "LabServer",
    "PushEvent",
    "PushReceiver",
    "PushServer",
    "RawClient",
    "RawConnectionClosed",
    "ScratchConnection",
    "ScratchServer",
    "Service",
    "Tap",
    "TapConnection",
    "connect",
    "echo",
    "event_from_record",
    "format_events",
    "is_loopback",
    "parse_misbehave",
    "pcap_hexdump",
    "pcap_segments",
    "ping_rtt",
    "routes",
    "serve_scratch",
    "summarize",
    "write_pcap",
]
