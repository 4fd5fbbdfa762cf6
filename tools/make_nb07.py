"""Write notebooks/07-frame-workbench.ipynb (clean: no outputs). Run: python tools/make_nb07.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"

CELLS = [
    ("md", f"""# 07 · Frame workbench

Build any frame with switches and watch every bit. In this notebook you will use three
widgets:

1. **FrameBuilder**: one switch per header field of [§5.2]({RFC}#section-5.2); every click
   re-draws the bytes, the bit diagram, the field table and the rules broken.
2. **HexDissector**: paste bytes as hex and see them taken apart, with three challenges.
3. **AcceptKeyExplorer**: type a `Sec-WebSocket-Key` and watch `Sec-WebSocket-Accept`
   being derived ([§4.2.2]({RFC}#section-4.2.2)).

Run all cells first (**Run → Run All Cells**), then play. Nothing here touches the network.
**Before you start:** [02 · Frame anatomy](02-frame-anatomy.ipynb) explains each field this
workbench lets you flip. About 15 minutes, more if you play."""),
    ("code", """from wslab.notebook import AcceptKeyExplorer, FrameBuilder, HexDissector, verdict"""),
    ("md", f"""## 1 · Build a frame, bit by bit

The builder starts with the unmasked "Hello" text frame of [§5.7]({RFC}#section-5.7),
`81 05 48 65 6c 6c 6f`, as a server sends it. The controls:

- **FIN**, **RSV1**, **RSV2**, **RSV3**: the four flag bits of the first byte. FIN = 0 means
  more fragments follow ([§5.4]({RFC}#section-5.4)); the RSV bits must stay 0 unless an
  extension defines them ([§5.2]({RFC}#section-5.2)).
- **opcode**: all 16 values of the 4-bit field; `0x3`-`0x7` and `0xB`-`0xF` are reserved.
- **MASK** and **key**: a client masks every frame with a 4-byte key
  ([§5.3]({RFC}#section-5.3)); **random** picks a fresh one, as a real client must.
- **sender**: who sends the frame. A client must mask, a server must not
  ([§5.1]({RFC}#section-5.1)): the same bytes can be fine from one side and wrong from the other.
- **payload** as text (sent as UTF-8) or as hex, and **× repeat** to make it long.
- **length**: the shortest encoding (*minimal*, which §5.2 requires) or a forced 7-, 16- or
  64-bit one.

Under the controls: the frame in hex, a verdict line (valid, or the close code a strict
receiver answers with, [§7.4.1]({RFC}#section-7.4.1)), then the full dissection."""),
    ("code", """builder = FrameBuilder()
builder"""),
    ("md", """Try these, and watch the hex line after each:

1. Click **FIN**: the first byte goes from `81` (`1000 0001`) to `01` (`0000 0001`). Only
   bit 0 changed. Click it again to set it back.
2. Set **sender** to *client*: the verdict turns red, since a client must mask. Click
   **MASK**: the key `37 fa 21 3d` of §5.7 is used and you get the RFC's masked frame,
   `81 85 37 fa 21 3d 7f 9f 4d 51 58`. Press **random**: same text, different bytes.
3. Set **× repeat** to 26: 130 bytes no longer fit the 7-bit length field, so the field
   says `126` and two more bytes carry the length (`7e 00 82`, or `fe 00 82` when masked).
   Now pick **length: 7-bit field**: the widget tells you why that cannot work.
4. Pick opcode **0x9 ping** with the long payload: control frames carry at most 125 bytes
   ([§5.5](https://www.rfc-editor.org/rfc/rfc6455#section-5.5)).

The builder is a Python object too: what you clicked is in `builder.frame` (a `Frame`),
`builder.hex` and `builder.dissection`. Run this cell again after clicking:"""),
    ("code", """print(builder.hex)
builder.frame"""),
    ("md", f"""## 2 · Paste bytes, take them apart

`HexDissector` reads hex in any usual spelling (`81 05`, `0x81,0x05`, `81:05`) and
dissects it live, like `python -m wslab dissect` on the command line. Tell it who sent the
bytes, and whether permessage-deflate ([RFC 7692]({RFC7692})) was negotiated.

Each challenge below has its own dissector. Edit the hex in the box; the verdict line
tells you when you are done.

### Challenge 1 · make the server reject it with 1002

Here is the RFC's masked "Hello", sent by a client: valid. **Change a single byte** so that
a strict server must fail the connection with close code 1002, *protocol error*
([§7.4.1]({RFC}#section-7.4.1)). There are several ways; find two."""),
    ("code", """challenge1 = HexDissector("81 85 37 fa 21 3d 7f 9f 4d 51 58", sender="client")
challenge1"""),
    ("md", f"""<details><summary>Some answers</summary>

- `81` → `83`: opcode 0x3 is reserved ([§5.2]({RFC}#section-5.2)).
- `81` → `c1`: RSV1 set, but no extension was negotiated ([§5.2]({RFC}#section-5.2)).
- `81` → `88`: a close frame, whose first two payload bytes (`He`, 18533) are not a close
  code anyone may send ([§7.4]({RFC}#section-7.4)).
- `85` → `05`: not masked, which a client must never do ([§5.1]({RFC}#section-5.1)).
  The key is now read as payload, and a second, broken frame follows.

Not an answer: `81` → `01` (FIN = 0). A message may be split into fragments, so a server
just waits for the rest.
</details>

### Challenge 2 · find the byte that breaks the UTF-8

This text frame from a server should read `naïve`, but a strict client fails the connection
with 1007, *invalid data* ([§8.1]({RFC}#section-8.1)). Which byte is wrong? In UTF-8 a
byte `110xxxxx` starts a two-byte character and the next byte must look like `10xxxxxx`.
Fix it (`ï` is U+00EF)."""),
    ("code", """challenge2 = HexDissector("81 06 6e 61 c3 28 76 65", sender="server")
challenge2"""),
    ("md", f"""<details><summary>Answer</summary>

`c3` (`1100 0011`) starts a two-byte character, but the next byte, `28` (`0010 1000`, the
character `(`), is not a continuation byte. The dissector points at byte 4, where the
broken character starts. `ï` is `c3 af` in UTF-8: change `28` to `af`.
</details>

### Challenge 3 · the compressed "Hello"

These are the bytes of [RFC 7692 §7.2.3.1]({RFC7692}#section-7.2.3.1): "Hello", compressed.
As they stand, RSV1 is set without a negotiated extension, so the client must reject
them. Tick **permessage-deflate negotiated**: now RSV1 means *compressed*
([RFC 7692 §6]({RFC7692}#section-6)) and the payload inflates to `Hello`."""),
    ("code", """challenge3 = HexDissector("c1 07 f2 48 cd c9 c9 07 00", sender="server")
challenge3"""),
    ("md", """The verdicts as text, for your notes (run again after editing):"""),
    ("code", """for name, widget in [("1", challenge1), ("2", challenge2), ("3", challenge3)]:
    d = widget.dissection
    print(f"challenge {name}:", verdict(d) if d is not None else widget.error)"""),
    ("md", f"""## 3 · From Sec-WebSocket-Key to Sec-WebSocket-Accept

The server proves it understood the handshake by hashing the client's key with a fixed
GUID: `Sec-WebSocket-Accept = base64(SHA-1(key + GUID))`
([§1.3]({RFC}#section-1.3), [§4.2.2]({RFC}#section-4.2.2)). The key is hashed as *text*:
a server decodes it only to check that it holds 16 bytes, never for the hash. The explorer starts with the key of §1.3, whose answer is
`s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`. Change one character and the whole answer changes; press
**random key** for a key as a real client makes one (16 random bytes, in base64,
[§4.1]({RFC}#section-4.1))."""),
    ("code", """AcceptKeyExplorer()"""),
    ("md", f"""## What you saw

- Every header bit is a switch, and every combination is a frame someone could send; whether
  it is *valid* depends on who sends it ([§5.1]({RFC}#section-5.1)) and on what was negotiated
  (RSV1 with permessage-deflate, [RFC 7692 §6]({RFC7692}#section-6)).
- A strict receiver fails the connection at the first broken rule, with 1002, or 1007 for bad
  data, or 1009 for a message too big ([§7.4.1]({RFC}#section-7.4.1)).
- The Accept value changes completely when one character of the key changes: a hash, not an
  encoding.

## Check yourself

1. Build a frame that a server may send but a client may not. Which switch did you change?
2. Set RSV1 on a text frame with no extension negotiated: which close code does a strict
   receiver send, and why?
3. Which length encoding is the shortest for a 65,535-byte payload? For 65,536 bytes?
4. A ping with a 126-byte payload: which rule does it break?

## Next

[08 · Timing lab](08-timing-lab.ipynb): from bits to milliseconds. Or go back to the
[overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "07"), "nb07")


if __name__ == "__main__":
    nbgen.write(build(), "07-frame-workbench.ipynb")
