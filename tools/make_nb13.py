"""Write notebooks/13-myths-checked.ipynb (clean: no outputs). Run: python tools/make_nb13.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
HTTP = "https://www.rfc-editor.org/rfc/rfc9110"


def s(n: str) -> str:
    """A link to RFC 6455 section ``n``."""
    return f"[§{n}]({RFC}#section-{n})"


CELLS = [
    ("md", "00", f"""# 13 · Myths, checked

Articles about WebSocket repeat claims that sound right and are not, or are true only
sometimes. This notebook is a critical-reading exercise: for each claim, **predict** whether
it holds, then run the cell under it, which checks it live on 127.0.0.1, and read the
verdict with the section of RFC 6455 that decides it.

**You will**

1. tell an HTTP status from a close code, and see why a refused handshake cannot carry 1011
   ({s("4.1")}, {s("7.4.1")}),
2. watch a server ping its client ({s("5.5.2")}),
3. measure WebSocket against long polling, for one event and for many,
4. find out what a pong proves, and what it does not ({s("5.5.2")}, {s("5.5.3")}),
5. separate XSS and CSRF from the attack that is WebSocket's own, cross-site WebSocket
   hijacking, and its defence, the `Origin` check ({s("10.2")}),
6. confirm that 1006 never crosses the wire ({s("7.1.5")}, {s("7.4.1")}).

**Before you start:** the course so far, above all [04 · Close codes](04-close-codes-and-1011.ipynb),
[09 · WebSocket vs HTTP](09-websocket-vs-http.ipynb) and [10 · Security](10-security.ipynb).
About 25 minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """import threading

from websockets.exceptions import InvalidStatus

from wslab import scenarios
from wslab.codec import Frame, is_sendable
from wslab.live import LabServer, connect

LabServer.stop_all()  # running this notebook again? stop what the last run left running"""),
    ("md", "02", f"""## Myth 1 · "A server may answer a handshake with close code 1011"

A server whose code fails while it handles the opening handshake must tell the client
something. Does it send close code 1011 (*Internal Error*, {s("7.4.1")})? **Predict**, then
run a server whose handshake hook raises:"""),
    ("code", "03", """refused = scenarios.run("handshake-500")
print(refused.summary_line())
print("HTTP status:", refused.http_status)
print("close frames on the wire:", refused.transcript.close_frames())"""),
    ("md", "04", f"""**Verdict: false.** A close code travels in a close *frame* ({s("5.5.1")}), and frames exist
only once the connection is open, after a `101 Switching Protocols` ({s("4.2.2")}). Before
that, the server speaks HTTP, and "if the status code received from the server is not 101,
the client handles the response per HTTP procedures" ({s("4.1")}). Here `websockets` answers
`500 Internal Server Error` ([RFC 9110 §15.6.1]({HTTP}#section-15.6.1)): the library's choice
of status. The client's program gets an HTTP status, never a close code; 1011 exists only on
an open connection, as notebook 04 showed four ways.

## Myth 2 · "The client sends pings, the server answers with pongs"

**Predict:** can a server ping its client? Here a server with keepalive on, and a client
that never pings:"""),
    ("code", "05", """server_pings = scenarios.run("server-ping", pings=2)
for entry in server_pings.transcript.frames():
    if entry.opcode_name in ("ping", "pong"):
        frame = entry.frame_dissection.frame
        print(f"{entry.direction}  {entry.opcode_name:4}  masked: {frame.masking_key is not None}")"""),
    ("md", "06", f"""**Verdict: false.** "An endpoint MAY send a Ping frame any time after the connection is
established" ({s("5.5.2")}): either endpoint, and the other answers with a pong carrying the
same data ({s("5.5.3")}). A `websockets` server pings every 20 s by default (the library's
choice); the client's pongs are masked like every client frame ({s("5.3")}). The myth
probably comes from browsers: a page's JavaScript cannot send a ping at all (notebook 12),
though the browser answers a server's pings.

## Myth 3 · "WebSocket is always more efficient than long polling"

Notebook 09 raced four transports. Here only two, for **one** event and then for **twenty**.
**Predict** for each: which costs fewer bytes on the wire, and which delivers sooner?"""),
    ("code", "07", """race = {events: scenarios.push_race(["websocket", "long-poll"], count=events, rate=20,
                                  calibrate=False, bar=False)
        for events in (1, 20)}
for events, result in race.items():
    for name, run in result.runs.items():
        print(f"{events:2} event(s)  {name:9}  {sum(run.wire.values()):5} bytes  "
              f"{run.requests:2} HTTP request(s)  median delivery {run.summary.p50_ms:5.2f} ms")
    cheaper = min(result.runs.values(), key=lambda run: sum(run.wire.values()))
    print(f"   fewer bytes for {events}: {cheaper.transport}")"""),
    ("md", "08", f"""**Verdict: not always.** For one event, the WebSocket handshake ({s("4.1")}, {s("4.2.2")}:
`Upgrade`, the key, the accept value, often an extension offer) and the closing handshake
cost more bytes than one long-poll request and its answer. For a stream of events, each
costs a frame header of 2 to 14 bytes on WebSocket ({s("5.2")}) and a whole HTTP request and
response head on long polling, so WebSocket wins clearly. The delivery time of an event that
finds a long poll waiting is about the same as on WebSocket: the answer is already expected.
Long polling falls behind when events come faster than a request round trip, since the next
request is not there yet. Efficiency depends on the traffic. RFC 6455 itself motivates WebSocket with
applications such as instant messaging and games, whose two-way traffic "has required an
abuse of HTTP to poll the server for updates" ({s("1.1")}): frequent traffic, both ways.

## Myth 4 · "Ping/pong tells you that the server's application is healthy"

**Predict:** the lab's `"/silent"` route reads each message and never answers, like an
application stuck on a dead database. Do the client's pings still get pongs?"""),
    ("code", "09", """stuck = scenarios.run("pong-stuck-app")
print(stuck.summary_line())
print("pong round trips (ms):", [round(t * 1000, 2) for t in stuck.extra["pong_rtts"]])
print("the application answered:", stuck.extra["answered"])"""),
    ("md", "10", """They do. Now a gateway that terminates WebSocket and relays messages to a backend server.
The backend stops; the gateway keeps the client's connection open. **Predict:** pongs or
not?"""),
    ("code", "11", """gateway = scenarios.run("pong-from-gateway")
print(gateway.summary_line())
print("pings the backend saw:", gateway.extra["upstream_pings"],
      "| dropped by the gateway:", gateway.extra["dropped"])
print("pong round trips (ms):", [round(t * 1000, 2) for t in gateway.extra["pong_rtts"]])"""),
    ("md", "12", """And the other way round: a handler that blocks the server's event loop (notebook 04). The
network is fine and the client answers every ping at once:"""),
    ("code", "13", """blocked = scenarios.run("1011-blocked-loop")
print(blocked.summary_line())
print("the pong reached the server before its 1011:", blocked.extra["pong_before_close"])"""),
    ("md", "14", f"""**Verdict: false.** A pong answers a ping on *one connection* ({s("5.5.2")}, {s("5.5.3")}).
`websockets` answers pings in the code that reads frames, outside your handler, so a stuck
application still pongs; an intermediary that terminates WebSocket answers for itself, so a
dead backend still pongs; and a blocked event loop misses pongs that did arrive, so a
healthy network fails with 1011. A pong proves that the nearest WebSocket endpoint still
reads frames, and keeps idle intermediaries from dropping the connection (notebook 12). To
know the *application* works, ask the application: a request it must answer within a
timeout (an application-level heartbeat).

## Myth 5 · "WebSocket is vulnerable to XSS and CSRF"

Half true, and the true half has its own name.

- **XSS** (cross-site scripting) is a page running an attacker's script. A chat page that
  puts received text into `innerHTML` is vulnerable whether the text came by WebSocket, by
  `fetch` or in the HTML; WebSocket adds no risk and removes none. Escape what you display.
- **CSRF** (cross-site request forgery) is a page of another site making the browser send a
  request that carries your cookies. The WebSocket version is worse: the same-origin policy
  and CORS do not apply to a WebSocket handshake, so a page of *any* site may open a
  connection to any server and, unlike a forged request, **read the answers**. This is
  *cross-site WebSocket hijacking* (notebook 10). The browser cannot hide where the page
  came from: it sends `Origin` ({s("4.1")}, item 8), and a server that serves certain sites
  only "SHOULD verify the |Origin| field" ({s("10.2")}).

**Predict:** a bank's endpoint trusts its session cookie. Does a page on `evil.example`
read Alice's account? And after an `Origin` check?"""),
    ("code", "15", """SESSION = "f81d4fae-7dec-11d0-a765"  # Alice's session id, in her browser's cookie
ALICES_BROWSER = {"Cookie": f"session={SESSION}"}
bank = LabServer(token=SESSION, ping_interval=None).start()  # trusts the cookie, no Origin check
with connect(bank.url + "/account", origin="https://evil.example",
             additional_headers=ALICES_BROWSER) as ws:
    print("evil.example reads:", ws.recv(timeout=5))
bank.stop()

bank = LabServer(token=SESSION, ping_interval=None, origins=["https://bank.example"]).start()
try:
    connect(bank.url + "/account", origin="https://evil.example", additional_headers=ALICES_BROWSER)
except InvalidStatus as exc:
    print("with an Origin check:", exc.response.status_code, exc.response.reason_phrase)
bank.stop()"""),
    ("md", "16", f"""**Verdict: the risk is real, and it is specific.** Cross-site WebSocket hijacking works
whenever a server accepts a cross-site handshake on the strength of cookies; the `Origin`
check refuses it with HTTP 403 before any frame. It protects against browsers only: any
other program sends whatever `Origin` it likes ({s("1.6")}, {s("10.1")}), so authentication still
belongs in the handshake (notebook 10).

## Myth 6 · "1006 is sent when the connection drops"

**Predict:** the tap cuts the TCP connection in the middle. Which close frame crosses the
wire?"""),
    ("code", "17", """cut = scenarios.run("1006-cut")
print(cut.summary_line())
print("close frames on the wire:", cut.transcript.close_frames())
print("may go on the wire:", {code: is_sendable(code) for code in (1000, 1004, 1005, 1006, 1015)})
try:
    Frame.close(1006)
except ValueError as err:
    print(err)"""),
    ("md", "18", f"""**Verdict: false.** None crosses: the connection is gone, nothing can be sent on it. 1006 is
what each side *reports* when the connection closed without a close frame ({s("7.1.5")}), and
it "MUST NOT be set as a status code in a Close control frame by an endpoint" ({s("7.4.1")}).
The same holds for 1005 (a close frame without a code) and 1015 (a TLS handshake failure);
1004 is reserved. wslab refuses to build such a frame.

No wslab thread is left running:"""),
    ("code", "19", """[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "20", f"""## What you saw

- A refused handshake is an HTTP status; close codes, 1011 included, exist only after the
  `101` ({s("4.1")}, {s("7.4.1")}).
- Either side may ping; the other answers with a pong carrying the same data ({s("5.5.2")},
  {s("5.5.3")}).
- WebSocket costs more than long polling for a single event (the handshake), far less for a
  stream; delivery times are close while a long poll is waiting.
- A pong proves that the nearest WebSocket endpoint reads frames: not that the application
  works (a stuck handler pongs), not that the server behind a gateway is alive, and a missing
  pong may mean a blocked loop rather than a dead network.
- XSS is the page's problem; the WebSocket-specific attack is cross-site hijacking, stopped
  in browsers by an `Origin` check ({s("10.2")}).
- 1006 (and 1005, 1015) are reported, never sent ({s("7.1.5")}, {s("7.4.1")}).

## Check yourself

1. A blog post says its server "closes failed handshakes with 1002". What does the client
   really receive, and what should the post say instead?
2. Why does a browser answer a server's pings even though a page's script cannot send one?
3. Your application sends one notification per user per day. WebSocket or long polling?
   What would change your answer?
4. Your monitoring says "pong OK" while users see no answers. Name two causes, and a check
   that would catch them.
5. Which header stops cross-site WebSocket hijacking from a browser, and why is it no
   defence against a script run outside a browser?

## Next

That is the whole course. Go back to the [overview](00-start-here.ipynb) for the course map,
or to the [frame workbench](07-frame-workbench.ipynb) to try byte patterns of your own."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "13"), "nb13")


if __name__ == "__main__":
    nbgen.write(build(), "13-myths-checked.ipynb")
