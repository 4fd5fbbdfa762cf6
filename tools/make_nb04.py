"""Write notebooks/04-close-codes-and-1011.ipynb (clean: no outputs). Run: python tools/make_nb04.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
IANA = "https://www.iana.org/assignments/websocket/websocket.xhtml#close-code-number"
ERRATUM = "https://www.rfc-editor.org/errata/rfc6455"


def s(section: str) -> str:
    """A link to a section of RFC 6455, e.g. s("7.4.1") -> [§7.4.1](...)."""
    return f"[§{section}]({RFC}#section-{section})"


CELLS = [
    ("md", "00", f"""# 04 · Close codes and 1011

Every WebSocket connection ends with a close code, even when nobody sent one. A close frame
carries a 2-byte status code and an optional reason ({s("5.5.1")}), and each side then
*reports* a code for the whole connection ({s("7.1.5")}):

- the code of the **first close frame it received**;
- **1005** if that frame had no code;
- **1006** if it received no close frame at all.

So what a side *sent*, what it *received* and what it *reports* are three different things.
Every experiment below shows all three, for both sides, checked against the bytes on the wire.

In this notebook you will:

1. read the registry of close codes ({s("7.4")} and the [IANA registry]({IANA})), and which
   ones may be sent,
2. end a connection with **1011** four ways, and see who sends it and who reports what,
3. tour the other codes, one call each,
4. see why a failed *handshake* is an HTTP status, never a close code.

Each experiment is one call: it starts its own server behind its own tap (notebook 05) on
127.0.0.1, runs, and tears everything down. Every wait has a timeout.

**Before you start:** [03 · Ping, pong and keepalive](03-ping-pong-keepalive.ipynb). The experiments here run a real server behind a *tap*: a small proxy on 127.0.0.1 that records every byte both ways, with times, and can delay, stall or cut the traffic. [05 · The wire tap](05-wire-tap.ipynb) takes it apart; here you only read what it recorded. About 30 minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """import threading

from websockets.exceptions import InvalidStatus

from wslab import scenarios
from wslab.codec import describe, is_sendable, registry_table
from wslab.live import LabServer, connect, format_events
from wslab.notebook import scenario_figure, show
from wslab.scenarios import format_close"""),
    ("md", "02", f"""## 1 · The registry

RFC 6455 defines 1000–1011 and 1015 ({s("7.4.1")}) and set up an IANA registry for more
({s("11.7")}); 1012–1014 were added there later. `registry_table()` lists them all: who may
send each one, whether it may appear in a close frame, typical causes, and in the last rows the
ranges around them. (`print(registry_table())` gives the same as text.)"""),
    ("code", "03", """registry_table()"""),
    ("md", "04", f"""Three codes must never be put in a close frame, and one is not to be used yet
({s("7.4.1")}):

- **1005**, **1006** and **1015** are not messages but *diagnoses*: a side reports them when
  the close frame had no code, when no close frame came at all, and when the TLS handshake
  failed. RFC 6455 says an endpoint MUST NOT send them; `websockets` treats a close frame
  that carries one as a protocol error and fails the connection with 1002.
- **1004** is *reserved*: its meaning "might be defined in the future". No endpoint sends it
  today, and receivers such as `websockets` (and the Autobahn Testsuite) treat it as invalid,
  but the RFC's MUST NOT does not name it.

`describe(code)` gives one code's entry, as a card:"""),
    ("code", "05", """describe(1011)"""),
    ("md", "06", f"""Beyond the registry, ranges ({s("7.4.2")}): **3000–3999** are registered with IANA by
libraries, frameworks and applications, **4000–4999** are for private use by an application, and
everything else (below 1000, 1016–2999, 5000 and up) may not be sent. `describe` answers for
any number, and `is_sendable` says whether it may be sent:"""),
    ("code", "07", """for code in (999, 1016, 2999, 3000, 3999, 4000, 4999, 5000):
    info = describe(code)
    print(f"{code:>5}  may be sent: {is_sendable(code)!s:<5}  {info.name}: {info.meaning}")"""),
    ("md", "08", f"""## 2 · 1011 four ways

1011 *Internal Error* means: "an unexpected condition prevented me from fulfilling the
request" ({s("7.4.1")}). RFC 6455 first said only a *server* sends it; an
[erratum]({ERRATUM}) corrected that to either endpoint. The `websockets` library sends it in
the three situations below, and each one ends differently for the two sides; the fourth
experiment looks like the second, but the network is not to blame.

### 2a · The server's handler raises

The route `/raise` raises an exception as soon as the connection is open."""),
    ("code", "09", """crash = scenarios.run("1011-handler-exception")
crash"""),
    ("md", "10", """Click the rows of the transcript to unfold a close frame: its payload is `03 f3`, 1011 in
two bytes, and no reason. The server's event log shows the order: first the exception, then
the close frame."""),
    ("code", "11", """print(format_events(crash.events))
scenario_figure(crash)"""),
    ("md", "12", f"""**What it teaches.** The *server* sends 1011: its application failed, not the protocol.
The client answers with the same code ({s("5.5.1")}), so both sides received a 1011 and both
report it. The traceback stays in the server's log; the client learns only "1011, internal
error", which is as it should be: a server does not tell its clients about its internals.

### 2b · The server's keepalive gets no pong

The server pings every 0.2 s (notebook 03) and this client, a raw socket, never answers. After
`ping_timeout` = 0.2 s the server gives up."""),
    ("code", "13", """unanswered = scenarios.run("1011-keepalive-timeout")
unanswered"""),
    ("code", "14", """scenario_figure(unanswered)"""),
    ("md", "15", f"""**What it teaches.** The *server* sends 1011 with the reason `"keepalive ping timeout"`,
`ping_timeout` after its ping. This is *failing* the connection ({s("7.1.7")}): the server
sends its close frame, closes TCP and processes nothing more. The client's echoed close frame
does reach it (the tap delivered it), but it is ignored. Hence the client reports 1011, and the
server, the one who sent 1011, reports **1006**.

### 2c · The client's keepalive gets no pong

Now the client pings every 0.2 s, and the tap *stalls* everything the server sends (notebook
05): the pong never reaches the client."""),
    ("code", "16", """stalled = scenarios.run("1011-client-keepalive")
stalled"""),
    ("code", "17", """scenario_figure(stalled)"""),
    ("md", "18", f"""**What it teaches.** The *client* sends 1011 `"keepalive ping timeout"`; the server
receives it, echoes it and reports 1011. The client has *failed* the connection
({s("7.1.7")}): like the server in 2b, it sent its close frame, closed TCP and processes nothing
more, so even an echo that reached it would be discarded. It reports **1006**: it processed no
close frame ({s("7.1.5")}). (Here the tap also holds the server's echo, with the pong: the
crosses in the figure. That is why the pong never came, not why the client reports 1006.)

### 2d · The pong came, and still 1011

The server pings, the client answers at once, and the server closes with 1011
`"keepalive ping timeout"` anyway: its handler blocked the event loop with `time.sleep()`, so
the pong waited unread until the timer had run out. Notebook 03 (section 5) takes it apart;
here, one line:"""),
    ("code", "36", """blocked = scenarios.run("1011-blocked-loop")
print(blocked.summary_line())"""),
    ("md", "37", """On the wire it is 2b again, but the pong is there, delivered by the tap before the 1011.

### The four, side by side

`scenarios.summary_table` puts results in one table: the first close frame and who sent it,
the answer, and the code each side reports."""),
    ("code", "19", """scenarios.summary_table([crash, unanswered, stalled, blocked])"""),
    ("md", "20", f"""- **Who sends 1011** is the side that ran into trouble: the server whose handler failed or
  whose ping went unanswered, the client whose ping went unanswered.
- **1006 is reported by the side that failed the connection** (2b, 2c, 2d): it sent its
  1011, closed TCP and stopped reading, so it processed no close frame, not even the echo
  ({s("7.1.7")}, {s("7.1.5")}). Nobody ever *sent* 1006.
- The same code on the wire can mean a bug (2a, 2d) or a network or load problem (2b, 2c);
  the reason (`"keepalive ping timeout"`), the transcript and the server's log tell them
  apart."""),
    ("md", "21", """## 3 · A tour of the other codes

One call each, one table: the first close frame on the wire and who sent it, the other
side's answer (an echo, except after the cut: no close frame at all), and the code each side
reports."""),
    ("code", "22", """TOUR = ["1000-client", "1000-server", "1001-shutdown", "1002-unmasked",
        "1002-reserved-opcode", "1002-rsv-bit", "1006-cut", "1007-invalid-utf8",
        "1008-policy", "1009-too-big", "1012-restart", "1013-try-again"]
tour = {name: scenarios.run(name) for name in TOUR}
scenarios.summary_table(tour)"""),
    ("md", "23", f"""Patterns to spot (`print(tour[name].summary_line())` says it in words,
`print(tour[name])` tells the whole story):

- **1000** and **1001**: a normal closing handshake ({s("7.1.2")}); whoever starts, the other
  echoes the code and both report it. 1001 *Going Away* is a server shutting down.
- **1002**, **1007**, **1009**: the client broke a rule or a limit (an unmasked frame, a reserved
  opcode, an RSV bit without an extension, text that is not UTF-8, a message over the server's
  `max_size`). The server
  *fails* the connection ({s("7.1.7")}): it sends the code, ignores the echo and reports 1006,
  as in 2b.
- **1006**: the tap cut TCP; no close frame went either way, and both sides report 1006.
- **1008**: the application closes on purpose, with a reason (`"bad token"`).
- **1012** and **1013**, from the IANA registry: a server restarting, a server full. They
  invite the client to come back later.

Two of them in full. First an unmasked client frame: the server answers 1002, and the
dissector (notebook 02) names the rule the frame broke."""),
    ("code", "24", """unmasked = tour["1002-unmasked"]
print(unmasked)
show(unmasked.transcript.frames("c2s")[0].frame_dissection)"""),
    ("md", "25", f"""Then the cut: a connection that simply disappears. Nobody sent a close frame, so there
is nothing to report but 1006 ({s("7.1.5")}); the cut is the dashed line with crosses."""),
    ("code", "26", """cut = tour["1006-cut"]
print("client reports:", format_close(cut.client_close))
print("server reports:", format_close(cut.server_close))
print("close frames on the wire:", cut.transcript.close_frames())
scenario_figure(cut)"""),
    ("md", "27", f"""## 4 · A failed handshake is HTTP, not a close code

Close frames exist only on an open WebSocket connection, that is after `101 Switching
Protocols` ({s("4.1")}, {s("5.5.1")}). Before that the two sides speak HTTP, and a server that
refuses the upgrade answers with an HTTP status ({s("4.2.2")}) and closes TCP. Four refusals:"""),
    ("code", "28", """refusals = [scenarios.run(name) for name in
            ["handshake-version", "handshake-bad-key", "handshake-origin", "handshake-500"]]
scenarios.summary_table(refusals)"""),
    ("md", "29", f"""- **426 Upgrade Required**: the client asked for `Sec-WebSocket-Version: 8`; the answer
  lists the version the server speaks, `13` ({s("4.2.2")}, {s("4.4")}).
- **400 Bad Request**: the `Sec-WebSocket-Key` is not 16 bytes in base64 ({s("4.1")}).
- **403 Forbidden**: an `Origin` the server does not accept ({s("10.2")}).
- **500 Internal Server Error**: the server itself failed during the handshake.

Not one close frame, and so no close code on either side. The last one in full: the server's
answer, explained line by line, and what the server logged."""),
    ("code", "30", """refused = refusals[-1]  # handshake-500
print(refused.extra["http_response"])
print()
print("the server logged:", refused.extra["exception"])
print(refused.transcript)"""),
    ("md", "31", """### "The server sent 1011 during the handshake"? It cannot.

A common belief is that a server that fails while handling the handshake sends close 1011.
There is no WebSocket connection yet, so there is no frame to carry a code: the server answers
`HTTP 500` and closes TCP. Compare with 2a: a handler that fails *after* the 101 does send 1011.

A client sees the difference too. The `websockets` client raises `InvalidStatus`, with the HTTP
response, when a handshake is refused, and `ConnectionClosed`, with a close code, only once a
connection was open. Here a real server refuses an `Origin`:"""),
    ("code", "32", """with LabServer(origins=["http://good.example"]) as server:
    try:
        connect(server.url + "/echo", origin="http://evil.example")
    except InvalidStatus as exc:
        print(f"{type(exc).__name__}: {exc}")
        print("HTTP status:", exc.response.status_code)"""),
    ("md", "40", f"""## Run any scenario yourself

Every scenario of this notebook, and the others of the lab (`scenarios.describe()` lists them
all), one click away: pick one, set the parameters it takes, **run**. You get the summary line,
both sides' close codes ({s("7.1.5")}), the transcript and the sequence figure. Try
`intercept-unmask`: the tap clears the MASK bit of a client frame in flight and the server
answers 1002 ({s("5.1")}); `intercept-drop-pongs` ends in 1011."""),
    ("code", "41", """from wslab.notebook import ScenarioRunner

ScenarioRunner("intercept-unmask")"""),
    ("md", "33", """## Clean up

Each scenario stopped its own server and tap, and the `with` block stopped the last server. No
wslab thread is left running:"""),
    ("code", "34", """[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "35", f"""## What you saw

- A close frame carries a code; each side *reports* the code of the first close frame it
  received, 1005 if it had none, 1006 if none came ({s("7.1.5")}). 1005, 1006 and 1015 must
  never go on the wire; 1004 is reserved ({s("7.4.1")}).
- 3000–3999 are registered by libraries and applications, 4000–4999 are private, the rest of
  the numbers may not be sent ({s("7.4.2")}).
- 1011 is sent by whichever side hit the problem: a failing handler, or a keepalive ping with
  no pong, on the server or the client ([an erratum]({ERRATUM})); or with a pong its blocked
  event loop did not read in time.
- A side that *fails* the connection ignores the echo and reports 1006 ({s("7.1.7")}).
- A refused handshake is an HTTP status (400, 403, 426, 500...), never a close code.

## Check yourself

1. In 2b and 2c, the side that sent 1011 reports 1006. Why?
2. Can a server refuse a handshake with close code 1011? What does it send instead?
3. Which codes must never be put in a close frame, and what do they mean when a side reports them?
4. Your application wants its own code for "room full". Which range do you pick it from?
5. A client sends a text message that is not valid UTF-8. Which code does the server close with?

## Next

[05 · The wire tap](05-wire-tap.ipynb): watch and disturb a conversation byte by byte yourself. Or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "04"), "nb04")


if __name__ == "__main__":
    nbgen.write(build(), "04-close-codes-and-1011.ipynb")
