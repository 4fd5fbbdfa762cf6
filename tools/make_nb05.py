"""Write notebooks/05-wire-tap.ipynb (clean: no outputs). Run: python tools/make_nb05.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"

CELLS = [
    ("md", "00", f"""# 05 · The wire tap: a real conversation, byte by byte

So far you built handshakes and frames by hand. Here you watch a real client (the `websockets`
library) talk to a real server, and read every byte they send each other. Then you play the
network: slow it down, freeze it, and cut it, and see what each side makes of it.

In this notebook you will:

1. put a *tap* between a client and a server,
2. read a whole conversation: the HTTP upgrade ([§4]({RFC}#section-4)), masked and unmasked
   frames ([§5.1]({RFC}#section-5.1), [§5.3]({RFC}#section-5.3)), a ping, the closing
   handshake ([§7.1.2]({RFC}#section-7.1.2)),
3. add a delay and measure it,
4. stall one direction, then let it go,
5. cut the connection and meet close code 1006,
6. look at `wss://` through the same tap.

Everything runs on 127.0.0.1; every wait in the code has a timeout.

**Before you start:** [01](01-handshake.ipynb) to [04](04-close-codes-and-1011.ipynb): the handshake, frames, keepalive and close codes you will now see on the wire. About 25 minutes."""),
    ("md", "01", """## What a tap is

A tap is a small TCP proxy on your own machine. The client connects to the tap; the tap opens its
own TCP connection to the server and copies bytes between the two, both ways:

```
client ──TCP──▶  tap  ──TCP──▶ server
       ◀──────        ◀──────
```

Every time the tap reads a piece of the byte stream (a *chunk*), it records the bytes, which way
they went (`c2s`: client to server, `s2c`: server to client) and when. It needs no root and no
packet capture: the bytes pass through our own Python process, so we simply keep a copy. The
recorded bytes are then dissected with the same code as in notebooks 01 and 02.

What a tap does *not* see: TCP itself. Segments, ACKs and retransmissions stay inside the
operating system; the tap sees the byte stream, the same bytes the two WebSocket endpoints see.

Because every byte goes through it, the tap can also interfere: hold bytes back (delay), stop
passing them on (stall), or drop both TCP connections at once (cut)."""),
    nbgen.live_guard_cell(),
    ("code", "02", """import threading
import time

from websockets.exceptions import ConnectionClosedError

from wslab.codec import describe
from wslab.live import LabServer, Tap, connect
from wslab.notebook import compare, rtt_figure, sequence_figure

Tap.stop_all()  # running this notebook again? stop what the last run left running
LabServer.stop_all()"""),
    ("md", "03", """## 1 · A server, and a tap in front of it

`LabServer` is a `websockets` server running in a background thread; its `/echo` route sends
back every message it gets. We turn its keepalive pings off, so the only pings you will see are
the ones we send. The tap listens on another port and passes every connection on to the server.

Both run in background threads. You can re-run any cell: the cell above stops whatever an earlier
run left behind, and the last cell of the notebook stops both."""),
    ("code", "04", """srv = LabServer(ping_interval=None).start()
tap = Tap("127.0.0.1", srv.port).start()
print("server listens on", srv.url)
print("the client connects to", tap.url_for("/echo"))"""),
    ("md", "05", """## 2 · A real conversation

`wslab.live.connect` is `websockets.sync.client.connect` with lab defaults: keepalive off,
compression off (so the payloads stay readable), every wait bounded. We connect *to the tap*,
send a text message, a binary message and a ping, and leave the `with` block, which closes
the connection."""),
    ("code", "06", """with connect(tap.url_for("/echo")) as ws:
    ws.send("Hello")                        # a text message
    print("echo:", ws.recv(timeout=5))
    ws.send(bytes([0, 1, 2, 255]))          # a binary message
    print("echo:", ws.recv(timeout=5))
    print("pong received:", ws.ping(b"are you there?").wait(timeout=5))

cid = tap.connections[-1].id    # the tap numbers its connections 1, 2, 3...
tap.wait_for("closed", cid)     # until the tap has seen both TCP connections end
talk = tap.transcript(cid)"""),
    ("md", "07", """### The sequence diagram

The client is on the left, the server on the right, time runs down (milliseconds since the
first byte, as the tap saw it). Solid arrows are what the two sides sent; dashed arrows are TCP
closing (FIN); notes in brackets are what happened to the TCP connections."""),
    ("code", "08", "print(talk)"),
    ("md", "09", """### Every frame, unfolded

The same transcript as a table. Click a row to unfold it: an HTTP message shows every header
explained, a frame shows its bytes, its header bit by bit and its payload (unmasked)."""),
    ("code", "10", "talk"),
    ("md", "11", "And as a figure:"),
    ("code", "12", "sequence_figure(talk)"),
    ("md", "13", f"""### What to notice

**The upgrade.** The conversation starts as HTTP: a `GET` with `Upgrade: websocket`, answered by
`101 Switching Protocols` ([§4.1]({RFC}#section-4.1), [§4.2.2]({RFC}#section-4.2.2)). Unfold
the two HTTP rows in the table: the server's `Sec-WebSocket-Accept` is checked against the
client's key, as in notebook 01. From the next byte on, both sides speak frames on the same TCP
connection.

**Masking.** Every frame the client sends is masked, and no frame the server sends is
([§5.1]({RFC}#section-5.1)). The client picks a fresh random 4-byte key for each frame
([§5.3]({RFC}#section-5.3)), so the payload bytes on the wire look random, while the server's
echo carries `Hello` in the clear:"""),
    ("code", "14", """(sent,) = talk.frames("c2s", "text")
(echoed,) = talk.frames("s2c", "text")
compare(sent.frame_dissection, echoed.frame_dissection,
        titles=("client → server: masked", "server → client: not masked"))"""),
    ("md", "15", f"""**The ping.** The server answered the client's ping with a pong carrying the same payload
([§5.5.2]({RFC}#section-5.5.2), [§5.5.3]({RFC}#section-5.5.3)).

**The closing handshake.** Closing takes a close frame *each way*
([§7.1.2]({RFC}#section-7.1.2)): the client sends one, the server answers with one, and only then
does TCP close (the server first, as [§7.1.1]({RFC}#section-7.1.1) recommends). Each close frame carries a
status code ([§7.4]({RFC}#section-7.4)):"""),
    ("code", "16", """for close in talk.close_frames():
    info = describe(close.code)
    print(f"{close.direction}: close {close.code} ({info.name}: {info.meaning})")"""),
    ("md", "17", """## 3 · Delay

Now the tap holds every chunk going from the server to the client for 200 ms before passing it
on. We measure two round trips on one connection, first without the delay, then with it:

- *echo*: send a message, wait for the echo (timed by this notebook),
- *ping*: send a ping, wait for its pong (`ws.latency`, measured by `websockets`)."""),
    ("code", "18", """ws = connect(tap.url_for("/echo"))
cid = tap.connections[-1].id

for delay in (0, 0.2):
    tap.set_delay("s2c", delay)
    start = time.perf_counter()
    ws.send("how long?")
    ws.recv(timeout=5)
    echo = time.perf_counter() - start
    for _ in range(5):
        ws.ping().wait(timeout=5)
    print(f"s2c delay {delay * 1000:3.0f} ms: echo {echo * 1000:6.1f} ms, "
          f"ping {ws.latency * 1000:6.1f} ms")"""),
    ("md", "19", """Both round trips grow by the delay, and only by the delay: the path back is slower, nothing
else changed.

A delay is not a bottleneck. Send five messages at once: the echoes come back 200 ms later, all
together, and in order. TCP delivers a byte stream in order, and the tap keeps that order."""),
    ("code", "20", """for i in range(5):
    ws.send(f"message {i}")
print([ws.recv(timeout=5) for _ in range(5)])

tap.set_delay("s2c", 0)
ws.close()
tap.wait_for("closed", cid)
delayed = tap.transcript(cid)"""),
    ("md", "21", """In the transcript, the times are when the tap *received* each chunk, and each frame the tap held
says for how long before passing it on. The server answered each ping and each message at once;
every answer reached the client 200 ms later, in the order it was sent."""),
    ("code", "22", "print(delayed)"),
    ("md", "23", """The tap measures ping round trips too, from the ping coming in to the pong going out: five
pings without the delay, five with it, as two labelled series."""),
    ("code", "24", """rtts = delayed.ping_rtts()  # in the order sent: five without the delay, five with it
rtt_figure({"no delay": rtts[:5], "s2c delay 200 ms": rtts[5:]},
           title="ping round trips, measured at the tap")"""),
    ("md", "25", """## 4 · Stall

A stall stops one direction altogether: the tap keeps reading what the server sends, but passes
nothing on to the client. The server's echo is there, in the tap; the client waits for it, up to
the half second we allow."""),
    ("code", "26", """ws = connect(tap.url_for("/echo"))
cid = tap.connections[-1].id
tap.stall("s2c")
ws.send("are you there?")

held = tap.wait_for("text", cid, direction="s2c", timeout=5)  # the server has answered...
print("the tap holds:", held.summary)
try:
    ws.recv(timeout=0.5)                                       # ... the client sees nothing
except TimeoutError:
    print("the client received nothing within 0.5 s")"""),
    ("md", "27", """Resume, and the echo arrives. Nothing was lost: the bytes waited in the tap, in order. TCP
behaves the same way on a real network: a lost segment is sent again, and bytes not read yet
wait in buffers. A stalled stream arrives late, not never, unless one side gives up first."""),
    ("code", "28", """tap.resume("s2c")
print("received:", ws.recv(timeout=5))
ws.close()
tap.wait_for("closed", cid)
print(tap.transcript(cid))"""),
    ("md", "29", """Try it: open a connection with `connect(tap.url_for("/echo"), close_timeout=1)`, stall `s2c`
and call `ws.close()` *without* resuming. The client's close frame reaches the server, and the
server answers with its own, which stays in the tap. After `close_timeout` the client gives up:
its `ws.close_code` is 1006, while the server saw a clean close, 1000 both ways
(`srv.connections`). Call `tap.resume("s2c")` afterwards to let the tap finish."""),
    ("md", "30", """## 5 · Cut

A cut resets both TCP connections at once (RST): the connection is simply gone, and no close
frame goes either way. To the two endpoints this looks like a proxy or a server that died. (A
pulled cable is worse: nothing arrives at all, and only a timeout, such as keepalive pings,
notices.)"""),
    ("code", "31", """ws = connect(tap.url_for("/echo"))
cid = tap.connections[-1].id
ws.send("still there?")
print("echo:", ws.recv(timeout=5))
mark = srv.log.mark()          # the server's event log, up to now

tap.cut(cid)
try:
    ws.recv(timeout=5)
except ConnectionClosedError as exc:
    print("the client:", exc)
print("client close code:", ws.close_code)"""),
    ("md", "32", f"""The client reports close code **1006, Abnormal Closure**. Nobody sent it: 1006 is never on the
wire. It is the code an endpoint *reports* when the connection closed without a close frame
([§7.1.5]({RFC}#section-7.1.5), [§7.4.1]({RFC}#section-7.4.1)). The server reports the same:"""),
    ("code", "33", """closed = srv.wait_for("closed", after=mark, timeout=5)
print("server close code:", closed.detail["code"],
      "| close frame sent:", closed.detail["sent"], "| received:", closed.detail["rcvd"])
info = describe(1006)
print(f"{info.code} {info.name}: {info.meaning}; on the wire: {info.on_wire} ({info.rfc})")"""),
    ("md", "34", "The transcript agrees: frames, then the cut, and no close frame at all."),
    ("code", "35", """cut = tap.transcript(cid)
print(cut)
print("close frames:", cut.close_frames())
print("TCP ended without a close frame:", cut.tcp_closed_without_close_frame())"""),
    ("md", "36", """## 6 · `wss://`: the same tap, encrypted

Now a server with TLS (`LabServer(tls=True)`, with a throwaway certificate authority that the
client is told to trust) and a tap in front of it. The client runs the TLS handshake with the
server *through* the tap, so the tap passes on bytes it cannot read."""),
    ("code", "37", """with LabServer(tls=True, ping_interval=None) as tls_srv, \\
        Tap("127.0.0.1", tls_srv.port) as tls_tap:
    url = tls_tap.url_for("/echo", scheme="wss")
    with connect(url, ssl=tls_srv.client_ssl_context()) as ws:
        ws.send("my secret")
        print("echo:", ws.recv(timeout=5))
    tls_tap.wait_for("closed")

secret = tls_tap.transcript()
print(secret)"""),
    ("md", "38", """The tap sees TLS records (their type and length), not a single WebSocket byte: no HTTP upgrade,
no frames, no close codes. The message is nowhere in what it recorded:"""),
    ("code", "39", """b"my secret" in b"".join(chunk.data for chunk in tls_tap.chunks())"""),
    ("md", "40", """That's the point of `wss://`: whatever sits between the client and the server (a proxy, a
router, a tap) can delay, stall or cut the connection, but cannot read it, nor change it without
the change being detected. To read it, a middlebox has to end TLS itself, with a certificate the
client trusts."""),
    ("md", "41", """## Clean up

Stop the tap and the server. No wslab thread is left running:"""),
    ("code", "42", """tap.stop()
srv.stop()
[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "43", f"""## What you saw

- A tap is a TCP proxy: it sees the byte stream both ways, with times, and can hold or drop it.
- A connection opens with an HTTP upgrade ([§4]({RFC}#section-4)); client frames are masked,
  server frames are not ([§5.1]({RFC}#section-5.1), [§5.3]({RFC}#section-5.3)); closing is a close
  frame each way, then TCP ([§7.1.2]({RFC}#section-7.1.2)).
- A delay adds to every round trip and keeps the order; a stall delivers late, not never.
- A cut leaves no close frame: both sides report 1006, a code that never goes on the wire
  ([§7.1.5]({RFC}#section-7.1.5), [§7.4.1]({RFC}#section-7.4.1)).
- Through `wss://`, a tap sees only TLS records.

## Check yourself

1. What can a tap read of a `wss://` connection, and what can it still measure?
2. The tap delays the server's bytes by 100 ms. What happens to a ping's round trip, and to the order of the messages?
3. A stall is released after 2 s. What arrives, and in which order?
4. After a cut, which frames crossed and which code does each side report?

## Next

[06 · Build a server](06-build-a-server.ipynb): write the server side yourself. Or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "05"), "nb05")


if __name__ == "__main__":
    nbgen.write(build(), "05-wire-tap.ipynb")
