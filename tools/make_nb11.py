"""Write notebooks/11-permessage-deflate.ipynb (clean: no outputs). Run: python tools/make_nb11.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc7692"
RFC6455 = "https://www.rfc-editor.org/rfc/rfc6455"


def s(n: str) -> str:
    """A link to RFC 7692 section ``n``."""
    return f"[RFC 7692 §{n}]({RFC}#section-{n})"


CELLS = [
    ("md", "00", f"""# 11 · permessage-deflate: compression, byte by byte

WebSocket can compress each message with DEFLATE, the algorithm of gzip and zlib, if both
sides agree during the handshake ({s("7")}). Most browsers offer it, and most servers accept.
It saves bytes on the wire, costs memory on both sides, and, used carelessly, can leak
secrets.

**You will**

1. read a client's offer and a server's answer, parameter by parameter ({s("5")}, {s("7.1")}),
2. compress "Hello" step by step and meet the `00 00 ff ff` tail ({s("7.2.1")}),
3. take the RFC's own examples apart, byte for byte ({s("7.2.3")}),
4. see what *context takeover* buys, and what each window size costs in memory
   ({s("7.1.1")}, {s("7.1.2")}),
5. watch compressed length give a secret away ({s("8")}).

**Before you start:** notebooks 01 (the handshake) and 02 (frames). Nothing here touches the
network, so this notebook also runs in the browser-only lab (JupyterLite). About 20 minutes."""),
    ("code", "01", """import tracemalloc

from wslab.codec import (
    DeflateParams,
    Deflater,
    Inflater,
    compress_steps,
    compressed_frames,
    dissect,
    explain_params,
    negotiate,
    negotiate_steps,
)"""),
    ("md", "02", f"""## 1 · Offer and answer

A client offers the extension in its handshake request, in the `Sec-WebSocket-Extensions`
header (RFC 6455 §9.1). It may offer several variants, best first; the server accepts at
most one, and says which in its `101` answer ({s("5")}). permessage-deflate has four
parameters ({s("7.1")}):

- `server_no_context_takeover` / `client_no_context_takeover`: that side starts every message
  with an empty compression history ({s("7.1.1")});
- `server_max_window_bits` / `client_max_window_bits`: the largest LZ77 window that side
  compresses with, 2<sup>8</sup> to 2<sup>15</sup> bytes ({s("7.1.2")}).

Here is what a browser typically offers, read parameter by parameter:"""),
    ("code", "03", """offer = "permessage-deflate; client_max_window_bits"
for name, value, meaning in explain_params(DeflateParams(client_max_window_bits=True)):
    print(f"{name:28} {value:11} {meaning}")"""),
    ("md", "04", f"""`client_max_window_bits` with no value means "I *can* use a smaller window if you ask"
({s("7.1.2.2")}). A server walks the offers in order and accepts the first it can
({s("5.1")}). `negotiate_steps` shows each decision; the second offer below is not even
looked at:"""),
    ("code", "05", """offers = ("permessage-deflate; client_max_window_bits, "
          "permessage-deflate; server_no_context_takeover")
for offered, _, verdict in negotiate_steps(offers):
    print(offered, "->", verdict)
agreed = negotiate(offers)
print("answer: Sec-WebSocket-Extensions:", agreed.to_header())"""),
    ("md", "06", f"""## 2 · Compressing "Hello", step by step

A sender compresses the whole message with raw DEFLATE and *flushes* (zlib's
`Z_SYNC_FLUSH`). A flush ends with an empty "stored" block, whose last four bytes are always
`00 00 ff ff`; since they are always the same, the sender removes them and the receiver puts
them back before inflating ({s("7.2.1")}, {s("7.2.2")}). The first frame of a compressed
message has **RSV1** set: that bit is the "Per-Message Compressed" bit ({s("6")})."""),
    ("code", "07", """steps = compress_steps("Hello")
print(steps)"""),
    ("md", "08", f"""These are, byte for byte, the bytes of {s("7.2.3.1")}: `c1 07 f2 48 cd c9 c9 07 00`.
`c1` is FIN=1, **RSV1=1**, opcode 1 (text). Five bytes of text became seven: DEFLATE has a
fixed cost, so short messages grow. `dissect` with `deflate=True` reads the frame back and
inflates it:"""),
    ("code", "09", """rfc_hello = bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")
assert compressed_frames("Hello")[0].serialize() == rfc_hello
dissect(rfc_hello, deflate=True)"""),
    ("md", "10", f"""## 3 · The RFC's examples, byte for byte

{s("7.2.3")} gives six more. Each is dissected below with `deflate=True`; every one of them
is the message "Hello":

- **two fragments** ({s("7.2.3.1")}): RSV1 only on the first frame (`41`), never on the
  continuation (`80`), and never on control frames ({s("6")});
- **sharing the window** ({s("7.2.3.2")}): the second "Hello" is a back-reference to the
  first, 5 bytes instead of 7;
- **a block with no compression** ({s("7.2.3.3")}): DEFLATE may store bytes as they are;
- **BFINAL set** ({s("7.2.3.4")}), **two blocks** ({s("7.2.3.5")}): a receiver must accept
  any valid DEFLATE, not only what its own zlib writes."""),
    ("code", "11", """examples = {
    "7.2.3.1 two fragments": "41 03 f2 48 cd  80 04 c9 c9 07 00",
    "7.2.3.2 sharing the window": "c1 07 f2 48 cd c9 c9 07 00  c1 05 f2 00 11 00 00",
    "7.2.3.3 no compression": "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00",
    "7.2.3.4 BFINAL set": "c1 08 f3 48 cd c9 c9 07 00 00",
    "7.2.3.5 two blocks": "c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00",
}
for name, wire in examples.items():
    d = dissect(bytes.fromhex(wire), deflate=True)
    print(f"{name:28} {len(d.frames)} frame(s) -> {[m.text for m in d.messages]}",
          "violations:", [v.rule.id for v in d.violations])"""),
    ("md", "12", """Click through one of them in full: the dissection shows the compressed payload, the bytes
that were inflated, and the message."""),
    ("code", "13", """dissect(bytes.fromhex(examples["7.2.3.2 sharing the window"]), deflate=True)"""),
    ("md", "14", f"""## 4 · Context takeover, and what a window costs

With *context takeover* (the default), each side keeps its LZ77 window from one message to
the next, so a message can point back into earlier ones ({s("7.1.1")}). Chat messages and
JSON updates repeat themselves a lot: watch the size of the same kind of message fall when
the history is kept, and stay put when it is not."""),
    ("code", "15", """updates = [f'{{"type": "price", "symbol": "WSLB", "price": {100 + i * 0.25:.2f}}}'
           for i in range(6)]
kept, fresh = Deflater(), Deflater(no_context_takeover=True)
print("raw  kept  no takeover")
for update in updates:
    data = update.encode()
    print(f"{len(data):>3}  {len(kept.compress(data)):>4}  {len(fresh.compress(data)):>11}")"""),
    ("md", "16", """The price is memory. A compressor keeps its window and its hash tables for the whole
connection, and zlib documents the cost: 2<sup>bits+2</sup> + 2<sup>memLevel+9</sup> bytes
to compress (memLevel 8 by default), 2<sup>bits</sup> bytes plus about 7 KiB to decompress.
Measured here, per connection (`tracemalloc` sees zlib's allocations):"""),
    ("code", "17", """def per_connection(make, use, count=50):
    tracemalloc.start()
    objects = [make() for _ in range(count)]
    for obj in objects:
        use(obj)
    size = tracemalloc.get_traced_memory()[0] / count
    tracemalloc.stop()
    return size


print("bits  compress (KiB)  decompress (KiB)  x 10,000 connections (MiB)")
for bits in (9, 12, 15):
    payload = Deflater(max_window_bits=bits).compress(b"Hello")
    out = per_connection(lambda b=bits: Deflater(max_window_bits=b),
                         lambda d: d.compress(b"Hello"))
    back = per_connection(lambda b=bits: Inflater(max_window_bits=b),
                          lambda i, p=payload: i.decompress(p, fin=True))
    print(f"{bits:>4}  {out / 1024:>14.0f}  {back / 1024:>16.0f}  "
          f"{(out + back) * 10_000 / 2**20:>26,.0f}")"""),
    ("md", "18", f"""A server with 10,000 connections and full-size windows spends gigabytes on compression
state alone. That is why a server may ask for smaller client windows
(`client_max_window_bits`, {s("7.1.2.2")}), why a `websockets` server asks for 12-bit
windows both ways and compresses with memLevel 5 by default (the library's choice: the RFC
leaves sizes to the endpoints), and why `*_no_context_takeover` exists: a side that resets after
each message can drop its window between messages. (zlib cannot compress with an 8-bit
window; wslab, like `websockets`, declines `server_max_window_bits=8`.)

## 5 · Compression side channels

Compression makes length depend on content: text that repeats something already in the
window costs almost nothing. {s("8")} warns in one sentence: "There is a known exploit when
history-based compression is combined with a secure transport" (CRIME, and BREACH for HTTP).
TLS hides the bytes, not their number.

Here a message carries a secret token *and* text an attacker chooses (a search query, a chat
nickname...) in the same compressed message. The attacker cannot read the token, but can
see the length of each frame and try a guess for its next character:"""),
    ("code", "19", """SECRET = "token=5f3e9a"  # in the same message as the attacker's text


def frame_length(attacker_text):
    message = f'{{"q": "{attacker_text}", "auth": "{SECRET}"}}'
    return len(Deflater(no_context_takeover=True).compress(message.encode()))


known = "token="
for _ in range(3):  # three characters, one length per guess
    lengths = {c: frame_length(known + c) for c in "0123456789abcdef"}
    best = min(lengths.values())
    winners = [c for c, n in lengths.items() if n == best]
    print(f"after {known!r}: shortest {best} B for {winners}")
    known += winners[0]"""),
    ("md", "20", f"""The right character makes the longest match with the secret, so its frame is the
shortest. Real attacks need more tricks (padding to cross byte boundaries, many tries), but
the leak is the same. What to do:

- never compress secrets and attacker-controlled text **in one compressed context**: with
  context takeover, "one context" is the whole connection, so separate messages do not help;
- `*_no_context_takeover` limits the context to one message ({s("7.1.1")}), not less;
- turn compression off where secrets flow (it is optional: {s("5")}), or keep them out of
  compressed messages.

## What you saw

- permessage-deflate is negotiated in the handshake; the server accepts at most one offer and
  answers with the agreed parameters ({s("5")}, {s("7.1")}).
- A compressed message is raw DEFLATE, flushed, minus its `00 00 ff ff` tail; RSV1 marks its
  first frame, never a continuation or a control frame ({s("6")}, {s("7.2.1")}).
- Context takeover shrinks repetitive messages and costs memory per connection, set by the
  window bits.
- Length is information: compression and secrets do not mix ({s("8")}).

## Check yourself

1. Why does the receiver append `00 00 ff ff` before inflating, and why may the sender drop it?
2. A frame arrives with RSV1 set and opcode `0x0`. Which rule does it break?
3. A server agreed `server_no_context_takeover`. What may the client's *inflater* do after
   each message?
4. Your server handles 50,000 connections with 15-bit windows both ways. Roughly how much
   memory goes to compression state, and which parameters would you ask for?
5. Why does `client_no_context_takeover` not protect a token sent in the same message as a
   user's search query?

## Next

Go back to the [overview](00-start-here.ipynb) for the rest of the course."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "11"), "nb11")


if __name__ == "__main__":
    nbgen.write(build(), "11-permessage-deflate.ipynb")
