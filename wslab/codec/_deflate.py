"""permessage-deflate (RFC 7692): negotiate it, then compress and decompress, step by step.

Negotiation (§5, §7.1): the extension has four parameters: whether each side resets its
compressor after every message (``*_no_context_takeover``) and the largest LZ77 window each
side compresses with (``*_max_window_bits``). A client offers, the server answers with what
is agreed; :func:`negotiate` answers as a websockets server does, and
:func:`check_response_params` checks an answer as a websockets client does.

Compression (§7.2): a message is compressed as a whole with raw DEFLATE (RFC 1951), flushed
with ``Z_SYNC_FLUSH``, and the four bytes ``00 00 ff ff`` that the flush writes at the end
are removed (§7.2.1). The receiver puts them back before inflating (§7.2.2). RSV1 on the
first frame marks a compressed message (§6). Unless ``no_context_takeover`` was agreed, both
ends keep their LZ77 window from one message to the next (§7.1.1).
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ._errors import FrameError, HandshakeError, Rules
from ._extensions import HEADER, ExtensionOffer, parse_extensions
from ._frames import Frame, Opcode, Sender

NAME = "permessage-deflate"
WINDOW_BITS = re.compile(r"[89]|1[0-5]")  # decimal 8..15 without leading zeros (§7.1.2)
PARAMETERS = {  # permessage-deflate's parameters, in websockets' order, and where each is defined
    "server_no_context_takeover": "RFC 7692 §7.1.1.1",
    "client_no_context_takeover": "RFC 7692 §7.1.1.2",
    "server_max_window_bits": "RFC 7692 §7.1.2.1",
    "client_max_window_bits": "RFC 7692 §7.1.2.2",
}


def check_window_bits(bits: object, name: str = "max_window_bits",
                      rfc: str = "RFC 7692 §7.1.2") -> None:
    """Check an LZ77 window size: an ``int`` from 8 to 15 (RFC 7692 §7.1.2).

    Raises:
        ValueError: anything else (``True`` included), naming ``name`` and ``rfc``.
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or not 8 <= bits <= 15:
        raise ValueError(f"{name} is 8-15, not {bits!r} ({rfc})")


def _bad(message: str, rfc: str) -> HandshakeError:
    return HandshakeError(message, rfc=rfc, header=HEADER)


@dataclass(frozen=True)
class DeflateParams:
    """The four permessage-deflate parameters (RFC 7692 §7.1).

    Attributes:
        server_no_context_takeover: the server resets its compressor after each message.
        client_no_context_takeover: the client resets its compressor after each message.
        server_max_window_bits: the server's LZ77 window is at most 2**bits bytes (8-15).
        client_max_window_bits: the same for the client; ``True`` for the valueless form,
            allowed in an offer only ("I can use a smaller window if you ask").
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | Literal[True] | None = None

    def __post_init__(self) -> None:
        for name in ("server_max_window_bits", "client_max_window_bits"):
            bits = getattr(self, name)
            if bits is not None and not (bits is True and name.startswith("client")):
                check_window_bits(bits, name, PARAMETERS[name])

    @classmethod
    def from_offer(cls, offer: ExtensionOffer, *, response: bool = False) -> DeflateParams:
        """Read and validate the parameters of one permessage-deflate element (§7.1).

        Args:
            offer: an element from :func:`parse_extensions`.
            response: it comes from a server's response, where ``client_max_window_bits``
                needs a value (§7.1.2.2).
        Raises:
            HandshakeError: not permessage-deflate, unknown or repeated parameter, or bad
                value. A server declines such an offer; a client fails the connection (§7.1).
        """
        if offer.name != NAME:
            raise _bad(f"{offer.name!r} is not {NAME}", "RFC 7692 §7")
        who = "a client must fail the connection" if response else "a server must decline it"
        found: dict[str, int | bool] = {}
        for name, value in offer.params:
            if name not in PARAMETERS:
                raise _bad(f"unknown parameter {name!r}: permessage-deflate defines only "
                           f"{', '.join(PARAMETERS)} ({who})", "RFC 7692 §7.1")
            if name in found:
                raise _bad(f"parameter {name!r} appears more than once ({who})",
                           "RFC 7692 §7.1")
            if name.endswith("no_context_takeover"):
                if value is not None:
                    raise _bad(f"{name} takes no value, got {value!r} ({who})", PARAMETERS[name])
                found[name] = True
            elif value is None and name == "client_max_window_bits" and not response:
                found[name] = True
            elif value is None or not WINDOW_BITS.fullmatch(value):
                got = "no value" if value is None else repr(value)
                raise _bad(f"{name} needs a decimal value 8-15 without leading zeros, got "
                           f"{got} ({who})", PARAMETERS[name])
            else:
                found[name] = int(value)
        return cls(**found)  # type: ignore[arg-type]

    def to_header(self) -> str:
        """This element as a header value, e.g. ``permessage-deflate; client_max_window_bits``."""
        return str(self.to_offer())

    def to_offer(self) -> ExtensionOffer:
        """This element as an :class:`ExtensionOffer` (parameters in websockets' order)."""
        params: list[tuple[str, str | None]] = []
        for name in PARAMETERS:
            value = getattr(self, name)
            if value is True:
                params.append((name, None))
            elif value:
                params.append((name, str(value)))
        return ExtensionOffer(NAME, tuple(params))

    def deflater(self, side: Sender) -> Deflater:
        """The compressor ``side`` uses once these parameters are agreed."""
        nct, bits = self._of(side)
        return Deflater(no_context_takeover=nct, max_window_bits=bits)

    def inflater(self, side: Sender, *, max_size: int | None = None) -> Inflater:
        """The decompressor ``side`` uses for what its peer sends."""
        nct, bits = self._of("client" if side == "server" else "server")
        return Inflater(no_context_takeover=nct, max_window_bits=bits, max_size=max_size)

    def _of(self, side: Sender) -> tuple[bool, int]:
        bits = getattr(self, f"{side}_max_window_bits")
        return getattr(self, f"{side}_no_context_takeover"), 15 if bits in (None, True) else bits


def explain_params(params: DeflateParams, *, response: bool = False
                   ) -> list[tuple[str, str, str]]:
    """Every parameter in one line: ``(name, value, meaning with its RFC 7692 section)``.

    Args:
        params: the parameters.
        response: read them as a server's answer (what is agreed) rather than an offer.
    """
    rows = []
    for name, rfc in PARAMETERS.items():
        value = getattr(params, name)
        side, other = name.split("_")[0], "client" if name.startswith("server") else "server"
        if name.endswith("no_context_takeover"):
            shown = "present" if value else "absent"
            if value and response:
                text = (f"the {side} resets its compressor after every message: each of its "
                        "messages inflates on its own")
            elif value:
                text = (f"the client asks the {side} to reset its compressor after every "
                        "message" if side == "server" else
                        "the client says it will reset its compressor after every message")
            else:
                text = (f"the {side} may keep its LZ77 window from one message to the next "
                        f"(context takeover), so the {other} must keep its inflater")
        else:
            shown = "absent" if value is None else "(no value)" if value is True else str(value)
            if value is None:
                text = (f"no limit: the {side} may use a window of up to 2^15 = 32768 bytes"
                        + (" and cannot be asked for less (the answer must not carry it)"
                           if side == "client" and not response else ""))
            elif value is True:
                text = ("the client can use a smaller window if the server's answer names "
                        "one")
            elif response:
                text = f"the {side} compresses with a window of at most 2^{value} = " \
                       f"{1 << value} bytes"
            else:
                verb = "asks the server to use" if side == "server" else "will use"
                text = f"the client {verb} a window of at most 2^{value} = {1 << value} bytes"
        rows.append((name, shown, f"{text} ({rfc})"))
    return rows


# -- negotiation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class NegotiationProblem:
    """Why a client must fail the connection after a server's answer (RFC 7692 §7.1)."""

    param: str
    message: str
    rfc: str

    def to_error(self) -> HandshakeError:
        return HandshakeError(self.message, rfc=self.rfc, header=HEADER)

    def __str__(self) -> str:
        return f"{self.param}: {self.message} ({self.rfc})"


def _answer(offer: DeflateParams, snct: bool, cnct: bool, smwb: int | None, cmwb: int | None,
            require_cmwb: bool) -> DeflateParams:
    sbits, cbits = offer.server_max_window_bits, offer.client_max_window_bits
    if smwb is not None:
        sbits = smwb if sbits is None else min(sbits, smwb)
    if sbits == 8:
        raise _bad("server_max_window_bits=8 asked, but zlib cannot compress with an "
                   "8-bit window (wslab, like websockets, declines; offer 9)", PARAMETERS[
                       "server_max_window_bits"])
    if cbits is None and cmwb is not None and require_cmwb:
        raise _bad("the client cannot limit its window (no client_max_window_bits) and "
                   "this server requires it", PARAMETERS["client_max_window_bits"])
    if cbits is True:
        cbits = cmwb
    elif cbits is not None and cmwb is not None:
        cbits = min(cbits, cmwb)
    return DeflateParams(offer.server_no_context_takeover or snct,
                         offer.client_no_context_takeover or cnct, sbits, cbits)


def negotiate_steps(offers: str | Sequence[ExtensionOffer], *,
                    server_no_context_takeover: bool = False,
                    client_no_context_takeover: bool = False,
                    server_max_window_bits: int | None = None,
                    client_max_window_bits: int | None = None,
                    require_client_max_window_bits: bool = False,
                    ) -> list[tuple[ExtensionOffer, DeflateParams | None, str]]:
    """What a server answers to each offer: ``(offer, answer or None, why)``.

    Same policy as ``websockets.extensions.permessage_deflate.ServerPerMessageDeflateFactory``
    (the keywords are its configuration): context takeover is dropped when the client asks
    or the server is configured to; window sizes are the smaller of asked and configured;
    a valueless ``client_max_window_bits`` gets the configured limit or is left out. Declined:
    other extensions, invalid elements (§7.1), ``server_max_window_bits=8`` (zlib cannot
    compress with 8 bits), and with ``require_client_max_window_bits`` an offer without
    ``client_max_window_bits``.
    """
    if isinstance(offers, str):
        offers = parse_extensions(offers)
    DeflateParams(server_max_window_bits=server_max_window_bits,
                  client_max_window_bits=client_max_window_bits)  # validates the ranges
    if server_max_window_bits == 8:
        raise ValueError("zlib cannot compress with an 8-bit window: use 9 to 15")
    steps: list[tuple[ExtensionOffer, DeflateParams | None, str]] = []
    for offer in offers:
        if offer.name != NAME:
            steps.append((offer, None, f"skipped: {offer.name!r} is not {NAME}"))
            continue
        try:
            answer = _answer(DeflateParams.from_offer(offer), server_no_context_takeover,
                             client_no_context_takeover, server_max_window_bits,
                             client_max_window_bits, require_client_max_window_bits)
        except HandshakeError as exc:
            steps.append((offer, None, f"declined: {exc}"))
        else:
            done = any(a is not None for _, a, _ in steps)
            steps.append((offer, None if done else answer,
                          "not considered: an earlier offer was accepted" if done else
                          f"accepted: {answer.to_header()}"))
    return steps


def negotiate(offers: str | Sequence[ExtensionOffer], **config: int | bool | None
              ) -> DeflateParams | None:
    """The server's answer to the first acceptable offer, or ``None`` (compression off).

    Args:
        offers: the client's ``Sec-WebSocket-Extensions`` value or parsed offers.
        config: the keywords of :func:`negotiate_steps`, which documents the policy.
    """
    for _, answer, _ in negotiate_steps(offers, **config):  # type: ignore[arg-type]
        if answer is not None:
            return answer
    return None


def check_response_params(offered: DeflateParams, answered: DeflateParams
                          ) -> list[NegotiationProblem]:
    """What is wrong with a server's answer to ``offered`` (empty list: acceptable).

    ``answered`` comes from ``DeflateParams.from_offer(..., response=True)``. When a client
    made several offers, the answer is acceptable if it fits any one of them.
    """
    problems = []
    if offered.server_no_context_takeover and not answered.server_no_context_takeover:
        problems.append(("server_no_context_takeover", "offered but missing from the answer: "
                         "a server accepts it by echoing it"))
    ask, got = offered.server_max_window_bits, answered.server_max_window_bits
    if ask is not None and got is None:
        problems.append(("server_max_window_bits", f"offered as {ask} but missing from the "
                         "answer: a server accepts it by echoing the same or a smaller value"))
    elif ask is not None and got is not None and got > ask:
        problems.append(("server_max_window_bits",
                         f"answered {got}, larger than the {ask} offered"))
    ask_c, got_c = offered.client_max_window_bits, answered.client_max_window_bits
    if got_c is True:
        problems.append(("client_max_window_bits", "in the answer without a value: an answer "
                         "names the client's window size"))
    elif ask_c is None and got_c is not None:
        problems.append(("client_max_window_bits", "in the answer although the client did "
                         "not offer it: the server must not include it then"))
    elif isinstance(ask_c, int) and ask_c is not True and got_c is not None and got_c > ask_c:
        problems.append(("client_max_window_bits",
                         f"answered {got_c}, larger than the {ask_c} offered"))
    return [NegotiationProblem(p, m, PARAMETERS[p]) for p, m in problems]


# -- compression ----------------------------------------------------------------------

TAIL = b"\x00\x00\xff\xff"  # LEN=0, NLEN=0xffff of the empty stored block a sync flush ends with


# -- compression ----------------------------------------------------------------------------

class Deflater:
    """Compress messages for one direction of a connection (RFC 7692 §7.2.1).

    zlib refuses an 8-bit window for raw DEFLATE (madler/zlib#171), so
    ``max_window_bits=8`` compresses with 9, as zlib itself does for zlib streams:
    ``window_bits`` says what is really used. Back-references may then reach 512 bytes,
    more than a peer that agreed on 8 must keep; that is why websockets and
    :func:`negotiate` never agree to compress with 8.

    Args:
        no_context_takeover: start every message with an empty LZ77 window (§7.1.1).
        max_window_bits: LZ77 window of 2**bits bytes (8-15, §7.1.2).
        level: zlib compression level (-1 = default, 0-9).
    """

    def __init__(self, *, no_context_takeover: bool = False, max_window_bits: int = 15,
                 level: int = zlib.Z_DEFAULT_COMPRESSION) -> None:
        check_window_bits(max_window_bits)
        self.no_context_takeover = no_context_takeover
        self.max_window_bits = max_window_bits
        self.window_bits = max(9, max_window_bits)
        self.level = level
        self.messages = 0  # messages finished so far
        self._zobj: zlib._Compress | None = None
        self._in_message = False

    def compress_raw(self, data: bytes, *, fin: bool = True) -> bytes:
        """Compress (part of) a message as zlib writes it: sync flush, ``00 00 ff ff`` kept."""
        if not self._in_message and (self._zobj is None or self.no_context_takeover):
            self._zobj = zlib.compressobj(self.level, zlib.DEFLATED, -self.window_bits)
        assert self._zobj is not None
        raw = self._zobj.compress(data) + self._zobj.flush(zlib.Z_SYNC_FLUSH)
        self._in_message = not fin
        self.messages += fin
        return raw

    def compress(self, data: bytes, *, fin: bool = True) -> bytes:
        """The compressed payload of a whole message (or, with ``fin=False``, of its start).

        The final part has its ``00 00 ff ff`` tail removed (§7.2.1); an empty message
        gives ``00`` (§7.2.3.6). Earlier parts keep their tail, as websockets sends them.
        """
        raw = self.compress_raw(data, fin=fin)
        return raw[:-4] if fin and raw.endswith(TAIL) else raw


class Inflater:
    """Decompress the messages one peer sends, frame by frame (RFC 7692 §7.2.2).

    After an error the message is abandoned and the next one starts with an empty
    window (with context takeover, later messages may then fail too).

    Args:
        no_context_takeover: the peer resets its window per message, so can we.
        max_window_bits: the peer's LZ77 window (8-15).
        max_size: largest inflated message; zlib never produces more than one byte past
            it, so a deflate bomb cannot allocate unbounded memory. ``None``: no limit.
    """

    def __init__(self, *, no_context_takeover: bool = False, max_window_bits: int = 15,
                 max_size: int | None = None) -> None:
        check_window_bits(max_window_bits)
        self.no_context_takeover = no_context_takeover
        self.max_window_bits = max_window_bits
        self.max_size = max_size
        self.messages = 0  # messages finished so far
        self.message_size = 0  # bytes inflated so far in the current message
        self._fragments = 0
        self._zobj: zlib._Decompress | None = None
        self._in_message = False

    def decompress(self, fragment: bytes | bytearray | memoryview, *, fin: bool) -> bytes:
        """Inflate the payload of one frame of a compressed message.

        Args:
            fragment: the frame's (unmasked) payload.
            fin: it is the last frame of the message (``00 00 ff ff`` is appended).
        Raises:
            FrameError: ``Rules.DEFLATE_ERROR`` if the data does not inflate (zlib's
                complaint in the message), ``Rules.MESSAGE_TOO_BIG`` past ``max_size``.
        """
        if not self._in_message:
            zobj = self._zobj
            if zobj is None or zobj.eof or self.no_context_takeover:
                self._zobj = zlib.decompressobj(-self.max_window_bits)
            self._in_message, self.message_size, self._fragments = True, 0, 0
        assert self._zobj is not None
        self._fragments += 1
        data = bytes(fragment) + TAIL if fin else fragment
        room = None if self.max_size is None else self.max_size - self.message_size
        try:  # data after a final block (BFINAL=1, §7.2.3.4) lands in unused_data: ignored
            out = self._zobj.decompress(data, 0 if room is None else room + 1)
        except zlib.error as exc:
            self._abandon()
            raise FrameError(f"compressed data does not inflate in frame {self._fragments} of "
                             f"the message: zlib says {exc}", offset=None,
                             rule=Rules.DEFLATE_ERROR) from None
        self.message_size += len(out)
        if room is not None and len(out) > room:
            self._abandon()
            raise FrameError(f"message inflates to more than max_size={self.max_size} bytes "
                             "(refused, close code 1009)", offset=None,
                             rule=Rules.MESSAGE_TOO_BIG)
        if fin:
            self._in_message = False
            self.messages += 1
        return out

    def _abandon(self) -> None:
        self._zobj, self._in_message = None, False


def inflate_frames(frames: Sequence[Frame], inflater: Inflater | None = None) -> bytes:
    """Inflate the payloads of the frames of one compressed message (the last has FIN)."""
    inflater = Inflater() if inflater is None else inflater
    return b"".join(inflater.decompress(f.payload, fin=f.fin) for f in frames)


# -- teaching helpers ----------------------------------------------------------------------

def _message(data: str | bytes) -> tuple[Opcode, bytes]:
    if isinstance(data, str):
        return Opcode.TEXT, data.encode("utf-8")
    return Opcode.BINARY, bytes(data)


def _hex(data: bytes, limit: int) -> str:
    more = f" … ({len(data) - limit} more)" if len(data) > limit else ""
    return (data[:limit].hex(" ") or "(none)") + more


@dataclass(frozen=True)
class DeflateSteps:
    """How one message is compressed, step by step (RFC 7692 §7.2.1).

    Attributes:
        data: the message as bytes; ``opcode``: TEXT (from ``str``) or BINARY.
        raw: zlib's raw DEFLATE output after a sync flush, ``00 00 ff ff`` included.
        payload: ``raw`` without that tail: what the frame carries.
        frame: the single frame, RSV1 set (§6: RSV1 marks the first frame as compressed).
        window_bits, context_takeover: the deflater's settings; ``index``: 0 for its first
            message (later messages may refer back to earlier ones with context takeover).
    """

    data: bytes
    opcode: Opcode
    raw: bytes
    payload: bytes
    frame: Frame
    window_bits: int
    context_takeover: bool
    index: int = 0

    @property
    def tail(self) -> bytes:
        return self.raw[len(self.payload):]

    def to_text(self, limit: int = 32) -> str:
        """Terminal text, each byte string cut after ``limit`` bytes."""
        b0 = self.frame.serialize()[0]
        kept = ("kept for the next message (context takeover)" if self.context_takeover
                else "reset after this message (no_context_takeover)")
        ratio = f"{len(self.payload) / len(self.data):.0%}" if self.data else "-"
        return "\n".join([
            f"permessage-deflate, message {self.index + 1} (RFC 7692 §7.2.1)",
            f"  input    {len(self.data):>5} B  {_hex(self.data, limit)}",
            f"  zlib     {len(self.raw):>5} B  {_hex(self.raw, limit)}",
            f"           raw DEFLATE, window 2^{self.window_bits}, Z_SYNC_FLUSH",
            f"  tail         {len(self.tail)} B  {_hex(self.tail, limit)}  the empty stored block "
            "a sync flush ends with",
            "           (LEN 0000, NLEN ffff): removed (§7.2.1); the receiver adds it back "
            "(§7.2.2)",
            f"  payload  {len(self.payload):>5} B  {_hex(self.payload, limit)}  "
            f"({ratio} of the input)",
            f"  frame    {_hex(self.frame.serialize(), limit + 10)}",
            f"           first byte {b0:02x} = {b0:08b}: FIN=1, RSV1=1 (compressed), "
            f"opcode {int(self.opcode):#x} {self.frame.opcode_name}",
            "           RSV1 marks the first frame of a compressed message only (§6)",
            f"  window   {kept}",
        ])

    def __str__(self) -> str:
        return self.to_text()


def compress_steps(data: str | bytes, deflater: Deflater | None = None) -> DeflateSteps:
    """Compress one message with ``deflater`` (a fresh one if ``None``), keeping every step."""
    deflater = Deflater() if deflater is None else deflater
    opcode, raw_in = _message(data)
    index = deflater.messages
    raw = deflater.compress_raw(raw_in)
    payload = raw[:-4] if raw.endswith(TAIL) else raw
    return DeflateSteps(raw_in, opcode, raw, payload, Frame(opcode, payload, rsv1=True),
                        deflater.window_bits, not deflater.no_context_takeover, index)


def compressed_frames(text_or_bytes: str | bytes, *, fragment_sizes: Sequence[int] | None = None,
                      mask: bytes | Literal[True] | None = None,
                      deflater: Deflater | None = None) -> list[Frame]:
    """The frames of one compressed message (RSV1 and opcode on the first, CONT after).

    Args:
        text_or_bytes: ``str`` makes a text message, ``bytes`` a binary one.
        fragment_sizes: sizes of the first fragments of the *compressed* payload; the rest
            forms the last fragment (none if nothing is left). ``None``: one frame.
        mask: a 4-byte key for every frame, ``True`` for a fresh random key per frame
            (what a client must do, RFC 6455 §5.3), ``None`` for unmasked frames.
        deflater: carries the context between messages (a fresh one if ``None``).
    Raises:
        ValueError: the fragment sizes add up to more than the compressed payload.
    """
    deflater = Deflater() if deflater is None else deflater
    opcode, data = _message(text_or_bytes)
    payload = deflater.compress(data)
    sizes = list(fragment_sizes or [])
    if any(s < 0 for s in sizes) or sum(sizes) > len(payload):
        raise ValueError(f"fragment sizes {sizes} do not fit the {len(payload)}-byte "
                         "compressed payload")
    if sum(sizes) < len(payload) or not sizes:
        sizes.append(len(payload) - sum(sizes))
    frames, start = [], 0
    for i, size in enumerate(sizes):
        key = os.urandom(4) if mask is True else mask
        frames.append(Frame(opcode if i == 0 else Opcode.CONT, payload[start:start + size],
                            fin=i == len(sizes) - 1, rsv1=i == 0, masking_key=key))
        start += size
    return frames
