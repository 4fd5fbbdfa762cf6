"""The Sec-WebSocket-Extensions header (RFC 6455 §9.1): parse it, check a server's answer.

Extension header grammar (RFC 6455 §9.1)::

    Sec-WebSocket-Extensions = extension-list
    extension-list = 1#extension
    extension = extension-token *( ";" extension-param )
    extension-param = token [ "=" (token | quoted-string) ]

The one extension wslab speaks, permessage-deflate (RFC 7692), is in
:mod:`wslab.codec._deflate`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._errors import HandshakeError
from ._http11 import TOKEN

HEADER = "Sec-WebSocket-Extensions"
_GRAMMAR = "RFC 6455 §9.1"
_OWS = re.compile(r"[ \t]*")
_QUOTED = re.compile(r'"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"')
_UNQUOTE = re.compile(r"\\(.)", re.S)

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
