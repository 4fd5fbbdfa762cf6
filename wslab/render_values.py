"""How values read in a rendered frame: field values, payload, close code, messages, hexdump.

Pure (no IPython). Shared by :mod:`wslab.render_text` and :mod:`wslab.render_html`, so
both say the same thing in the same words; long text and bytes are elided in the middle.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from .close import describe
from .frames import Opcode, opcode_name
from .render_layout import (
    HEX_HEAD,
    HEX_TAIL,
    MASK_STEPS,
    TEXT_HEAD,
    TEXT_TAIL,
    field_bits,
    payload_size,
)

if TYPE_CHECKING:
    from .dissect import Dissection, Field, FrameDissection

__all__ = [
    "FIELD_HEADS",
    "MASK_HEADS",
    "dissection_summary",
    "elide",
    "elide_bytes",
    "elided_text",
    "field_cells",
    "fmt_bits",
    "fmt_offset",
    "fmt_raw",
    "fmt_value",
    "frame_title",
    "hex_bytes",
    "hexdump_rows",
    "mask_rows",
    "message_line",
    "payload_lines",
    "printable",
    "truncated_line",
]

FIELD_HEADS = ("field", "offset", "len", "bits", "raw", "value", "meaning")
MASK_HEADS = ("i", "masked", "", "key[i mod 4]", "", "unmasked", "char")
HexRow = tuple[int, bytes, str]  # offset, bytes, ASCII ("." for the unprintable)


def hex_bytes(data: bytes, limit: int = 8) -> str:
    """Hex of ``data`` if at most ``limit`` bytes, else its first 4 bytes and its length."""
    if len(data) <= limit:
        return data.hex(" ")
    return f"{data[:4].hex(' ')} ... ({len(data):,} bytes)"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with control and invisible format characters shown as escapes.

    Args:
        newlines: keep line feeds as they are (for HTML shown with ``pre-wrap``).
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == " " or (newlines and ch == "\n")
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        else repr(ch)[1:-1] for ch in text)


def elide(text: str, head: int = TEXT_HEAD, tail: int = TEXT_TAIL) -> tuple[str, int, str]:
    """Split a long ``text`` into (first part, characters elided, last part)."""
    if len(text) <= head + tail + 20:
        return text, 0, ""
    return text[:head], len(text) - head - tail, text[-tail:]


def elided_text(text: str) -> str:
    """``text`` shortened in the middle, with the number of characters left out."""
    head, gap, tail = elide(text)
    if not gap:
        return printable(head)
    return f"{printable(head)} ... {gap:,} characters elided ... {printable(tail)}"


def fmt_value(f: Field) -> str:
    """A field's decoded value, short."""
    v: Any = f.value
    if v is None:
        return ""
    if f.name == "opcode" and isinstance(v, int):
        return f"0x{int(v):X} {opcode_name(int(v))}"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return hex_bytes(bytes(v))
    if isinstance(v, str):
        return repr(elided_text(v)) if len(v) < 40 else repr(v[:32]) + f" ... ({len(v):,} chars)"
    text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def fmt_raw(fd: Any, f: Field) -> str:
    """A field as on the wire: its bits for a bit field, else its bytes in hex."""
    if f.bits is not None:
        first, last = field_bits(fd, f)
        return "".join(f"{b:08b}" for b in fd.raw[first // 8 : last // 8 + 1])[
            first % 8 : first % 8 + last - first + 1]
    rel = f.offset - fd.offset
    return hex_bytes(fd.raw[rel : rel + f.length])


def fmt_bits(f: Field) -> str:
    if f.bits is None:
        return ""
    a, b = f.bits
    return str(a) if a == b else f"{a}-{b}"


def fmt_offset(f: Field) -> str:
    if f.length <= 1:
        return str(f.offset)
    return f"{f.offset}-{f.offset + f.length - 1}"


def field_cells(fd: Any, f: Field) -> list[str]:
    """The field table's cells between name and meaning: offset, len, bits, raw, value."""
    return [fmt_offset(f), str(f.length), fmt_bits(f), fmt_raw(fd, f), fmt_value(f)]


def frame_title(fd: FrameDissection) -> str:
    """One line: what the frame is."""
    fr = fd.frame
    parts = [f"frame {fd.index}", f"{opcode_name(int(fr.opcode))} (0x{int(fr.opcode):X})",
             f"FIN={int(fr.fin)}", "masked" if fr.masked else "unmasked",
             f"{fd.payload_length:,}-byte payload",
             f"bytes {fd.offset:,}-{fd.offset + len(fd.raw) - 1:,}"]
    if fr.rsv1 or fr.rsv2 or fr.rsv3:
        parts.insert(3, f"RSV={int(fr.rsv1)}{int(fr.rsv2)}{int(fr.rsv3)}")
    return " | ".join(parts)


def payload_lines(fd: FrameDissection) -> list[tuple[str, str]]:
    """What the unmasked payload says, as (label, text) pairs."""
    fr = fd.frame
    op = int(fr.opcode)
    payload = fr.payload
    out: list[tuple[str, str]] = []
    if op == Opcode.CLOSE:
        if len(payload) < 2:
            out.append(("close", "no status code (the receiver reports 1005 No Status Rcvd)"
                        if not payload else "1 byte: too short for a status code"))
        else:
            code = fd.close_code if fd.close_code is not None else int.from_bytes(
                payload[:2], "big")
            info = describe(code)
            out.append(("close code", f"{code} {info.name}: {info.meaning} "
                        f"({'may' if info.on_wire else 'must not'} be sent; {info.rfc})"))
            reason = fd.close_reason if fd.close_reason is not None else payload[2:].decode(
                "utf-8", errors="replace")
            out.append(("reason", repr(elided_text(reason)) if reason else "(none)"))
        return out
    if not payload:
        out.append(("payload", "(empty)"))
        return out
    text = fd.text
    if text is None and op != Opcode.BINARY:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if fr.rsv1 and fd.text is not None:
        out.append(("inflated text", repr(elided_text(text or ""))))
    elif text is not None:
        out.append(("text" if op in (Opcode.TEXT, Opcode.CONT) else "as UTF-8",
                    repr(elided_text(text))))
    else:
        head, gap, tail = elide_bytes(payload)
        shown = head.hex(" ") + (f" ... {gap:,} bytes elided ... {tail.hex(' ')}" if gap else "")
        out.append(("bytes", shown))
    return out


def elide_bytes(data: bytes) -> tuple[bytes, int, bytes]:
    """(first ``HEX_HEAD`` bytes, bytes elided, last ``HEX_TAIL`` bytes) of a long ``data``."""
    if len(data) <= HEX_HEAD + HEX_TAIL + 16:
        return data, 0, b""
    return data[:HEX_HEAD], len(data) - HEX_HEAD - HEX_TAIL, data[-HEX_TAIL:]


def mask_rows(fd: FrameDissection) -> tuple[list[tuple[int, int, int, int, str]], int]:
    """The first ``MASK_STEPS`` unmasking steps (RFC 6455 §5.3) and how many bytes follow.

    Returns:
        ``([(i, masked, key byte, unmasked, char), ...], more)``; ``char`` is the unmasked
        byte's ``repr`` if it is printable ASCII, else "".
    """
    steps = fd.mask_steps(MASK_STEPS)
    rows = [(i, m, k, u, repr(chr(u)) if 32 <= u < 127 else "") for i, m, k, u in steps]
    return rows, payload_size(fd) - len(steps)


def message_line(m: Any) -> str:
    """One line about a reassembled message."""
    kind = opcode_name(int(m.opcode))
    frames = ", ".join(str(i) for i in m.frames)
    what = f"{kind} message, {len(m.payload):,} bytes, from frame(s) {frames}"
    if getattr(m, "compressed", False):
        what += ", compressed (permessage-deflate)"
    if m.text is not None:
        return f"{what}: {elided_text(m.text)!r}"
    head, gap, _ = elide_bytes(m.payload)
    return f"{what}: {head.hex(' ')}" + (f" ... {gap:,} bytes elided ..." if gap else "")


def truncated_line(d: Dissection) -> str:
    inc = d.incomplete
    assert inc is not None
    return (f"truncated: {inc.need:,} more byte{'s' if inc.need != 1 else ''} needed "
            f"(the frame starting at byte {inc.offset:,} has {inc.have:,} byte"
            f"{'s' if inc.have != 1 else ''}) [{inc.rule.id}, {inc.rule.rfc}]")


def dissection_summary(d: Dissection) -> list[str]:
    """What a dissection holds, in short parts: size, frames, messages, sender, extension."""
    n, m = len(d.frames), len(d.messages)
    return [f"{len(d.data):,} bytes", f"{n} frame{'s' if n != 1 else ''}",
            f"{m} message{'s' if m != 1 else ''}", f"sender {d.sender or 'unknown'}",
            *(["permessage-deflate"] if d.deflate else [])]


def hexdump_rows(data: bytes, width: int = 16) -> tuple[list[HexRow], int, list[HexRow]]:
    """A hexdump's rows of ``width`` bytes: those before the elision, bytes elided, those after."""
    data = bytes(data)
    head, gap, tail = elide_bytes(data)

    def rows(base: int, chunk: bytes) -> list[HexRow]:
        return [(base + i, chunk[i : i + width],
                 "".join(chr(b) if 32 <= b < 127 else "." for b in chunk[i : i + width]))
                for i in range(0, len(chunk), width)]

    return rows(0, head), gap, rows(len(data) - len(tail), tail)
