"""Write notebooks/02-frame-anatomy.ipynb (clean, no outputs)."""
# ruff: noqa: E501  (markdown cells hold long lines)


import nbformat
import nbgen
from nbformat.v4 import new_code_cell, new_markdown_cell

RFC = "https://www.rfc-editor.org/rfc/rfc6455#section-"


def s(n: str) -> str:
    return f"[§{n}]({RFC}{n})"


cells = [
    new_markdown_cell(f"""# 02 · Frame anatomy

After the handshake, everything on a WebSocket connection travels in **frames**
({s("5.2")}). A frame is a few header bytes followed by the payload. In this notebook you will:

1. take the RFC's own "Hello" frames apart, bit by bit ({s("5.7")}),
2. unmask a client frame byte by byte, and see why clients mask at all ({s("5.3")}, {s("10.3")}),
3. meet the three ways to write the payload length ({s("5.2")}),
4. split a message into fragments, with a ping in the middle ({s("5.4")}),
5. break frames on purpose and read which rule each one breaks.

Nothing here touches the network: every byte is built and dissected in memory.

**Before you start:** [01 · The opening handshake](01-handshake.ipynb); reading hex and binary
helps (one byte = two hex digits = eight bits). About 25 minutes."""),
    new_code_cell("""from wslab import Frame, LengthEncoding, Opcode, dissect
from wslab.notebook import compare, show"""),
    new_markdown_cell(f"""## 1 · The "Hello" frame, taken apart

{s("5.7")} gives the exact bytes of an unmasked text frame carrying `Hello`. `dissect` takes
any bytes apart the way Wireshark does, and `show` draws the result:

- **bytes on the wire**: every byte is a cell, coloured by the field it belongs to. The first
  two bytes hold several fields each, so their cells are striped.
- **header, bit by bit**: the diagram of {s("5.2")}, filled with this frame's bits (bit 0 is
  the most significant bit of the first byte).
- **fields**: each field with its offset, raw bits and meaning."""),
    new_code_cell("""hello = bytes.fromhex("81 05 48 65 6c 6c 6f")  # RFC 6455 §5.7
show(dissect(hello))"""),
    new_markdown_cell("""Read the first byte, `0x81` = `1000 0001`: **FIN** = 1 (the final fragment; here the only
one), **RSV1-3** = 0 (no extension in use), **opcode** = `0001` (text). The second byte,
`0x05` = `0000 0101`: **MASK** = 0, **payload length** = 5. The five payload bytes are
`Hello` in UTF-8.

The same frame can be built from its fields instead of its bytes:"""),
    new_code_cell("""frame = Frame.text("Hello")
assert frame.serialize() == hello
frame.hex()"""),
    new_markdown_cell(f"""## 2 · Masking

A client must mask **every** frame it sends, and a server must mask **none** ({s("5.1")}).
Masking sets MASK = 1, adds a 4-byte **masking key** after the length, and XORs payload byte
*i* with key byte *i* mod 4 ({s("5.3")}). Here is the RFC's masked "Hello", key `37 fa 21 3d`;
the **masking** table shows the XOR byte by byte:"""),
    new_code_cell("""masked = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")  # RFC 6455 §5.7
show(dissect(masked, sender="client"))"""),
    new_markdown_cell("""XOR is its own inverse: masking twice with the same key gives the original bytes back. So
the receiver unmasks with exactly the same operation the sender masked with."""),
    new_code_cell("""from wslab.codec import apply_mask

key = bytes.fromhex("37 fa 21 3d")
on_the_wire = apply_mask(b"Hello", key)
print(on_the_wire.hex(" "), "->", apply_mask(on_the_wire, key))"""),
    new_markdown_cell(f"""**Why mask at all?** Not for secrecy: the key travels in the frame, right next to the
payload. Masking protects *other* people's caches. Some old proxies do not understand
WebSocket; a malicious script could send a payload that looks like an HTTP request and trick
such a proxy into caching a poisoned response for everyone behind it ({s("10.3")}). Because
the browser picks a fresh, unpredictable key for every frame, the script cannot choose the
bytes that actually go on the wire. `masked_with()` without an argument picks a random key,
as a client must:"""),
    new_code_cell("""print(Frame.text("Hello").masked_with().hex())
print(Frame.text("Hello").masked_with().hex())  # same text, different bytes on the wire"""),
    new_markdown_cell(f"""Direction matters. The same bytes are fine from one side and a protocol error from the
other ({s("5.1")}): tell `dissect` who sent them with `sender=`."""),
    new_code_cell("""for data, sender in [(hello, "client"), (masked, "server")]:
    for violation in dissect(data, sender=sender).violations:
        print(f"from the {sender}: {violation}")"""),
    new_markdown_cell("""Side by side, the unmasked and masked frames: the masked one is 4 bytes longer (the key),
and its payload bytes look random."""),
    new_code_cell("""compare(hello, masked, titles=("server to client (unmasked)", "client to server (masked)"))"""),
    new_markdown_cell(f"""## 3 · Three ways to write the length

The 7-bit **payload length** field holds 0-125 directly. Two values are escapes
({s("5.2")}):

- **126**: the real length follows in the next 2 bytes (16 bits, up to 65,535);
- **127**: the real length follows in the next 8 bytes (64 bits; the top bit must be 0).

The sender must use the shortest form that fits. Watch the header grow at the boundaries:"""),
    new_code_cell("""for n in (125, 126, 65535, 65536):
    header = Frame.binary(bytes(n)).header()
    print(f"{n:>6} bytes of payload -> header {header.hex(' '):<32} ({len(header)} bytes)")

# The two long examples of RFC 6455 §5.7:
assert Frame.binary(bytes(256)).header() == bytes.fromhex("82 7e 01 00")
assert Frame.binary(bytes(65536)).header() == bytes.fromhex("82 7f 00 00 00 00 00 01 00 00")"""),
    new_markdown_cell("""The 64-bit form, dissected: the header now spans three rows of the diagram. The 65,536
payload bytes are elided in the middle so the picture stays small."""),
    new_code_cell("""show(Frame.binary(bytes(65536)))"""),
    new_markdown_cell(f"""## 4 · Fragmentation

A message may be split into several frames ({s("5.4")}): the first frame carries the opcode
(text or binary) with FIN = 0, the following ones are **continuation** frames (opcode `0x0`),
and the last one has FIN = 1. {s("5.7")} splits "Hello" into "Hel" + "lo":"""),
    new_code_cell("""fragmented = bytes.fromhex("01 03 48 65 6c  80 02 6c 6f")  # RFC 6455 §5.7
d = dissect(fragmented)
for message in d.messages:
    print(f"{message.text!r} reassembled from frames {message.frames}")
show(d)"""),
    new_markdown_cell(f"""Control frames (close, ping, pong) may be sent *between* the fragments of a message
({s("5.4")}, {s("5.5")}), so a sender that fragments a long message can slip a ping in
without waiting for the end. A frame itself is never interrupted: a sender that puts a long
message in one frame (the `websockets` library does, for each `send()`) makes a ping wait
behind the whole frame. Control frames are never fragmented themselves. Here a ping sits between "Hel" and "lo", and the message is still "Hello":"""),
    new_code_cell("""stream = (
    Frame.text("Hel", fin=False).serialize()
    + Frame(Opcode.PING, b"are you there?").serialize()
    + Frame(Opcode.CONT, b"lo").serialize()
)
d = dissect(stream)
print([fd.frame.opcode_name for fd in d.frames], "->", [m.text for m in d.messages])
print("violations:", d.violations)"""),
    new_markdown_cell("""What may **not** happen is a new text or binary frame while a fragmented message is still
open:"""),
    new_code_cell("""broken = Frame.text("Hel", fin=False).serialize() + Frame.text("lo").serialize()
for violation in dissect(broken).violations:
    print(violation)"""),
    new_markdown_cell("""## 5 · Broken frames

`Frame` builds any bit pattern, even forbidden ones, because broken frames are worth
studying. Each line below is one mistake; `dissect` names the byte, the rule and the RFC
section that holds it."""),
    new_code_cell("""broken_frames = {
    "reserved opcode 0x3": (Frame(0x3, b"hi"), None),
    "RSV1 set, no extension": (Frame.text("Hello", rsv1=True), None),
    "ping with 200 bytes": (Frame(Opcode.PING, bytes(200)), None),
    "length 5 in 16 bits": (Frame.text("Hello", length_encoding=LengthEncoding.BITS_16), None),
    "unmasked client frame": (Frame.text("Hello"), "client"),
    "close code 1005": (Frame.close(1005, check=False), None),
    "invalid UTF-8": (Frame(Opcode.TEXT, b"caf\\xc3"), None),
}
for name, (frame, sender) in broken_frames.items():
    wire = frame.hex()
    print(f"{name}: {wire if len(wire) < 36 else wire[:30] + ' ...'}")
    for violation in dissect(frame.serialize(), sender=sender).violations:
        print(f"  !! {violation}")"""),
    new_markdown_cell(f"""Why each one is wrong:

- **Reserved opcodes** `0x3`-`0x7` and `0xB`-`0xF` are kept for future use ({s("5.2")}).
- **RSV1-3** must be 0 unless an extension defines them; permessage-deflate (RFC 7692) uses
  RSV1, but only once it was negotiated in the handshake ({s("5.2")}).
- **Control frames** carry at most 125 bytes, so their length always fits the 7-bit field
  ({s("5.5")}).
- **Lengths** must use the shortest encoding ({s("5.2")}).
- **Clients mask** every frame ({s("5.1")}).
- **Close codes** 1005, 1006 and 1015 are reported locally and never sent, 1004 is reserved,
  and codes below 1000 or from 1016 to 2999 are not allowed either ({s("7.4")}).
- **Text** must be valid UTF-8 ({s("8.1")}): `c3` starts a two-byte character that never ends.

In the full picture the broken fields are outlined in red:"""),
    new_code_cell("""show(Frame.text("Hello", length_encoding=LengthEncoding.BITS_16))"""),
    new_markdown_cell(f"""UTF-8 is checked on the whole **message**, not frame by frame ({s("8.1")}). A character may
be split across two fragments: `é` is `c3 a9`; here `c3` ends the first frame and `a9` starts
the second. Each frame alone is not valid UTF-8, yet the message is, so nothing is reported:"""),
    new_code_cell("""split = Frame(Opcode.TEXT, b"\\xc3", fin=False).serialize() + Frame(Opcode.CONT, b"\\xa9").serialize()
d = dissect(split)
print("message:", [m.text for m in d.messages], "| violations:", d.violations)"""),
    new_markdown_cell("""Bytes that end too early are not "broken", just incomplete: the dissection says how many
more bytes are needed."""),
    new_code_cell("""show(dissect(masked[:8]))"""),
    new_markdown_cell("""## 6 · Try it yourself

Edit the hex below and run the cell (**Shift+Enter**). Ideas:

- change `81` to `83` (a reserved opcode), or to `01` (FIN = 0: the message is not finished);
- change `85` to `86` (the length now promises 6 bytes: one is missing);
- change `85` to `05` (MASK = 0: the key is read as payload and the leftover bytes as a
  strange second frame; besides, a client may not send unmasked frames);
- set `sender` to `"server"`."""),
    new_code_cell("""my_bytes = "81 85 37 fa 21 3d 7f 9f 4d 51 58"
sender = "client"

show(dissect(bytes.fromhex(my_bytes), sender=sender))"""),
    new_markdown_cell(f"""## What you saw

- A frame is 2 to 14 header bytes (FIN, RSV1–3, opcode, MASK, a 7-bit length with 16- or 64-bit
  extensions, a masking key) and a payload ({s("5.2")}).
- Clients mask every frame with a fresh 4-byte key, servers never mask; masking is XOR with the
  key repeated, its own inverse, and protects intermediaries' caches, not secrets
  ({s("5.3")}, {s("10.3")}).
- Lengths use the shortest encoding: up to 125 in 7 bits, up to 65,535 in 16, more in 64.
- A message may be fragmented (FIN = 0, then continuation frames); control frames may sit
  between fragments, never inside a frame, and are never fragmented ({s("5.4")}, {s("5.5")}).
- The dissector names each broken rule with its byte offset and section.

## Check yourself

1. Decode `82 7e 01 00` by hand: FIN, opcode, MASK, and how long is the payload that follows?
2. Why must a client mask its frames, when the key travels right next to the payload?
3. A client sends a 126-byte text message in one frame. How many header bytes does the frame
   have, and why?
4. Which three rules does every control frame obey?
5. Can a ping arrive between two fragments of a message? In the middle of a frame?

## Next

[03 · Ping, pong and keepalive](03-ping-pong-keepalive.ipynb): the first frames you will watch
on a live connection."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(cells, "02"), "nb02")


if __name__ == "__main__":
    nbgen.write(build(), "02-frame-anatomy.ipynb")
