"""Hex typed by people: ``"81 05 48 65"``, ``"0x81,0x05"``, ``"81:05"``, several lines.

Used by the command line and the notebook widgets, so both accept the same input
and name a bad character the same way.
"""

from __future__ import annotations

import re
import string


class HexError(ValueError):
    """Text that is not hex, with the offending character and its position."""


def parse_hex(text: str) -> bytes:
    """Bytes from hex text such as ``"81 05 48 65"``, ``"0x81,0x05"`` or ``"81:05"``.

    Whitespace, commas and colons separate; a ``0x``/``0X`` prefix on a group is ignored.

    Raises:
        HexError: a character that is not a hex digit (named, with its 0-based position in
            ``text``), or an odd number of digits.
    """
    digits: list[str] = []
    for match in re.finditer(r"[^\s,:]+", text):
        token, start = match.group(), match.start()
        if token[:2] in ("0x", "0X"):
            token, start = token[2:], start + 2
            if not token:
                raise HexError(f"'0x' with no hex digits after it at position {start - 2} "
                               f"(counting from 0)")
        for i, char in enumerate(token):
            if char not in string.hexdigits:
                raise HexError(f"not hex: {char!r} at position {start + i} (counting from 0)")
        digits.append(token)
    joined = "".join(digits)
    if len(joined) % 2:
        raise HexError(f"odd number of hex digits ({len(joined)}): every byte takes two")
    return bytes.fromhex(joined)
