"""Write notebooks/03-ping-pong-keepalive.ipynb (clean: no outputs). Run: python tools/make_nb03.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"


def s(section: str) -> str:
    """A link to a section of RFC 6455, e.g. s("5.5.2") -> [§5.5.2](...)."""
    return f"[§{section}]({RFC}#section-{section})"


CELLS = [
    ("md", "00", f"""# 03 · Ping, pong and keepalive

A WebSocket connection can stay open for hours with nothing to say. How does either side know
the other one is still there? It asks: a **ping**, answered by a **pong**
({s("5.5.2")}, {s("5.5.3")}).

In this notebook you will:

1. build a ping and its pong byte by byte, and see the rules they follow,
2. ping a real server and measure the round-trip time, as the client and as the tap see it,
3. let the server ping the client every few hundred milliseconds: *keepalive*,
4. **predict** when keepalive gives up with close code 1011, then **measure** it,
5. watch a blocked event loop cause a 1011 although the pong came in time.

Each experiment is one call: it starts its own server behind its own tap (notebook 05) on
127.0.0.1, runs, tears everything down and hands back what both sides and the wire saw. Every
wait has a timeout.

**Before you start:** [01 · The opening handshake](01-handshake.ipynb) and [02 · Frame anatomy](02-frame-anatomy.ipynb). The experiments here run a real server behind a *tap*: a small proxy on 127.0.0.1 that records every byte both ways, with times, and can delay, stall or cut the traffic. [05 · The wire tap](05-wire-tap.ipynb) takes it apart; here you only read what it recorded. About 25 minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """import threading

from wslab import Frame, Opcode, dissect, scenarios
from wslab.notebook import rtt_figure, scenario_figure"""),
    ("md", "02", f"""## 1 · Ping and pong are control frames

A ping has opcode `0x9`, a pong `0xA` ({s("5.2")}). Both are *control frames* ({s("5.5")}), so:

- their payload is **at most 125 bytes**, and they are **never fragmented** (FIN is always 1);
- they **may arrive in the middle of a fragmented message**, between two of its frames
  ({s("5.4")}), but never inside a frame: a ping waits behind a long message sent as one
  frame (what `websockets` does for each `send()`), and only a sender that fragments lets it
  through early.

What they carry and who answers ({s("5.5.2")}, {s("5.5.3")}):

- a ping may carry "application data"; the pong that answers it carries **exactly the same
  bytes**, which is how the pinger matches a pong to its ping;
- an endpoint that receives a ping **must** answer with a pong, as soon as is practical, unless
  it has already received a close frame; if several pings are waiting, answering only the most
  recent one is allowed;
- a pong may also be sent **unsolicited**, as a one-way heartbeat: nobody answers it, and
  websockets simply ignores one it did not ask for.

RFC 6455 §5.7 gives two examples: an unmasked ping (as a server sends it) and a masked pong (as
a client sends it), both carrying `Hello`:"""),
    ("code", "03", """ping = Frame(Opcode.PING, b"Hello")
pong = Frame(Opcode.PONG, b"Hello").masked_with(bytes.fromhex("37 fa 21 3d"))
print("ping:", ping.hex())
print("pong:", pong.hex())

assert ping.serialize() == bytes.fromhex("89 05 48 65 6c 6c 6f")                # RFC 6455 §5.7
assert pong.serialize() == bytes.fromhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")    # RFC 6455 §5.7"""),
    ("md", "04", """`89` is `1000 1001`: FIN = 1 and opcode 9 (ping). `8a` is FIN = 1 and opcode 10 (pong); `85`
sets MASK and a length of 5, and the masked payload `7f 9f 4d 51 58` is `Hello` XORed with the
key, exactly as the masked text frame in notebook 00.

The dissector from notebook 02 knows the control-frame rules. A 126-byte ping and a fragmented
ping are both broken:"""),
    ("code", "05", """for name, frame in [("126-byte ping", Frame(Opcode.PING, bytes(126))),
                    ("fragmented ping", Frame(Opcode.PING, b"Hel", fin=False))]:
    for violation in dissect(frame.serialize(), sender="server").violations:
        print(f"{name}: {violation}")"""),
    ("md", "06", """But a ping *between* the two fragments of a text message is fine: the message is still
`Hello`, and nothing is reported."""),
    ("code", "07", """stream = (Frame(Opcode.TEXT, b"Hel", fin=False).serialize()   # first fragment (FIN = 0)
          + Frame(Opcode.PING, b"?").serialize()                 # a ping in between
          + Frame(Opcode.CONT, b"lo").serialize())               # last fragment (FIN = 1)
d = dissect(stream, sender="server")
print(repr(d))
print("message:", d.messages[0].text)"""),
    ("md", "08", """## 2 · The client pings: the round-trip time

The scenario `"ping"` opens a connection with the `websockets` client, sends `count` pings and
waits for each pong; the `websockets` server answers every ping by itself, outside the route's
handler. The tap adds `delay` seconds in *each* direction, so every round trip should take a
little more than twice the delay.

The result shows itself as a summary (what each side sent, received and reports, and the
timings) above the transcript: click a row to unfold that frame, byte by byte. Each pong
carries its ping's payload."""),
    ("code", "09", """pinged = scenarios.run("ping", count=10, delay=0.01)
pinged"""),
    ("md", "10", """The round trip is measured in three places:

- **the client**: `websockets` keeps `connection.latency`, the time from sending a ping to
  receiving its pong, updated at every pong; the scenario reads it after each ping;
- **the tap**: from the moment it saw the ping to the moment it passed the pong on. It misses
  the two short hops between the client and the tap, so it reads a little less;
- **the server**: from the ping coming in to the pong going out, from its own event log.

`scenarios.RttSamples` holds samples and sums them up:"""),
    ("code", "11", """client_view = scenarios.RttSamples(pinged.extra["rtt_client"])
tap_view = scenarios.RttSamples.from_transcript(pinged.transcript)
server_turnaround = scenarios.RttSamples(pinged.extra["server_turnaround"])
print("client (connection.latency):  ", client_view)
print("tap (ping seen → pong passed):", tap_view)
print("server (ping in → pong out):  ", server_turnaround)"""),
    ("md", "12", """Every round trip is a little more than the tap's 2 × 10 ms, and the server turns a ping
around in well under a millisecond: the time goes into the network, not into answering. Sample
by sample, the client's view and the tap's, one above the other:"""),
    ("code", "13", """rtt_figure({"client (connection.latency)": client_view.values,
            "tap (ping seen → pong passed on)": tap_view.values},
           title="ping round trips: the client's view and the tap's")"""),
    ("md", "14", """Try it: run `scenarios.run("ping", count=20)` with no delay to see loopback round trips
(well under a millisecond), or `delay=0.05` to see them follow the delay."""),
    ("md", "15", f"""## 3 · Keepalive: the server pings

Nobody has to ping by hand: `websockets` does it for you, on both servers and clients. This is
**keepalive**, and two settings control it:

- `ping_interval`: send a ping every this many seconds (default 20);
- `ping_timeout`: if its pong has not come back this many seconds after the ping, give up
  (default 20): fail the connection ({s("7.1.7")}) with close code **1011** and the reason
  `"keepalive ping timeout"`.

`ping_interval=None` turns keepalive off; `ping_timeout=None` keeps the pings but never gives
up. Every keepalive pong also updates `connection.latency`, so a server always knows each
client's last round trip. (The lab's own `wslab.live.connect` turns keepalive off unless you
ask for it, so that the pings you see in notebook 05 are the ones you send.)

Here the server pings every 0.2 s. The `websockets` client answers each ping by itself, in its
background thread: the application never sees a thing."""),
    ("code", "16", """kept = scenarios.run("server-ping", pings=3, ping_interval=0.2, ping_timeout=1.0)
print(kept.summary_line())
scenario_figure(kept, spacing="time")"""),
    ("md", "17", """With `spacing="time"` the rows sit at their real times: the pings leave the server about
200 ms apart, and each pong follows within a millisecond. The payloads are 4 random bytes chosen
by `websockets`, so each pong can be matched to its ping. The server's event log gives its own
view of these round trips, ping sent to pong received; its `connection.latency` holds the last
one, as `websockets` measured it:"""),
    ("code", "18", """server_log = scenarios.RttSamples(kept.extra["rtt_server"])
print("server log (ping sent → pong received):", server_log)
print(f"server connection.latency (last pong):  {kept.extra['latency_server'] * 1000:.2f} ms")"""),
    ("md", "19", """## 4 · Predict, then measure: when does keepalive give up?

Now slow down the way back. The tap holds everything the server sends for `delay` seconds, so a
keepalive ping reaches the client `delay` seconds late and its pong comes back right away: each
round trip takes `delay` seconds. What happens depends on one comparison:

- **round trip ≤ `ping_timeout`**: every pong is in time; a ping goes every
  `max(ping_interval, round trip)` seconds, and the connection stays open;
- **round trip > `ping_timeout`**: the first ping goes at `ping_interval`; at
  `ping_interval + ping_timeout` the server gives up and sends close 1011
  `"keepalive ping timeout"`, which the tap holds for `delay` before the client gets it.

`scenarios.predict_keepalive` writes that down. With `ping_interval=0.2` and `ping_timeout=0.3`,
predict a delay of 0.1 s (below the timeout) and one of 0.5 s (above it):"""),
    ("code", "20", """SETTINGS = {"ping_interval": 0.2, "ping_timeout": 0.3}
for delay in (0.1, 0.5):
    prediction = scenarios.predict_keepalive(delay, **SETTINGS)
    print(f"delay {delay} s:", prediction.explanation, end="\\n\\n")"""),
    ("md", "21", """Now measure. `scenarios.keepalive_experiment` predicts, runs the scenario
`"keepalive-timeline"` with the same numbers, and merges the server's event log with the tap's transcript into one
timeline (milliseconds since the server opened the connection). At the bottom, each predicted
quantity is compared with the measured one.

First, the delay below the timeout:"""),
    ("code", "22", """within = scenarios.keepalive_experiment(0.1, **SETTINGS)
print(within)"""),
    ("md", "23", """Every ping is delivered 100 ms after the server sent it, answered at once, and the pong is in
well before the 300 ms timeout. At the end the client closes normally (1000). The sequence
diagram shows how long the tap held each frame going to the client:"""),
    ("code", "24", """scenario_figure(within.result)"""),
    ("md", "25", """Now the delay above the timeout:"""),
    ("code", "26", """beyond = scenarios.keepalive_experiment(0.5, **SETTINGS)
print(beyond)"""),
    ("md", "27", f"""Read the timeline in order:

1. at 200 ms the server sends its first ping, which the tap holds for 500 ms;
2. at 500 ms (`ping_interval + ping_timeout`) no pong has come, so the server fails the
   connection: close 1011 `"keepalive ping timeout"`. It gave up **before its ping even reached
   the client**;
3. at 700 ms the client gets the ping and answers at once: too late, nobody is waiting for it;
4. at 1000 ms the client gets the 1011 and echoes it ({s("5.5.1")}). Having failed the
   connection, the server no longer processes anything ({s("7.1.7")}), not even that echo.

So the two sides disagree about how the connection ended. With `spacing="time"`, an arrow the
tap held slants down to when it passed it on: the 1011 leaves the server while its ping is
still on the way."""),
    ("code", "28", """print(beyond.result.summary_line())
scenario_figure(beyond.result, spacing="time")"""),
    ("md", "29", f"""The client received the 1011 and reports it. The server reports **1006**: it never
*received* a close frame it processed, and 1006 is exactly what {s("7.1.5")} says to report
then.

Try it yourself: near the limit, `margin` (`ping_timeout` minus the round trip) is close to zero
and the outcome can go either way. Try `keepalive_experiment(0.25, **SETTINGS)` and
`keepalive_experiment(0.35, **SETTINGS)`, or `direction="both"` (the tap delays both ways, so
the round trip is twice the delay)."""),
    ("md", "30", """## 5 · A blocked event loop: 1011 although the pong came

To the server, a slow network and a slow peer look the same: the pong is late. In practice, the
most common cause of a "keepalive ping timeout" is neither. It is a **blocked event loop**.

The `asyncio` implementation of `websockets` does everything on one event loop, in one thread:
it runs your handlers, sends the keepalive pings, reads incoming frames and watches the
`ping_timeout` timer. A handler that blocks (`time.sleep(1)` instead of
`await asyncio.sleep(1)`, a blocking HTTP call, a second of number crunching) stops all of that,
for every connection of that server.

The scenario `"1011-blocked-loop"` does exactly that: its handler calls `time.sleep(0.8)` just
after the server's first keepalive ping, with `ping_timeout=0.3`. The client answers at once;
the tap adds 50 ms to everything the client sends, a slowish network, still far within the
timeout."""),
    ("code", "34", """blocked = scenarios.run("1011-blocked-loop")
print(blocked.summary_line())
scenario_figure(blocked, spacing="time")"""),
    ("md", "35", """Follow the pong: the tap passed it on to the server about 50 ms after the ping (the arrow
slants down by the 50 ms the tap held it), long before the 1011. The server's own timeline says
the same, and more:"""),
    ("code", "36", """print(scenarios.format_timeline(scenarios.keepalive_timeline(blocked.transcript, blocked.events)))
print()
passed_on = blocked.timings["pong_delivered_after_ping"]
print(f"the tap passed the pong on {passed_on * 1000:.0f} ms after the ping")
print(f"the server's connection.latency: {blocked.extra['latency_server'] * 1000:.0f} ms")"""),
    ("md", "37", f"""While the loop slept, the pong waited unread in the socket buffer. When the loop woke up, it
first read the pong (the server logged `pong received`), but the `ping_timeout` timer was
overdue too, and it won: `websockets` failed the connection ({s("7.1.7")}) with 1011
`"keepalive ping timeout"`. Even `connection.latency` reads about 800 ms, the time the loop
was blocked, not the network's.

The fix is never a longer `ping_timeout`: it is not to block the loop
(`await asyncio.sleep(...)`, `await asyncio.to_thread(blocking_call)`). The same happens the
other way round: an `asyncio` client whose loop is blocked does not answer the server's pings.
The synchronous `websockets` client used in these notebooks answers pings in its own background
thread, which is why a slow notebook cell does not make the server give up.

Try it: `scenarios.run("1011-blocked-loop", block=0.2)` refuses (the block must outlast
`ping_timeout`), and `block=0.5, ping_timeout=0.4` still ends in 1011."""),
    ("md", "40", f"""## 6 · Your turn: the keepalive explorer

Set `ping_interval`, `ping_timeout` and the tap's delay: the predicted timeline is drawn at once
(left); **measure** runs the same experiment as above and draws what happened beside it (right).
Look for the delay where the server's 1011 appears ({s("5.5.2")}, {s("7.1.7")}). Notebook 08
sweeps the delay for you."""),
    ("code", "41", """from wslab.notebook import KeepaliveExplorer

KeepaliveExplorer(ping_interval=0.2, ping_timeout=0.3, delay=0.1)"""),
    ("md", "31", """## Clean up

Each scenario stopped its own server and tap. No wslab thread is left running:"""),
    ("code", "32", """[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "33", f"""## What you saw

- Ping (`0x9`) and pong (`0xA`) are control frames: at most 125 bytes, never fragmented, allowed
  between the fragments of a message ({s("5.4")}, {s("5.5")}); a pong echoes its ping's payload,
  and may also be sent unsolicited ({s("5.5.2")}, {s("5.5.3")}).
- A round trip can be measured by the client (`connection.latency`), at the tap, or on the
  server; a server turns a ping around in microseconds, the rest is the network.
- Keepalive: a ping every `ping_interval`; no pong within `ping_timeout` means close 1011
  `"keepalive ping timeout"`. You can predict exactly when, and the measurement agrees.
- The side that gives up reports 1006 when it stops processing before the echoed close arrives
  ({s("7.1.5")}, {s("7.1.7")}).
- A blocked event loop reads pongs late even on a perfect network: 1011 although the client
  answered in time, and the server logs the pong just before it gives up.

## Check yourself

1. Who may send a ping, and what must the other side answer with (§5.5.2)?
2. A pong arrives that answers no ping. What does the receiver do (§5.5.3)?
3. `ping_interval=0.2`, `ping_timeout=0.3`, and every round trip takes 0.5 s: when does the server close, and with which code?
4. A handler calls `time.sleep(1)` with `ping_timeout=0.5`. Why can the server close with 1011 although the client answered its ping?
5. Why does a ping wait behind a 16 MiB message sent with one `send()`?

## Next

[04 · Close codes and 1011](04-close-codes-and-1011.ipynb): 1011 four ways, and a tour of the other close codes. Or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "03"), "nb03")


if __name__ == "__main__":
    nbgen.write(build(), "03-ping-pong-keepalive.ipynb")
