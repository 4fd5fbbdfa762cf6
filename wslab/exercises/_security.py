"""Exercises of notebook 10: the Origin check and the deflate bomb (RFC 6455 §10)."""

from __future__ import annotations

from typing import Any

from ..codec import (
    DEFAULT_MAX_SIZE,
    FrameError,
    Inflater,
    close_code_for,
    compressed_frames,
)
from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_function, check_value

RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"
BOMB_SIZE = 8 * DEFAULT_MAX_SIZE  # what the bomb of 10.bomb inflates to

_ORIGINS = ["https://app.example", "https://admin.app.example"]


def _check_origin(answer: Any) -> CheckResult:
    cases = [
        Case(("https://app.example", _ORIGINS), True, "listed"),
        Case(("https://evil.example", _ORIGINS), False, "another site"),
        Case(("http://app.example", _ORIGINS), False, "same host, another scheme"),
        Case(("https://app.example:8443", _ORIGINS), False, "same host, another port"),
        Case(("https://APP.example", _ORIGINS), False, "compared as written, as websockets does"),
        Case((None, _ORIGINS), False, "no Origin header: not a browser"),
        Case((None, [*_ORIGINS, None]), True, "None listed: programs without Origin allowed"),
    ]
    return check_function("10.origin", "origin_allowed", answer, cases, returns=bool)


ORIGIN = Exercise(
    "10.origin", "Check the Origin", Kind.CODE,
    f"""Write `origin_allowed(origin, allowed)`, the check a server makes before it accepts a
handshake ({s("4.2.2")} item 4, {s("10.2")}): `origin` is the value of the request's `Origin`
header (a `str`), or `None` when the request has none; `allowed` is a list of acceptable
values, which may contain `None` to accept clients that send no `Origin` (programs, not
browsers). Return `True` to accept. Compare values exactly as written, as the `websockets`
library's `origins=[...]` does: an origin is scheme, host and port ({s("10.2")} points to
RFC 6454), so `http://app.example` is not `https://app.example`.""",
    ["The whole job is a membership test: is `origin` one of the allowed values?",
     "`None` needs no special case if you test membership: it is allowed exactly when the list "
     "contains it.",
     "Do not strip, lowercase or parse: two origins that differ in scheme or port are two "
     "origins."],
    "origin_allowed", "def origin_allowed(origin, allowed):\n    ...  # your code here",
    _check_origin)


def bomb() -> bytes:
    """The payload of exercise 10.bomb: 8 MiB of zeros, compressed (about 8 KB)."""
    return compressed_frames(bytes(BOMB_SIZE))[0].payload


def bomb_close_code() -> int:
    """What a receiver with the default 1 MiB ``max_size`` answers the bomb with."""
    try:
        Inflater(max_size=DEFAULT_MAX_SIZE).decompress(bomb(), fin=True)
    except FrameError as error:
        return int(close_code_for(error))
    raise AssertionError("the bomb inflated within max_size")  # pragma: no cover


def _check_bomb(answer: Any) -> CheckResult:
    return check_value("10.bomb", "bomb_code", answer, bomb_close_code(), accepts=int,
                       form="a close code, e.g. 1000",
                       why="max_size limits the message the application gets, not the frame")


BOMB = Exercise(
    "10.bomb", "A small message, a big problem", Kind.BYTES,
    f"""A client that negotiated permessage-deflate sends one text frame with RSV1 set whose
payload is `given("10.bomb")`: {len(bomb()):,} bytes. The server is a `websockets` server with
the default `max_size` of 1 MiB ({DEFAULT_MAX_SIZE:,} bytes), which the library applies to the
*decompressed* message. Inflate it in your head (or with `wslab.codec.Inflater`, or with
`zlib` after appending `00 00 ff ff`, [RFC 7692 §7.2.2]({RFC7692}#section-7.2.2)) and set
`bomb_code` to the close code the server sends ({s("7.4.1")}, {s("10.4")}).""",
    ["The payload compresses a very long run of one byte value: DEFLATE shrinks repeats about "
     "1000 to 1.",
     "Compare the inflated size with max_size, not the size of the frame on the wire.",
     "§7.4.1 has a code for a message too big to process."],
    "bomb_code", "bomb_code = None  # a close code", _check_bomb, given=bomb)

EXERCISES = (ORIGIN, BOMB)
