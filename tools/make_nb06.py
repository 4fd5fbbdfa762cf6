"""Write notebooks/06-build-a-server.ipynb (clean: no outputs)."""
# ruff: noqa: E501  (markdown cells hold long lines)

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"

CELLS = [
    ("md", f"""# 06 · Build a server from scratch

Writing a WebSocket server yourself is the classic exercise. This notebook walks through one
that does it *properly*: it passes the Autobahn|Testsuite, the conformance suite that
WebSocket libraries are measured with.

The server is `wslab/scratch.py`, a few hundred readable lines. It uses no WebSocket library:
asyncio streams carry the bytes, and wslab's own codec does the protocol, the same pieces you
took apart in the earlier notebooks. A connection goes through four steps:

1. **handshake**: read the HTTP request, answer `101 Switching Protocols` or an HTTP error
   ([§4.2]({RFC}#section-4.2));
2. **frames in**: feed every chunk from TCP to a `Decoder`, which checks every rule of
   [§5]({RFC}#section-5);
3. **answers out**: pong for ping, the same message back for every message;
4. **closing**: echo the close code, or *fail* the connection with the right code
   ([§7]({RFC}#section-7)).

In this notebook you will:

1. read each step's code, and find the RFC rule behind each check,
2. run the server on 127.0.0.1 and talk to it with a real client and with raw bytes,
3. run Autobahn|Testsuite cases against it, live, and read their verdicts,
4. make it break rules on purpose and see which close code a real client answers with.

**Before you start:** [01](01-handshake.ipynb), [02](02-frame-anatomy.ipynb), [04](04-close-codes-and-1011.ipynb) and [05](05-wire-tap.ipynb); reading Python's `asyncio` helps. About 30 minutes."""),
    nbgen.live_guard_cell(),
    ("code", """import inspect

from IPython.display import Code
from websockets.sync.client import connect

from wslab.codec import Frame, Opcode, build_request
from wslab.live import MISBEHAVIOURS, RawClient, ScratchConnection, ScratchServer
from wslab.scenarios import client_reaction


def show(function):
    \"\"\"The source code of a function or method, highlighted.\"\"\"
    return Code(inspect.getsource(function), language="python")"""),
    ("md", f"""## 1 · The opening handshake

The server reads bytes until the empty line that ends the HTTP head, with two bounds: 16 KiB
and 10 seconds. A server that waits forever for a slow client, or buffers whatever it is sent,
is easy to knock over.

Then `parse_request` and `validate_request` from `wslab.codec` make the checks of
[§4.2.1]({RFC}#section-4.2.1): a `GET`, HTTP/1.1, a `Host`, `Upgrade: websocket`,
`Connection: Upgrade`, a `Sec-WebSocket-Key` of 16 bytes in base64, and
`Sec-WebSocket-Version: 13`. Each problem comes with the HTTP status to answer. If the client
offers permessage-deflate, `negotiate` picks the parameters
([RFC 7692 §7.1]({RFC7692}#section-7.1)). The `Server` header names the server:
Autobahn's reports use it."""),
    ("code", "show(ScratchConnection.handshake)"),
    ("md", """Start the server. It runs in a background thread with its own event loop, so the
kernel's own loop stays free, and it listens on 127.0.0.1 only. `port=0` picks a free port."""),
    ("code", """srv = ScratchServer().start()
srv"""),
    ("md", f"""`RawClient` sends exactly the bytes we give it. First a correct request: the answer is
`101`, and `Sec-WebSocket-Accept` proves the server read our key
([§4.2.2]({RFC}#section-4.2.2))."""),
    ("code", """raw = RawClient.from_url(srv.url).connect()
raw.send_handshake(path="/")"""),
    ("md", f"""Now some requests the server must refuse. A refusal is a plain HTTP response and the
connection closes: close frames exist only after a `101`. A version other than 13 gets
`426 Upgrade Required` with the version the server speaks ([§4.4]({RFC}#section-4.4))."""),
    ("code", """refused = {
    "POST instead of GET": build_request(srv.url + "/").replace(method="POST"),
    "key of 3 bytes": build_request(srv.url + "/", key="AAAA"),
    "version 8": build_request(srv.url + "/", version=8),
}
for what, request in refused.items():
    with RawClient.from_url(srv.url) as client:
        answer = client.send_handshake(request)
    extra = [f"{name}: {value}" for name, value in answer.headers
             if name in ("Allow", "Sec-WebSocket-Version")]
    print(f"{what:<20} -> {answer.status} {answer.reason}  {', '.join(extra)}")"""),
    ("md", f"""## 2 · Frames in: feed the decoder as bytes arrive

After the `101`, everything is frames. The loop in `serve` reads whatever TCP delivers (part of
a frame, or many frames) and feeds it to `wslab.codec.Decoder` **at once**. The decoder
returns the frames those bytes complete; for a frame that breaks a rule it raises a
`FrameError` naming the byte, the rule and the RFC section. Frames before the bad one still
come out first, and the error is kept in `decoder.error`.

`Decoder(sender="client")` insists that client frames are masked
([§5.1]({RFC}#section-5.1)). It checks UTF-8 frame by frame, across fragments
([§8.1]({RFC}#section-8.1)). It also refuses messages over `max_size`. Feeding chunks as
they arrive, rather than whole messages, is what lets it fail a bad message early."""),
    ("code", "show(ScratchConnection.serve)"),
    ("md", f"""Each frame gets its answer in order: a pong with the same payload for a ping
([§5.5.2]({RFC}#section-5.5.2)), nothing for a pong ([§5.5.3]({RFC}#section-5.5.3)), and for
the last frame of a message, the whole message back. A ping may arrive between two fragments
of a message ([§5.4]({RFC}#section-5.4)); its pong goes out at once."""),
    ("code", "show(ScratchConnection.on_frame)"),
    ("md", f"""Send the masked "Hello" of [§5.7]({RFC}#section-5.7). `send_frame` masks it, as
a client must. The echo comes back **unmasked**, because a server never masks."""),
    ("code", """raw.send_frame(Frame.text("Hello"))
raw.recv_frame()"""),
    ("code", """raw.send_frame(Frame(Opcode.PING, b"are you there?"))
raw.recv_frame()"""),
    ("md", f"""## 3 · Answers out, compressed if agreed

`echo` sends the message back with the same opcode. If permessage-deflate was agreed, it
compresses the payload and sets RSV1 on the frame ([RFC 7692 §6]({RFC7692}#section-6)). The
misbehaviour switches hook in here too; we use them in part 6."""),
    ("code", "show(ScratchConnection.echo)"),
    ("md", """The `websockets` client offers permessage-deflate by default. Messages go through
compression both ways, and a list is sent as one fragmented message:"""),
    ("code", """with connect(srv.url) as ws:
    print("agreed:", ws.response.headers.get("Sec-WebSocket-Extensions"))
    for message in ["Hello", "héllo wörld ✓", b"\\x00\\x01\\x02", ["frag", "men", "ted"]]:
        ws.send(message)
        print(f"sent {message!r:<28} got back {ws.recv(timeout=5)!r}")"""),
    ("md", f"""## 4 · Closing: echo, or fail

**A normal close.** The client sends a close frame. The server answers with a close frame that
carries the same code ([§5.5.1]({RFC}#section-5.5.1)), then closes TCP first: a server should
close TCP before the client ([§7.1.1]({RFC}#section-7.1.1)), so the TIME_WAIT state lands on
the server.

**A broken rule.** The server *fails the connection* ([§7.1.7]({RFC}#section-7.1.7)). It sends
a close frame with the code for the problem ([§7.4.1]({RFC}#section-7.4.1)): 1002 for a
protocol error, 1007 for data that is not valid (such as bad UTF-8), 1009 for a message that
is too big. The reason says what was wrong. After that it must not process anything else the
client sends, not even its close frame.

`close_tcp` half-closes the connection (sends FIN) and then throws away input until the client
closes too. If the server closed the socket while unread bytes were waiting, the kernel would
send a reset (RST), and that can destroy the close frame before the client reads it."""),
    ("code", "show(ScratchConnection.fail)"),
    ("code", "show(ScratchConnection.close_tcp)"),
    ("code", """raw.close(1000, "bye")  # returns the server's close frame"""),
    ("md", "Three broken frames, and the close frame each one gets:"),
    ("code", """broken = [
    ("unmasked text frame", Frame.text("Hello"), False),
    ("text that is not UTF-8", Frame(Opcode.TEXT, b"caf\\xc3"), True),
    ("ping with FIN=0", Frame(Opcode.PING, b"", fin=False), True),
]
for what, frame, mask in broken:
    with RawClient.from_url(srv.url) as client:
        client.send_handshake(path="/")
        client.send_frame(frame, mask=mask)
        close = client.recv_frames()[-1]
    print(f"{what:<24} -> {close.close_payload}")"""),
    ("md", """## 5 · The Autobahn|Testsuite, live

Autobahn plays a client that sends correct and broken traffic, over 500 cases, and judges
every answer. `kosoku` runs the cases from Python. Each case gets two verdicts: `behavior`
(were the answers right?) and `behaviorClose` (was the closing right?). The verdicts are `OK`;
`NON-STRICT` (allowed, but a SHOULD was missed); `INFORMATIONAL` (the RFC leaves it open);
`UNIMPLEMENTED`; and `FAILED`.

Here are a few quick cases: echoes of several sizes (1.\\*), a ping with a binary payload
(2.\\*), fragments with pings in between (5.\\*), UTF-8 (6.\\*) and a close reason that is not
UTF-8 (7.\\*). The full run is `make test` (cases 1–10) and `make conformance` (with the
compression cases 12.\\* and 13.\\*)."""),
    ("code", """try:
    import kosoku
except ImportError:
    kosoku = None
    print("kosoku is not installed here: pip install kosoku")

CASES = ["1.1.1", "1.1.6", "1.2.8", "2.5", "2.6", "5.6", "5.15", "6.2.3", "6.3.1", "7.5.1"]
if kosoku is not None:
    try:
        results = await kosoku.run_fuzzingclient(srv.url, CASES)
    except kosoku.FailureError as failure:  # raised when a case fails; it carries the results
        results = failure.results
    for r in results:
        about = r.description.split("<br>")[0][:58]
        print(f"{r.case_id:<6} {r.behavior.value:<9} {r.behavior_close.value:<6} {about}")"""),
    ("md", """## 6 · Breaking the rules on purpose

A rule is easier to remember once you see what breaking it costs. `ScratchServer(misbehave=...)`
breaks chosen rules:"""),
    ("code", """for name, what in MISBEHAVIOURS.items():
    print(f"{name:<16} {what}")"""),
    ("md", """`client_reaction(switch)` starts a server with one switch on and sends it "hello" with
the `websockets` client. Then it reports what the client did: the exception `recv()` raised,
and the close codes the client sent and received. The client pings every 0.5 s and gives up
if no pong comes within 0.5 s, which is how `no-pong` shows up."""),
    ("code", """for switch in ["masked-frames", "fragmented-ping", "invalid-utf8", "no-pong",
               "close-code=4000", "close-code=1005"]:
    print(client_reaction(switch))"""),
    ("md", f"""How to read them:

- **masked-frames**, **fragmented-ping**: framing errors. The client *fails* the connection
  with 1002 ([§5.1]({RFC}#section-5.1), [§5.5]({RFC}#section-5.5)). "received None": after
  failing, the client does not process the server's close frame ([§7.1.7]({RFC}#section-7.1.7)).
- **invalid-utf8**: the frame is fine, but its text is not valid UTF-8: 1007
  ([§8.1]({RFC}#section-8.1)).
- **no-pong**: nothing is wrong on the wire, yet the client gives up. Its keepalive got no pong
  in time, so it closes with 1011 "keepalive ping timeout". The echo of "hello" came back first.
- **close-code=4000**: a valid code (4000–4999 are for private use), so this is a normal
  closing handshake: the client echoes 4000. `websockets` reports a close as clean
  (`ConnectionClosedOK`) only for 1000, 1001 and an empty close frame (1005); with 4000 the
  client raises `ConnectionClosedError` (the library's choice: the RFC calls every completed
  closing handshake clean, [§7.1.4]({RFC}#section-7.1.4)).
- **close-code=1005**: 1005 means "no status code" and must never be sent
  ([§7.4.1]({RFC}#section-7.4.1)). The client treats it as a protocol error: 1002."""),
    ("md", "Stop the server. `stop()` closes open connections with 1001 (going away) and ends the thread."),
    ("code", """srv.stop()
srv"""),
    ("md", f"""## Try it yourself

- Send a ping in the middle of a fragmented message with `RawClient`, and check that the pong
  comes before the echo ([§5.4]({RFC}#section-5.4)).
- Add a misbehaviour of your own to `wslab/live/_misbehaviours.py` and `_scratch.py`, say an
  echo with RSV2 set, and find out which close code the `websockets` client sends.
- Run `make conformance` and open `reports/conformance/scratch/index.html`. Cases 6.4.3 and
  6.4.4 send one text frame in pieces whose UTF-8 turns invalid in the middle of the frame;
  the scratch server passes them strictly (OK, not NON-STRICT) by checking UTF-8 as the bytes
  arrive. Find where `wslab.codec.Decoder` does that, and why a server that waits for the
  whole frame still follows the RFC ([§8.1]({RFC}#section-8.1)) but only non-strictly.

## What you saw

- A conformant server is small when the protocol lives in a codec: the handshake is checked
  and answered in one place ([§4.2]({RFC}#section-4.2)), every frame rule in the `Decoder`
  ([§5]({RFC}#section-5)), and the server only decides what to answer.
- Autobahn|Testsuite checks the rules strictly: a text message's UTF-8 is checked as its
  bytes arrive, so an invalid one is failed with 1007 at once ([§8.1]({RFC}#section-8.1)).
- A client that sees a broken frame *fails* the connection with 1002 or 1007 and stops
  reading ([§7.1.7]({RFC}#section-7.1.7)); a valid private code (4000) is a normal closing
  handshake, whatever a library calls it.
- 1005 and 1006 are never sent ([§7.4.1]({RFC}#section-7.4.1)): a server that sends one gets
  1002 back.

## Check yourself

1. Which checks must a server make on the request before it answers `101`?
2. A client sends an unmasked frame. What must the server do, and with which code?
3. A text frame's UTF-8 turns invalid halfway through. When can a strict server fail the connection, and with which code?
4. After the closing handshake, which side should close TCP, and why?

## Next

[07 · Frame workbench](07-frame-workbench.ipynb): every bit a switch. Or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "06"), "nb06")


if __name__ == "__main__":
    nbgen.write(build(), "06-build-a-server.ipynb")
