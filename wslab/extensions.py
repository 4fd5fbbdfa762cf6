"""Sec-WebSocket-Extensions and permessage-deflate's parameters: parse, check, negotiate.

Extension header grammar (RFC 6455 §9.1)::

    Sec-WebSocket-Extensions = extension-list
    extension-list = 1#extension
    extension = extension-token *( ";" extension-param )
    extension-param = token [ "=" (token | quoted-string) ]

permessage-deflate (RFC 7692 §7.1) has four parameters: whether each side resets its
compressor after every message (``*_no_context_takeover``) and the largest LZ77 window each
side compresses with (``*_max_window_bits``). A client offers, the server answers with what
is agreed; :func:`negotiate` answers as a websockets server does, and
:func:`check_response_params` checks an answer as a websockets client does. The compressors
are in :mod:`wslab.deflate`, which re-exports the names that lived there before
(``from wslab.deflate import DeflateParams, negotiate, parse_extensions`` keeps working).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import HandshakeError
from .headers import TOKEN

if TYPE_CHECKING:
    from .deflate import Deflater, Inflater
    from .frames import Sender

__all__ = [
    "PARAMETERS", "WINDOW_BITS", "DeflateParams", "ExtensionOffer", "NegotiationProblem",
    "check_answered_extensions", "check_response_params", "check_window_bits",
    "explain_params", "negotiate", "negotiate_steps", "parse_extensions",
]

NAME = "permessage-deflate"
HEADER = "Sec-WebSocket-Extensions"
_GRAMMAR = "RFC 6455 §9.1"
_OWS = re.compile(r"[ \t]*")
_QUOTED = re.compile(r'"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"')
_UNQUOTE = re.compile(r"\\(.)", re.S)
WINDOW_BITS = re.compile(r"[89]|1[0-5]")  # decimal 8..15 without leading zeros (§7.1.2)
PARAMETERS = {  # permessage-deflate's parameters, in websockets' order, and where each is defined
    "server_no_context_takeover": "RFC 7692 §7.1.1.1",
    "client_no_context_takeover": "RFC 7692 §7.1.1.2",
    "server_max_window_bits": "RFC 7692 §7.1.2.1",
    "client_max_window_bits": "RFC 7692 §7.1.2.2",
}


# -- Sec-WebSocket-Extensions -----------------------------------------------------------

@dataclass(frozen=True)
class ExtensionOffer:
    """One element of a ``Sec-WebSocket-Extensions`` header.

    Attributes:
        name: the extension token, e.g. ``"permessage-deflate"``.
        params: ``(name, value)`` pairs in header order; ``value`` is ``None`` when absent
            and already unquoted when it was a quoted-string.
    """

    name: str
    params: tuple[tuple[str, str | None], ...] = ()

    def __str__(self) -> str:
        return "; ".join([self.name] + [n if v is None else f"{n}={v}" for n, v in self.params])


def parse_extensions(value: str, *, offset: int | None = None) -> list[ExtensionOffer]:
    """Parse a ``Sec-WebSocket-Extensions`` value (RFC 6455 §9.1) into offers, in order.

    Optional whitespace around ``,`` ``;`` ``=`` and empty list elements (RFC 7230 §7)
    are tolerated, as by ``websockets.headers.parse_extension``.

    Args:
        value: the header value (several header lines joined with ``,``).
        offset: where ``value`` starts in the raw handshake, to give errors a byte offset.
    Raises:
        HandshakeError: malformed value (``rfc="RFC 6455 §9.1"``, ``status=400``); the
            message names the character position and what was expected there.
    """
    def fail(pos: int, expected: str) -> HandshakeError:
        found = repr(value[pos]) if pos < len(value) else "the end"
        return HandshakeError(
            f"malformed {HEADER}: expected {expected} at character {pos}, found {found}"
            f" in {value!r}", rfc=_GRAMMAR, status=400, header=HEADER,
            offset=None if offset is None else offset + pos)

    def token(pos: int, what: str) -> tuple[str, int]:
        match = TOKEN.match(value, pos)
        if match is None:
            raise fail(pos, what)
        return match.group(), match.end()

    def ows(pos: int) -> int:
        return _OWS.match(value, pos).end()  # type: ignore[union-attr]

    offers: list[ExtensionOffer] = []
    pos, end = ows(0), len(value.rstrip(" \t"))
    while pos < end and value[pos] == ",":  # empty elements before the first one
        pos = ows(pos + 1)
    while True:
        name, pos = token(pos, "an extension name (a token)")
        params: list[tuple[str, str | None]] = []
        pos = ows(pos)
        while pos < end and value[pos] == ";":
            pname, pos = token(ows(pos + 1), "a parameter name (a token)")
            pvalue = None
            pos = ows(pos)
            if pos < end and value[pos] == "=":
                pos = ows(pos + 1)
                if pos < end and value[pos] == '"':
                    match = _QUOTED.match(value, pos)
                    if match is None:
                        raise fail(pos, "a complete quoted-string")
                    pvalue = _UNQUOTE.sub(r"\1", match.group(1))
                    if not TOKEN.fullmatch(pvalue):
                        raise fail(pos, "a quoted value that is a token once unquoted")
                    pos = match.end()
                else:
                    pvalue, pos = token(pos, "a parameter value (a token or quoted-string)")
                pos = ows(pos)
            params.append((pname, pvalue))
        offers.append(ExtensionOffer(name, tuple(params)))
        if pos >= end:
            return offers
        if value[pos] != ",":
            raise fail(pos, "',' or ';'")
        while pos < end and value[pos] == ",":
            pos = ows(pos + 1)
        if pos >= end:
            return offers


def check_answered_extensions(answered: Sequence[str], offered: Sequence[str] | None
                              ) -> list[str]:
    """What is wrong with the extensions a server's answer accepts (RFC 6455 §4.1 check 5).

    Args:
        answered: the answer's ``Sec-WebSocket-Extensions`` values, one per header line.
        offered: the request's values; ``None`` when unknown (only the grammar is checked).
    Returns:
        one message per problem: the first malformed value (nothing more is checked then),
        or each extension the client did not offer (names compared case-insensitively).
    """
    names: list[str] = []
    for value in answered:
        try:
            names += [offer.name for offer in parse_extensions(value)]
        except HandshakeError as exc:
            return [exc.message]
    if offered is None:
        return []
    try:
        known = {o.name.lower() for value in offered for o in parse_extensions(value)}
    except HandshakeError:
        known = set()
    return [f"extension {name!r} was not offered by the client" for name in names
            if name.lower() not in known]


# -- parameters -----------------------------------------------------------------------------

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

    # wslab.deflate imports this module (to re-export its names), so the compressors are
    # imported when first asked for, not at the top: no import cycle.

    def deflater(self, side: Sender) -> Deflater:
        """The compressor ``side`` uses once these parameters are agreed."""
        from .deflate import Deflater

        nct, bits = self._of(side)
        return Deflater(no_context_takeover=nct, max_window_bits=bits)

    def inflater(self, side: Sender, *, max_size: int | None = None) -> Inflater:
        """The decompressor ``side`` uses for what its peer sends."""
        from .deflate import Inflater

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

