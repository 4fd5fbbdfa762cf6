"""Write notebooks/08-timing-lab.ipynb (clean: no outputs). Run: python tools/make_nb08.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"


def s(section: str) -> str:
    """A link to a section of RFC 6455, e.g. s("5.5.2") -> [§5.5.2](...)."""
    return f"[§{section}]({RFC}#section-{section})"


def d(section: str) -> str:
    """A link to a section of RFC 7692."""
    return f"[RFC 7692 §{section}]({RFC7692}#section-{section})"


CELLS = [
    ("md", "00", f"""# 08 · The timing lab: predict, then measure

Every WebSocket article makes claims: *low latency*, *little overhead*, *ping/pong keeps the
connection alive*. Here you measure them on your own machine, six experiments, each one call
against real servers on 127.0.0.1. Before each, **write down your prediction**; then run it.

In this notebook you will:

1. measure ping round trips from three places, and the tap's own cost,
2. sweep message sizes and see latency and throughput change,
3. watch a ping wait behind a long message, and fragmentation let it through ({s("5.4")}),
4. stall a reader and see every buffer stay bounded (backpressure),
5. predict when keepalive gives up, for several delays, then measure it,
6. measure what permessage-deflate saves on the wire, and what it costs in CPU.

Each experiment returns its raw samples and a summary (count, min, p50, p90, p99, max, in ms),
shows itself as a table, and `plot(result)` draws it. Runs longer than a second show a progress
bar; interrupting the kernel (■) stops a run cleanly and keeps the samples so far. Every wait
has a timeout. Where the library chooses something RFC 6455 leaves open, it says so.

One warning about the instrument: the tap (notebook 05) is a Python proxy, and a round trip
crosses it twice. Every experiment that times something through the tap measures the tap's own
cost in the same run and prints it next to the result.

**Before you start:** [03 · Ping, pong and keepalive](03-ping-pong-keepalive.ipynb) and [05 · The wire tap](05-wire-tap.ipynb). About 30 minutes; bigger sweeps are a widget click away."""),
    nbgen.live_guard_cell(),
    ("code", "01", """from wslab import scenarios
from wslab.notebook import KeepaliveExplorer, TimingExplorer, plot"""),
    ("md", "02", f"""## 1 · Ping round trips, from three places

A client pings ({s("5.5.2")}), the server answers with a pong carrying the same data
({s("5.5.3")}). The round trip can be timed by the client (`ping()` returns an event set when
the pong arrives; websockets also keeps the last one as `connection.latency`), by the tap
between them, and by the server (from the ping it received to the pong it sent). A second client
pings the server directly, without the tap.

**Predict:** order the four medians. How much does the tap add?"""),
    ("code", "03", """pings = scenarios.ping_rtts(200)
pings"""),
    ("code", "04", """plot(pings)"""),
    ("md", "05", """The server turns a ping around in microseconds; everything else is the trip through
the kernel, the threads and (for the first two rows) the tap. Loopback round trips have a long
tail: one slow scheduling decision makes a p99 several times the median."""),
    ("md", "06", f"""## 2 · Latency and throughput by message size

One message of each size goes to "/echo" and back, straight to the server. websockets sends a
message as **one frame** unless you give it an iterable of fragments ({s("5.4")}): the server
reads the whole frame before echoing it.

**Predict:** up to which size is the round trip flat? Does permessage-deflate
({d("7")}) help for text? For random bytes?"""),
    ("code", "07", """sweeps = [scenarios.size_sweep(), scenarios.size_sweep(deflate=True, payload="text")]
plot(sweeps)"""),
    ("md", "08", """Small messages cost a round trip; from tens of KiB on the bytes themselves dominate and
throughput levels off. Turn the knobs: sizes up to 16 MiB, repeats, deflate, TLS (wss://), or
pings through an injected delay. Each run redraws the same figure; sweeps with other settings are
overlaid."""),
    ("code", "09", """TimingExplorer()"""),
    ("md", "10", f"""## 3 · Head-of-line blocking: a ping behind a large frame

Control frames may come *between* the fragments of a message but never inside a frame
({s("5.4")}, {s("5.5")}). So a ping sent while a 16 MiB single-frame message is on the wire
waits for the whole frame. Sent as 64 KiB fragments, the same message lets the ping through
between two fragments.

**Predict:** the ping's round trip during each send."""),
    ("code", "11", """hol = scenarios.head_of_line()
hol"""),
    ("code", "12", """plot(hol)"""),
    ("md", "13", """## 4 · Backpressure: a slow reader

The server floods the client; the tap stalls the server-to-client direction for 0.3 s, then the
client reads slowly. Where does the data wait? websockets' `send()` returns once the frame is
in the transport's buffer and waits (`drain`) while that buffer is above `write_limit` (32 KiB by
default): its choice of flow control, the RFC says nothing about it. The reading side stops reading
the socket once `max_queue` messages wait unread; TCP's window does the rest.

**Predict:** does memory grow with the number of messages sent?"""),
    ("code", "14", """flood = scenarios.backpressure()
flood"""),
    ("code", "15", """plot(flood)"""),
    ("md", "16", f"""Every buffer stayed bounded: the server's by `write_limit` plus one message, the tap's by
its `max_buffer`, the kernel's by its socket buffers. Now the same with keepalive on
(`ping_interval` 0.1 s, `ping_timeout` 0.1 s) and a longer stall: the keepalive ping waits in
the stalled path too ({s("5.5.2")}). websockets starts the `ping_timeout` clock only once its
ping is in the transport, after the write buffer drained below `write_limit`."""),
    ("code", "17", """stalled = scenarios.backpressure(messages=16, stall=0.6, keepalive=(0.1, 0.1))
stalled"""),
    ("md", "18", f"""## 5 · Keepalive against delay

The tap delays server-to-client by 0 to 400 ms; the server pings every 200 ms and gives up after
`ping_timeout` = 250 ms without a pong: close 1011 "keepalive ping timeout" ({s("7.1.7")},
{s("7.4.1")}; the timer is the library's choice).

**Predict:** at which delay does 1011 start, and when is it sent?"""),
    ("code", "19", """sweep = scenarios.keepalive_sweep()
sweep"""),
    ("code", "20", """plot(sweep)"""),
    ("md", "21", """Set the knobs, look at the predicted timeline, then measure it beside the prediction:"""),
    ("code", "22", """KeepaliveExplorer()"""),
    ("md", "23", f"""## 6 · Compression: bytes on the wire

The same text, JSON and random messages under four settings: no compression, websockets'
defaults, no context takeover ({d("7.1.1")}: each message compressed on its own), and a 512-byte
LZ77 window (`client_max_window_bits=9`, {d("7.1.2")}). The tap counts each frame's bytes on the
wire; the client's CPU clock times `send()`, where websockets compresses.

**Predict:** which payload gains nothing? What does context takeover buy the second message?"""),
    ("code", "24", """squeezed = scenarios.compression()
squeezed"""),
    ("code", "25", """plot(squeezed)"""),
    ("md", "26", f"""## What you measured

- A ping round trip on loopback is a fraction of a millisecond; the server's share is
  microseconds. The tap is not free: its own cost is printed next to every result through it.
- Latency is flat for small messages; throughput grows with size until the bytes dominate.
- A ping waits behind a frame on the wire, never inside it ({s("5.4")}): fragment large messages
  if control frames must get through.
- A slow reader does not make memory grow: `write_limit`, `max_queue`, the tap's buffer and TCP's
  window bound every queue; with keepalive on, a stalled path ends in 1011.
- Keepalive gives up exactly when the round trip exceeds `ping_timeout`, as predicted.
- permessage-deflate shrinks text and JSON several-fold, costs CPU, gains nothing on random
  bytes; context takeover makes later messages smaller still.

Back to the [overview](00-start-here.ipynb), or see 1011 produced four other ways in
[04 · Close codes and 1011](04-close-codes-and-1011.ipynb).

## Check yourself

1. Why is the tap's own cost printed next to every result measured through it?
2. A 16 MiB message goes out as one frame. What happens to a ping sent meanwhile, and how does a sender avoid it?
3. A reader stalls. What keeps the sender's memory bounded?
4. Which payload gains nothing from permessage-deflate, and why?

## Next

[09 · WebSocket vs HTTP](09-websocket-vs-http.ipynb): the same events by polling, long polling, SSE and WebSocket. Or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "08"), "nb08")


if __name__ == "__main__":
    nbgen.write(build(), "08-timing-lab.ipynb")
