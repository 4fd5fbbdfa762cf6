"""Exercises of notebook 01: the opening handshake (RFC 6455 §1.3, §4)."""

from __future__ import annotations

from typing import Any

from ..codec import accept_key, build_request, check_request, key_problem
from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s as _s
from ._running import check_function, check_value

# RFC 6455 §1.3's key first, then keys of other shapes; expected values from the codec.
_KEYS = ["dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAA==", "x3JJHMbDL1EzLkh9GBhXDw==",
         "/////////////////////w==", "AQIDBAUGBwgJCgsMDQ4PEA==", "abc"]


def _check_accept(answer: Any) -> CheckResult:
    cases = [Case((k,), accept_key(k), "RFC 6455 §1.3" if i == 0 else "")
             for i, k in enumerate(_KEYS)]
    return check_function("01.accept_key", "accept_key", answer, cases, returns=str)


ACCEPT_KEY = Exercise(
    "01.accept_key", "Compute Sec-WebSocket-Accept", Kind.CODE,
    f"""Write `accept_key(key)`: given the client's `Sec-WebSocket-Key` (a `str`), return the
`Sec-WebSocket-Accept` value a server answers with (a `str`), as {_s("4.2.2")} (item 5.4)
defines it: append the GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11` to the key, take the
SHA-1 of the result, and encode those 20 bytes in base64. {_s("1.3")} gives an example:
`dGhlIHNhbXBsZSBub25jZQ==` -> `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`. Use `hashlib` and `base64`.""",
    ["The key is used as text: concatenate the two strings, then encode the result to bytes "
     "(ASCII) for hashing. Never base64-decode the key here.",
     "hashlib.sha1(data).digest() gives the 20 raw bytes; .hexdigest() would give 40 hex "
     "characters, which is not what gets base64-encoded.",
     "base64.b64encode(...) returns bytes; the header value is text: .decode('ascii')."],
    "accept_key", "def accept_key(key):\n    ...  # your code here", _check_accept)


_KEY_CASES = ["dGhlIHNhbXBsZSBub25jZQ==", "AAAA", "AAAAAAAAAAAAAAAAAAAAAA",
              "AAAAAAAAAAAAAAAAAAAAAAA=", "not base64 at all!!!!!==", "",
              "AAAAAAAAAAAAAAAAAAAAAAAA", "AQIDBAUGBwgJCgsMDQ4PEA=="]


def _check_key(answer: Any) -> CheckResult:
    cases = [Case((k,), key_problem(k) is None) for k in _KEY_CASES]
    return check_function("01.key_valid", "key_is_valid", answer, cases, returns=bool)


KEY_VALID = Exercise(
    "01.key_valid", "Is this a valid Sec-WebSocket-Key?", Kind.CODE,
    f"""Write `key_is_valid(key)`: return `True` if the `Sec-WebSocket-Key` value `key` (a
`str`) is one a server accepts, else `False`. A key is "a randomly selected 16-byte value
that has been base64-encoded" ({_s("4.1")}, item 7), and a server checks that
({_s("4.2.1")}, item 5). Strict base64 only: padding included, no other characters.""",
    ["base64.b64decode(key, validate=True) raises binascii.Error (a ValueError) for anything "
     "that is not strict base64.",
     "Decoding is not enough: count the bytes it gives. 16 bytes in base64 are always 24 "
     "characters, the last two being '=='.",
     "An empty string decodes to 0 bytes without an error: it is still not a key."],
    "key_is_valid", "def key_is_valid(key):\n    ...  # your code here", _check_key)


def refused_request() -> bytes:
    """The request of exercise 01.status: version 13, but a key of 3 bytes."""
    return build_request("ws://127.0.0.1:8765/chat", key="AAAA").serialize()


def _check_status(answer: Any) -> CheckResult:
    from ..codec import parse_request

    problems = check_request(parse_request(refused_request()))
    expected = problems[0].status if problems else 101
    return check_value("01.status", "status", answer, expected, accepts=int,
                       form="an HTTP status code, e.g. 101",
                       why="read the Sec-WebSocket-Key line, and §4.2.1 on what a server "
                           "does with a request it cannot accept")


STATUS = Exercise(
    "01.status", "Which status answers this request?", Kind.BYTES,
    f"""A client sends this request (`given("01.status")` gives its bytes):

```
GET /chat HTTP/1.1
Host: 127.0.0.1:8765
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: AAAA
Sec-WebSocket-Version: 13
```

Which HTTP status code does a server that follows {_s("4.2.1")} and {_s("4.2.2")} answer
with? Set `status` to that number (`101` if the handshake succeeds).""",
    ["Check every header against the list in §4.2.1. One of them is not what §4.1 says a "
     "client must send.",
     "'AAAA' is valid base64. How many bytes does it decode to?",
     "When a request is not a valid WebSocket handshake, §4.2.1 says the server stops and "
     "answers with an appropriate HTTP error code, 'such as 400 Bad Request'."],
    "status", "status = None  # an HTTP status code", _check_status, given=refused_request)

EXERCISES = (ACCEPT_KEY, KEY_VALID, STATUS)
