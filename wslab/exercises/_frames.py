"""Exercises of notebook 02: frame anatomy (RFC 6455 §5.2, §5.3, §5.4, §5.7)."""

from __future__ import annotations

from typing import Any

from ..codec import Frame, Opcode, Rule, apply_mask, dissect
from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_function, check_value

KEY = bytes.fromhex("37fa213d")  # RFC 6455 §5.7's masking key
MASKED_HELLO_PAYLOAD = bytes.fromhex("7f9f4d5158")  # §5.7: "Hello" masked with KEY


def _bytes(value: Any) -> Any:
    return bytes(value) if isinstance(value, (bytearray, memoryview)) else value


def _unmask_cases() -> list[Case]:
    long = bytes(range(256)) * 257  # 65792 bytes: past the 16-bit lengths
    other = bytes.fromhex("00ff10ef")
    inputs = [(MASKED_HELLO_PAYLOAD, KEY, "RFC 6455 §5.7: 'Hello'"), (b"", KEY, "empty payload"),
              (b"\x00", other, "1 byte"), (bytes(125), KEY, "125 bytes"),
              (b"abcdef", b"\x00\x00\x00\x00", "key of zeros"), (long[:65536], other,
                                                                 "65536 bytes"),
              (long[:7], other, "7 bytes: the key does not fit evenly")]
    return [Case((p, k), apply_mask(p, k), label) for p, k, label in inputs]


def _check_unmask(answer: Any) -> CheckResult:
    return check_function("02.unmask", "unmask", answer, _unmask_cases(),
                          returns=bytes, normalise=_bytes)


UNMASK = Exercise(
    "02.unmask", "Unmask a payload", Kind.CODE,
    f"""Write `unmask(payload, key)`: `payload` is the masked payload of a client frame
(`bytes`), `key` its 4-byte masking key; return the unmasked payload (`bytes`). {s("5.3")}:
octet *i* of the result is octet *i* of the payload XOR octet *i* modulo 4 of the key.
Example from {s("5.7")}: `unmask(bytes.fromhex("7f9f4d5158"), bytes.fromhex("37fa213d"))`
is `b"Hello"`. It must work for an empty payload and for payloads of any length.""",
    ["Go through the payload with its index: enumerate(payload) gives (i, byte) pairs, and "
     "bytes are ints in Python.",
     "The key repeats: byte i of the payload meets key[i % 4].",
     "Python's ^ is XOR; bytes(...) turns a list (or generator) of ints back into bytes."],
    "unmask", "def unmask(payload, key):\n    ...  # your code here", _check_unmask)


_LENGTHS = [0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 2**32, 2**63 - 1]


def _check_length(answer: Any) -> CheckResult:
    cases = [Case((n,), Frame(Opcode.BINARY, b"").header(declared_length=n)[1:],
                  {125: "largest 7-bit length", 126: "smallest 16-bit length",
                   65535: "largest 16-bit length", 65536: "smallest 64-bit length"}.get(n, ""))
             for n in _LENGTHS]
    return check_function("02.length", "encode_length", answer, cases, returns=bytes,
                          normalise=_bytes)


LENGTH = Exercise(
    "02.length", "Encode a payload length: 7, 16 or 64 bits", Kind.CODE,
    f"""Write `encode_length(n)`: the bytes that carry the payload length `n` in the header of
an *unmasked* frame, starting with the second header byte (so its MASK bit is 0), as
{s("5.2")} says: `n` ≤ 125 fits in that byte's 7 bits; 126 to 65535 give the value 126
followed by `n` as a 16-bit unsigned integer; larger lengths give 127 followed by a 64-bit
unsigned integer whose most significant bit is 0. Multibyte lengths are in network byte
order (big-endian), and "the minimal number of bytes MUST be used". Return `bytes`: 1, 3 or
9 of them.""",
    ["Three cases, by the size of n: three branches of an if.",
     "n.to_bytes(2, 'big') or struct.pack('!H', n) give the 16-bit form; 8 bytes, or '!Q', "
     "the 64-bit form.",
     "Check the edges: 125 is still 7-bit and 126 is not; 65535 is still 16-bit and 65536 "
     "is not."],
    "encode_length", "def encode_length(n):\n    ...  # your code here", _check_length)


_HEADERS = ["81 05", "81 85", "01 03", "80 02", "89 00", "8a fe", "88 7e", "c2 7f", "0f 7d",
            "f0 00", "00 80"]
_FIELDS = ("fin", "rsv1", "rsv2", "rsv3", "opcode", "masked", "length")
_NAMES = {"FIN": "fin", "RSV1": "rsv1", "RSV2": "rsv2", "RSV3": "rsv3", "opcode": "opcode",
          "MASK": "masked", "payload length": "length"}


def header_fields(two_bytes: bytes) -> dict[str, Any]:
    """The fields of a header's first two bytes, read by :func:`wslab.codec.dissect`."""
    d = dissect(two_bytes)
    fields = d.frames[0].fields if d.frames else d.partial_fields  # "f0 00" is a whole frame
    found = {_NAMES[f.name]: f.raw for f in fields if f.name in _NAMES and f.offset < 2}
    out = {name: found[name] for name in _FIELDS}
    for flag in ("fin", "rsv1", "rsv2", "rsv3", "masked"):
        out[flag] = bool(out[flag])
    return out


def _as_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                for k, v in value.items()}
    return value


def _check_header(answer: Any) -> CheckResult:
    cases = [Case((bytes.fromhex(h),), header_fields(bytes.fromhex(h))) for h in _HEADERS]
    return check_function("02.parse_header", "parse_header", answer, cases, returns=dict,
                          normalise=_as_dict)


PARSE_HEADER = Exercise(
    "02.parse_header", "Read the first two bytes of a header", Kind.CODE,
    f"""Write `parse_header(two_bytes)`: read the first two bytes of a frame header
({s("5.2")}) and return a `dict` with the keys `"fin"`, `"rsv1"`, `"rsv2"`, `"rsv3"`,
`"masked"` (each `True` or `False`), `"opcode"` (an `int`, 0 to 15) and `"length"` (the
7-bit payload length field as it is, 0 to 127: 126 and 127 mean that an extended length
follows). FIN is the most significant bit of the first byte; MASK the most significant bit
of the second. Do not judge the values: a reserved opcode is still returned as it is.""",
    ["two_bytes[0] and two_bytes[1] are ints from 0 to 255.",
     "A bit test: (byte & 0x80) != 0 for the top bit, then 0x40, 0x20, 0x10 for RSV1-3.",
     "The opcode is the low four bits of the first byte (& 0x0F), the length the low seven "
     "bits of the second (& 0x7F)."],
    "parse_header", "def parse_header(two_bytes):\n    ...  # your code here", _check_header)


def broken_stream() -> bytes:
    """The bytes of exercise 02.which_rule: three frames from a server."""
    return (Frame(Opcode.TEXT, b"Hel", fin=False).serialize()
            + Frame(Opcode.PING, b"Hello").serialize() + Frame(Opcode.TEXT, b"lo").serialize())


def _rule_answer(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        rule, offset = value
        return (rule.id if isinstance(rule, Rule) else rule, offset)
    return value


def _check_rule(answer: Any) -> CheckResult:
    first = dissect(broken_stream(), sender="server").violations[0]
    return check_value("02.which_rule", "rule_and_offset", answer, (first.rule.id, first.offset),
                       accepts=tuple, form='("rule-id", byte_offset)',
                       normalise=_rule_answer,
                       why="the rule ids are those of wslab.codec.Rules (Rules.all())")


WHICH_RULE = Exercise(
    "02.which_rule", "Which rule, at which byte?", Kind.BYTES,
    f"""A server sent these 16 bytes, three frames (`given("02.which_rule")` gives them):

```
{broken_stream()[:5].hex(' ')}   {broken_stream()[5:12].hex(' ')}   {broken_stream()[12:].hex(' ')}
```

They break one rule of RFC 6455. Which one, and at which byte offset (counting from 0) is
the byte that breaks it? Set `rule_and_offset` to a tuple `("rule-id", offset)`, with the
rule's id from `wslab.codec.Rules` (`[r.id for r in Rules.all()]` lists them; a `Rule`
object is fine too). Read {s("5.2")} for the bits and {s("5.4")} on fragmentation.""",
    ["Take each frame apart: FIN bit, opcode, length. What is the first frame's FIN, and "
     "what does FIN=0 mean for what may come next?",
     "The second frame is a ping (0x9). §5.4 says control frames MAY be injected in the "
     "middle of a fragmented message.",
     "The offset is that of the byte holding the offending field, the first byte of the "
     "third frame."],
    "rule_and_offset", 'rule_and_offset = None  # ("rule-id", byte_offset)', _check_rule,
    given=broken_stream)

EXERCISES = (UNMASK, LENGTH, PARSE_HEADER, WHICH_RULE)
