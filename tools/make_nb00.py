"""Write notebooks/00-start-here.ipynb (clean: no outputs)."""
# ruff: noqa: E501  (markdown cells hold long lines)


import nbformat
import nbgen
from nbformat.v4 import new_code_cell, new_markdown_cell

md, code = new_markdown_cell, new_code_cell
cells = [
md("""# Start here: WebSocket, taken apart

Welcome to **wslab**, a lab for learning the WebSocket protocol
([RFC 6455](https://www.rfc-editor.org/rfc/rfc6455)) by building its bytes yourself.

In these notebooks you write an opening handshake or a frame byte by byte, see what every
bit means and which RFC section says so, send it to a real server on your own machine
(127.0.0.1) and look at what comes back. Broken input is welcome: wslab tells you what is
wrong, at which byte, and which rule it breaks.

In this notebook you will:

1. find your way around the course: what each notebook takes apart, and in which order,
2. learn how to run a cell, and where the lab runs (your machine, Binder, a hub, the browser),
3. build your first frame, the "Hello" of RFC 6455 §5.7, and read its seven bytes,
4. see how wslab answers bytes that break a rule.

**Before you start:** nothing but curiosity; knowing what bytes and hexadecimal are helps.
About 10 minutes."""),
md("""## The notebooks

| | Notebook | Time | What you take apart |
|---|---|---:|---|
| 00 | **Start here** (this one) | 10 min | how the lab works, a first frame |
| 01 | [The opening handshake](01-handshake.ipynb) | 20 min | the HTTP Upgrade and `Sec-WebSocket-Accept` (RFC 6455 §4, §1.3) |
| 02 | [Frame anatomy](02-frame-anatomy.ipynb) | 25 min | FIN, RSV, opcode, MASK, payload length, masking key (RFC 6455 §5.2) |
| 03 | [Ping, pong and keepalive](03-ping-pong-keepalive.ipynb) | 25 min | round trips, keepalive, predict then measure when 1011 fires (§5.5.2, §5.5.3) |
| 04 | [Close codes and 1011](04-close-codes-and-1011.ipynb) | 30 min | close codes 1000–1002, 1006–1009 and 1011–1013 live, 1011 four ways; handshake failures are HTTP (§7.4) |
| 05 | [The wire tap](05-wire-tap.ipynb) | 25 min | a real conversation byte by byte; inject delay, stall and cut (§4, §5, §7) |
| 06 | [Build a server](06-build-a-server.ipynb) | 30 min | a server from scratch on the codec; Autobahn Testsuite cases, live |
| 07 | [Frame workbench](07-frame-workbench.ipynb) | 15 min | switches for every bit: build any frame and watch it dissected |
| 08 | [The timing lab](08-timing-lab.ipynb) | 30 min | predict, then measure: round trips, message sizes, head-of-line blocking, backpressure, keepalive, compression (§5.4, §5.5) |
| 09 | [WebSocket vs HTTP](09-websocket-vs-http.ipynb) | 25 min | server push by polling, long polling, SSE and WebSocket, measured: latency, bytes per event (§1.1, §5.2) |
| 10 | [Security](10-security.ipynb) | 30 min | why clients mask, cross-site WebSocket hijacking and the Origin check, 401 vs 1008, tokens in logs, a deflate bomb and `max_size`, `wss://` (§10) |
| 11 | [permessage-deflate](11-permessage-deflate.ipynb) | 20 min | compression negotiated and done byte by byte, window memory, side channels (RFC 7692) |
| 12 | [Closing and intermediaries](12-closing-and-intermediaries.ipynb) | 25 min | why a closing handshake, who closes TCP first, proxies, idle timeouts, reconnecting with backoff, the browser's view (§1.4, §7) |
| 13 | [Myths, checked](13-myths-checked.ipynb) | 25 min | six popular claims tested live: 1011 before the 101, who pings, WebSocket vs long polling, what a pong proves, XSS, CSRF and hijacking, 1006 on the wire |

Go through 01–05 in order: each one builds on the ones before (03 and 04 use a recording
proxy, the *tap*, that 05 then takes apart). 06 and 07 go deeper into frames and servers,
08 and 09 measure, 10–12 cover security, compression, and closing through proxies, and 13
checks popular claims against everything before it. The
times are for reading and running; the exercises at the end of each notebook take longer.
Notebooks 00, 01, 02, 07 and 11 open no network connection at all: they also run in the
browser, with nothing installed (JupyterLite; see the README)."""),
md("""## How to run a cell

- Click a grey code cell and press **Shift+Enter**: it runs and the next cell is selected.
- **Run → Run All Cells** runs the whole notebook from the top.
- If things get confusing, **Kernel → Restart Kernel and Run All Cells** starts afresh.

Cells share one Python session, so run them top to bottom.

## Where to run the lab

- **On Binder**, nothing to install: the *launch binder* badge in the README opens this
  notebook in JupyterLab in your browser. Binder sessions are temporary, so download what
  you want to keep.
- **On your computer**, with Python 3.10+ and `make`: in the project folder run `make lab`.
  It creates `.venv`, installs wslab and its requirements, and opens this notebook in
  JupyterLab at `http://127.0.0.1:8888` or the next free port (only your machine can reach
  it)."""),
md("""## A first taste: the "Hello" frame

RFC 6455 §5.7 gives the exact bytes of a single-frame, unmasked text message carrying
`Hello`: `0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f`. Let's build that frame with wslab and
compare."""),
code("""import wslab

frame = wslab.Frame.text("Hello")
print(frame.hex())

RFC_HELLO = bytes.fromhex("81 05 48 65 6c 6c 6f")  # RFC 6455 §5.7
assert frame.serialize() == RFC_HELLO
print("same bytes as RFC 6455 §5.7")"""),
md("""Reading the seven bytes (RFC 6455 §5.2):

- `81` = `1000 0001`: **FIN** = 1 (the last, here the only, frame of the message),
  **RSV1-3** = 0 (no extension), **opcode** = `0x1` (text).
- `05` = `0000 0101`: **MASK** = 0 (a server sends unmasked frames), **payload length** = 5.
- `48 65 6c 6c 6f`: the payload, `Hello` in UTF-8.

A client must mask every frame it sends (§5.3). §5.7 shows the same message masked with
the key `37 fa 21 3d`: MASK becomes 1 (`85` = `1000 0101`), the key follows the length, and
payload byte *i* is XORed with key byte *i* mod 4 (§5.3)."""),
code("""masked = frame.masked_with(bytes.fromhex("37 fa 21 3d"))
print(masked.hex())
assert masked.serialize() == bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")  # §5.7"""),
md("""Parsing goes the other way: `wslab.parse_frame` reads one frame from bytes and returns
it with the offset just past its end."""),
code("""parsed, end = wslab.parse_frame(masked.serialize())
print("opcode:", parsed.opcode_name, "| FIN:", parsed.fin, "| masked:", parsed.masked)
print("payload:", parsed.text_value, "| frame ends at byte", end)"""),
md("""## When the bytes are wrong

wslab's parser is strict: bytes that break a rule raise `wslab.FrameError`, which says
what is wrong, at which byte offset, and which RFC section holds the rule. Opcodes
`0x3`-`0x7` and `0xB`-`0xF` are reserved (§5.2), so a frame starting with `0x83` is refused:"""),
code("""try:
    wslab.parse_frame(bytes.fromhex("83 00"))
except wslab.FrameError as err:
    print(err)
    print("offset:", err.offset, "| rule:", err.rule.id, "| see:", err.rule.rfc)"""),
md("""Bytes that simply stop too early get a different answer, `wslab.Incomplete` (a kind of
`FrameError`), which says how many more bytes are needed:"""),
code("""try:
    wslab.parse_frame(RFC_HELLO[:4])
except wslab.Incomplete as err:
    print(err)
    print("have", err.have, "bytes, need", err.need, "more")"""),
md("""## What you saw

- A WebSocket message travels in frames; the RFC's own example, `Hello` in one unmasked text
  frame, is seven bytes: two of header, five of payload (RFC 6455 §5.2, §5.7).
- A client masks its frames with a 4-byte key; the payload bytes are XORed with it (§5.3).
- Broken bytes get a `FrameError` naming the rule, the byte offset and the RFC section; bytes
  that stop too early get `Incomplete`, with how many more are needed.

## Check yourself

1. Which bit of the first byte says "this is the last frame of the message"?
2. Why does the masked "Hello" have four more bytes than the unmasked one?
3. A frame starts with `0x83`. What is wrong with it?

## Next

Open [01 — The opening handshake](01-handshake.ipynb): before any frame is sent, client
and server agree to speak WebSocket over an ordinary HTTP request."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(cells, "nb00")


if __name__ == "__main__":
    nbgen.write(build(), "00-start-here.ipynb")
