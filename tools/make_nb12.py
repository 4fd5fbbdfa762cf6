"""Write notebooks/12-closing-and-intermediaries.ipynb (clean: no outputs). Run: python tools/make_nb12.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
WHATWG = "https://websockets.spec.whatwg.org/"


def s(n: str) -> str:
    """A link to RFC 6455 section ``n``."""
    return f"[§{n}]({RFC}#section-{n})"


CELLS = [
    ("md", "00", f"""# 12 · Closing, and the boxes in between

TCP already has a way to end a connection (FIN). Why does WebSocket add a closing handshake
of its own? And what happens to a WebSocket on its way through proxies, load balancers and
NAT boxes, which may know nothing about it?

**You will**

1. watch a closing handshake and the TCP close after it, and see who closes TCP first and why
   ({s("1.4")}, {s("7.1.1")}–{s("7.1.4")}),
2. see why a proxy has to *know* WebSocket: `Upgrade` and `Connection` are hop-by-hop headers,
   and `wss://` goes through a `CONNECT` tunnel ({s("4.1")}),
3. learn why idle connections die, and what keepalive is really for,
4. reconnect after 1006, 1011, 1012 and 1013 the way the RFC asks: with backoff ({s("7.2.3")}),
5. see the same connection from a browser's JavaScript, which can do less than you might think.

**Before you start:** notebooks 03 (keepalive), 04 (close codes) and 05 (the tap). About 25
minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """import threading

import websockets.client

from wslab import scenarios
from wslab.codec import CloseCode, build_request, check_request, describe, is_sendable"""),
    ("md", "02", f"""## 1 · A closing handshake, then TCP

{s("1.4")} says why the closing handshake exists: it "is intended to complement the TCP
closing handshake (FIN/ACK), on the basis that the TCP closing handshake is not always
reliable end-to-end, especially in the presence of intercepting proxies and other
intermediaries." A close frame travels *inside* the WebSocket, so every box on the way
passes it along like data: when both sides have sent and received one, both know that
everything sent before it has arrived ({s("7.1.2")}).

Here the client starts the close; the tap (notebook 05) records the frames and the TCP
events:"""),
    ("code", "03", """closed = scenarios.run("1000-client")
t0 = closed.transcript.t0
for entry in closed.transcript.entries:
    if entry.opcode_name == "close" or entry.kind == "tcp":
        print(f"{(entry.t - t0) * 1000:6.1f} ms  {entry.direction or '':4} {entry.summary}")"""),
    ("md", "04", f"""Read it in order: close frame from the client, close frame back from the server, then the
**server's FIN first**. {s("7.1.1")} asks for that: the side that closes TCP first keeps
the connection in TIME_WAIT for a few minutes, and a busy client would rather not. The
server, which closes first, pays nothing extra: TCP lets a new connection from the same
client reuse that slot. Both sides then report the code they received, and the
connection closed *cleanly* ({s("7.1.4")}).

Now the same conversation when the network dies in the middle: the tap cuts TCP (RST both
ways). No close frame crosses; nobody knows what arrived; both sides report 1006
({s("7.1.5")}), a code that is never sent:"""),
    ("code", "05", """cut = scenarios.run("1006-cut")
print(cut.summary_line())
print("close frames on the wire:", cut.transcript.close_frames())"""),
    ("md", "06", """## 2 · Proxies must know WebSocket

`Upgrade` and `Connection` are *hop-by-hop* headers: they speak to the next box only, and an
HTTP intermediary removes them before forwarding (RFC 9110 §7.6.1 for `Connection`, §7.8 for
`Upgrade`). A proxy that does not know WebSocket therefore forwards a plain GET, and the
server refuses it. That is why, for example, nginx needs to be told to pass them on
(`proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";`).
Here is what the server sees after such a proxy:"""),
    ("code", "07", """request = build_request("ws://example.com/chat")
forwarded = request.replace(headers=[(n, v) for n, v in request.headers
                                     if n.lower() not in ("upgrade", "connection")])
print(forwarded.head().decode())
for problem in check_request(forwarded):
    print(problem.status, problem.message, f"[{problem.rfc}]")"""),
    ("md", "08", f"""With `wss://` the proxy sees nothing of that: the client asks it to open a plain TCP
tunnel with `CONNECT` and speaks TLS through it ({s("4.1")}; its example uses port 80), so
the HTTP upgrade and every frame are encrypted end to end. This is one reason `wss://`
works through more corporate proxies than `ws://` does:

```
CONNECT example.com:443 HTTP/1.1
Host: example.com:443
```

## 3 · Idle connections die

Proxies, load balancers and NAT gateways keep a table entry per connection and drop entries
that stay quiet too long, without telling either end. Typical defaults: 60 s for nginx's
`proxy_read_timeout` and for AWS's Application Load Balancer, a few minutes for many home
NATs. A WebSocket that waits for rare events is quiet for long stretches, so it dies
silently in the middle, and the next `send` finds out much later.

This, more than detecting a dead peer, is what keepalive is for: a ping every
`ping_interval` (20 s by default in `websockets`, the library's choice) keeps the path busy,
and the pong proves that the path still works ({s("5.5.2")}, notebook 03). Prediction
exercise: behind a proxy with a 60 s idle timeout, which `ping_interval` values keep a
silent connection alive?"""),
    ("code", "09", """IDLE_TIMEOUT = 60.0  # seconds, e.g. nginx's proxy_read_timeout default
for ping_interval in (20.0, 45.0, 59.0, 75.0, None):
    alive = ping_interval is not None and ping_interval < IDLE_TIMEOUT
    print(f"ping_interval={ping_interval!s:>5}: the proxy {'never sees' if alive else 'sees'} "
          f"{IDLE_TIMEOUT:g} s of silence")"""),
    ("md", "10", """(Strictly, a ping *just* under the timeout races with the proxy's timer, and the pong
needs the way back too: leave a margin.)

## 4 · Reconnecting, with backoff

Connections end. What a client should do next depends on why:"""),
    ("code", "11", """advice = {
    CloseCode.GOING_AWAY: "the server went away: reconnect, maybe elsewhere",
    CloseCode.ABNORMAL_CLOSURE: "the network or the peer died: reconnect, with backoff",
    CloseCode.INTERNAL_ERROR: "a server bug or a missed pong: reconnect with backoff, read logs",
    CloseCode.SERVICE_RESTART: "the server restarts: reconnect soon, with backoff",
    CloseCode.TRY_AGAIN_LATER: "the server is overloaded: reconnect later, longer backoff",
    CloseCode.POLICY_VIOLATION: "refused: the same request fails the same way again",
    CloseCode.PROTOCOL_ERROR: "a bug in one of the two programs: fix it, do not loop",
}
for code, what in advice.items():
    print(f"{code} {describe(code).name:<22} {what}")"""),
    ("md", "12", f"""Whatever the reason, {s("7.2.3")} asks clients not to reconnect all at once: after an
abnormal closure, "the first reconnect attempt SHOULD be delayed by a random amount of time",
and later ones by "increasingly longer amounts of time, using a method such as truncated
binary exponential backoff". Otherwise, when a server restarts, all its clients come back in
the same millisecond and knock it over again.

The `websockets` library does exactly this in its reconnecting clients (`async for ws in
connect(...)`, `for ws in reconnect(...)` with the sync API): a random first delay of up to
5 s, then 3.1 s growing by a factor 1.618 up to 90 s (the library's choice of numbers; it
retries network errors and HTTP 500, 502, 503, 504, not a refused handshake):"""),
    ("code", "13", """delays = websockets.client.backoff()
print([round(next(delays), 1) for _ in range(10)])"""),
    ("md", "14", f"""## 5 · The same connection, from a browser

Most WebSocket clients are web pages, and the browser API ([WHATWG WebSockets Standard]({WHATWG}))
hides much of the protocol:

- **no pings**: a page cannot send a ping or see a pong; the browser answers pings itself
  ({s("5.5.2")}), and whether it ever pings is up to the browser;
- **close codes**: `ws.close(code, reason)` accepts only 1000 or 3000–4999 (else it throws
  `InvalidAccessError`) and a reason of at most 123 bytes of UTF-8;
- **what a page learns**: the `close` event has `code`, `reason` and `wasClean` (the closing
  handshake completed, {s("7.1.4")}); a failure before or during the handshake gives an
  `error` event with no details at all, and then `code` 1006, on purpose, so a page cannot
  probe the network.

Which codes a page may send, next to the ones any endpoint may send ({s("7.4")}):"""),
    ("code", "15", """def page_may_close_with(code):
    return code == CloseCode.NORMAL_CLOSURE or 3000 <= code <= 4999


for code in (1000, 1001, 1008, 1011, 3000, 4000, 4999, 5000):
    print(f"{code}: on the wire {'yes' if is_sendable(code) else 'no ':3}  "
          f"from a page {'yes' if page_may_close_with(code) else 'no'}")"""),
    ("md", "16", """No wslab thread is left running:"""),
    ("code", "17", """[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "18", f"""## What you saw

- The closing handshake tells both sides that everything before it arrived; TCP's FIN alone
  cannot, through intermediaries ({s("1.4")}, {s("7.1.2")}). The server closes TCP first
  ({s("7.1.1")}); a connection that ends without it reports 1006 on both sides ({s("7.1.5")}).
- `Upgrade` and `Connection` are hop-by-hop: a proxy must be WebSocket-aware to pass a `ws://`
  handshake on; `wss://` tunnels through `CONNECT` and is opaque to it ({s("4.1")}).
- Middle boxes drop quiet connections; keepalive pings keep the path busy and prove it works.
- Reconnect after 1001, 1006, 1011, 1012, 1013 with random, growing delays ({s("7.2.3")}); do
  not loop on 1002 or 1008.
- A web page cannot ping, may close only with 1000 or 3000–4999, and learns little on failure.

## Check yourself

1. Which side should close TCP first, and what does the other side gain from it?
2. A corporate proxy forwards HTTP but strips hop-by-hop headers. What does a `ws://`
   handshake through it get, and why does `wss://` often work through the same proxy?
3. Your users' connections die after exactly 60 s of silence. What is the likely cause, and
   which `ping_interval` do you set?
4. A server restarts and 10,000 clients reconnect at once. Which section of RFC 6455 did the
   clients ignore, and what should they do?
5. Can a page's JavaScript close a connection with 1011? With 4001? Why the difference?

## Next

Go back to the [overview](00-start-here.ipynb) for the rest of the course."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "12"), "nb12")


if __name__ == "__main__":
    nbgen.write(build(), "12-closing-and-intermediaries.ipynb")
