"""Write notebooks/09-websocket-vs-http.ipynb (clean: no outputs). Run: python tools/make_nb09.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
SSE = "https://html.spec.whatwg.org/multipage/server-sent-events.html"
H1 = "https://www.rfc-editor.org/rfc/rfc9112"
HTTP = "https://www.rfc-editor.org/rfc/rfc9110"


CELLS = [
    ("md", "00", f"""# 09 · WebSocket vs HTTP for server push, measured

Every WebSocket article says it: lower latency than polling, less overhead than long polling or
streaming. RFC 6455 says where WebSocket comes from: web applications that needed the server to
speak first "required an abuse of HTTP to poll the server for updates" ([§1.1]({RFC}#section-1.1)),
and WebSocket replaces that with one TCP connection carrying frames both ways
([§1.2]({RFC}#section-1.2)).

Here you measure the claims on your own machine. One server (aiohttp) publishes the same stream of
events four ways, a real client takes them, and the tap counts every byte in between:

1. **HTTP short polling**: the client asks every *P* ms, "anything new?"
2. **HTTP long polling**: the client asks, and the server answers only when there is an event.
3. **Server-Sent Events** (SSE, [HTML Living Standard §9.2]({SSE})): one HTTP response that never ends.
4. **WebSocket**: one handshake, then one frame per event ([RFC 6455 §5.2]({RFC}#section-5.2)).

In this notebook you will:

1. predict, then measure, each transport's delivery time and bytes per event,
2. read the HTTP heads that polling pays for every answer, and the frames WebSocket sends,
3. compare your numbers with the figures the WebSocket literature quotes,
4. turn the knobs (rate, polling interval) and find where each transport wins.

Predict first, then measure. Everything runs on 127.0.0.1; every wait has a timeout.

**Before you start:** [01 · The opening handshake](01-handshake.ipynb) and [05 · The wire tap](05-wire-tap.ipynb). About 25 minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """from wslab.live import PushServer, Tap
from wslab.notebook import PushRace, hexdump, push_figure, show
from wslab.scenarios import push_race

PushServer.stop_all()  # running this notebook again? stop what the last run left running
Tap.stop_all()"""),
    ("md", "02", f"""## Predict

The server creates 40 events, 20 per second; each is a small JSON text such as
`{{"seq":7,"t":1234.5678}}` (`t`: when it was created). Short polling asks every 100 ms.
Before you run it, write down for each way:

- **latency** (event created → client has it): short polling waits for the next poll, up to *P*;
  the others send as soon as the event exists. Which is slowest, and by about how much?
- **bytes per event**: a poll is an HTTP request and an HTTP response, each with a head of header
  fields ([RFC 9112 §2.1]({H1}#section-2.1)); a WebSocket frame of up to 125 bytes from the server
  has a 2-byte header ([§5.2]({RFC}#section-5.2)); SSE wraps each event in `data: …` and a blank
  line.
- **requests and TCP connections**: HTTP/1.1 keeps a connection open for the next request
  ([RFC 9112 §9.3]({H1}#section-9.3)). How many requests does each way need for 40 events?"""),
    ("code", "03", """race = push_race()   # about 10 s: four runs of 2 s, each through its own tap
race"""),
    ("md", "04", f"""## What went over the wire

The tap recorded every byte. Here is one exchange of each way that carried an event, exactly as
it went: HTTP heads end with an empty line (`\\r\\n\\r\\n`), the SSE event travels inside
*chunked* transfer coding ([RFC 9112 §7.1]({H1}#section-7.1): a hexadecimal length, `\\r\\n`, the
bytes, `\\r\\n`), because aiohttp does not know the length of a response that never ends. The
WebSocket handshake's `101 Switching Protocols` ([RFC 9110 §15.2.2]({HTTP}#section-15.2.2)) ends
HTTP on that connection: what follows are frames."""),
    ("code", "05", """for run in race.runs.values():
    print(f"── {run.label} ──")
    for piece in run.exchange():
        print(f"{piece.direction}  {piece.what} ({len(piece.data)} bytes)")
        print("    " + repr(piece.data)[2:-1].replace("\\\\r\\\\n", "\\\\r\\\\n\\n    "))"""),
    ("md", "06", f"""Now the WebSocket frames byte by byte, from the tap's transcript. The server's frame: `81`
(FIN, opcode text) and one byte for MASK = 0 and the payload length: **2 bytes** of header
([§5.2]({RFC}#section-5.2)). The client's close frame: `88` and `82` (MASK = 1, length 2), then a
4-byte masking key ([§5.3]({RFC}#section-5.3)): **6 bytes** of header, because every frame from a
client is masked."""),
    ("code", "07", """transcript = race.runs["websocket"].transcript()
show(transcript.frames("s2c", "text")[0].frame_dissection)
show(transcript.frames("c2s", "close")[0].frame_dissection)"""),
    ("md", "08", """And the first SSE event and the first short poll's answer, as bytes:"""),
    ("code", "09", """show(hexdump(race.runs["sse"].exchange()[-1].data))
show(hexdump(race.runs["short-poll"].exchange()[-1].data))"""),
    ("md", "10", """## Latency and bytes, side by side

Left: for each way, the fraction of events delivered within *x* ms. Right: bytes on the wire per
event in each direction (all connections, HTTP heads included), with the size of the event's own
JSON as a dashed line."""),
    ("code", "11", """push_figure(race)"""),
    ("md", "12", """What to look for:

- **Short polling** is the slow one: an event waits for the next poll, so its latency is spread
  between a round trip and *P* (median about *P*/2). Several events can share one answer, and a
  poll with nothing new still costs a full request and response (the *empty polls* column).
- **Long polling** is as fast as a push, but pays a request and a response head per answer: with
  events further apart than a round trip, one request per event. That is the biggest byte count.
- **SSE** and **WebSocket** pay their heads once, then a few bytes per event: SSE `data: ` and
  `\\n\\n` (8 bytes) plus the chunk framing (6 bytes here), WebSocket 2 bytes from the server.
  The client sends nothing per event: no request at all.

On loopback a round trip is well under a millisecond, so the latencies of long polling, SSE and
WebSocket differ little here. Over a real network each poll adds a round trip, and a new TCP or
TLS connection adds more."""),
    ("md", "13", f"""## Next to the published figures

The numbers every article quotes come from Peter Lubbers and Frank Greco (Kaazing), *HTML5 Web
Sockets: A Quantum Leap in Scalability for the Web* (websocket.org, 2010): one poll of their
example application carried **871 bytes** of HTTP request and response headers, against **2
bytes** of framing per Web Socket message. Their 871 bytes were one desktop browser's request
(User-Agent, several Accept fields, cookies) and a Java application server's answer; their 2
bytes were the draft protocol of the time (a text framed as `00` … `ff`). In RFC 6455 a server's
small frame has a 2-byte header and a client's 6 ([§5.2]({RFC}#section-5.2)).

Your measurement:"""),
    ("code", "14", """for what, published, measured in race.comparison():
    print(f"{what:<50} published {published:<22} measured {measured}")"""),
    ("md", "15", """Why our poll is smaller than 871 bytes: aiohttp's client sends four header fields (`Host`,
`Accept`, `Accept-Encoding`, `User-Agent`) and no cookie; a browser sends more, and every cookie
of the site goes with every poll. The shape is the same: a few hundred bytes of heads per poll,
whether or not an event is ready, against 2 bytes per server frame.

## Turn the knobs

Raise the rate, shorten the polling interval, and race again. Try a polling interval shorter than
the time between events (more empty polls), or a rate so high that several events come within one
round trip (long polling then answers several at once, and its bytes per event drop)."""),
    ("code", "16", """PushRace()"""),
    ("md", "17", f"""## What you measured

- Short polling trades latency (up to *P*) against requests (one per *P*, event or not).
- Long polling delivers at once but costs a request and a response per answer.
- SSE ([HTML §9.2]({SSE})) and WebSocket ([RFC 6455 §5.2]({RFC}#section-5.2)) pay their HTTP
  heads once; then a few bytes per event. Only WebSocket lets the client send on the same
  connection, in frames of its own (masked, [§5.3]({RFC}#section-5.3)).
- The 871-byte figure is one browser's headers in 2010; yours depend on your client and your
  cookies. The tap shows exactly what they are.

## Check yourself

1. Per event, what does long polling cost that SSE and WebSocket do not?
2. Why are the HTTP headers measured here smaller than the often-quoted 871 bytes?
3. Which of the four lets the client send to the server on the same connection?
4. What does short polling trade off with its interval *P*?

## Next

[10 · Security](10-security.ipynb): masking, Origin, and what can go wrong. Or go back to the [overview](00-start-here.ipynb)."""),
]


def main() -> None:
    nbgen.write(nbgen.notebook(nbgen.with_exercises(CELLS, "09"), "nb09"), "09-websocket-vs-http.ipynb")


if __name__ == "__main__":
    main()
