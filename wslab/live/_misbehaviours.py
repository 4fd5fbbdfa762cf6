"""The rules of RFC 6455 the scratch server can break on purpose: names, meanings, parsing.

:class:`wslab.live.ScratchServer` takes ``misbehave=[...]``, switches named here; the
command line takes ``--misbehave NAME``. What a real client does about each one is an
experiment of the scenarios layer (:func:`wslab.scenarios.client_reaction`).
"""

from __future__ import annotations

from collections.abc import Iterable

MISBEHAVIOURS = {
    "masked-frames": "the server masks its frames (a server must not, RFC 6455 §5.1)",
    "fragmented-ping": "before each echo, a ping with FIN=0 (control frames are never "
                       "fragmented, §5.5)",
    "invalid-utf8": "text echoes end with the byte 0xFF, never valid in UTF-8 (§8.1)",
    "no-pong": "pings are never answered (a pong is due as soon as practical, §5.5.2)",
    "close-code=NNNN": "right after the handshake, close with code NNNN, even one that must "
                       "not be sent (§7.4)",
}  # every misbehaviour of ScratchServer, by name, with the rule it breaks


def parse_misbehave(names: Iterable[str]) -> tuple[frozenset[str], int | None]:
    """Check ``misbehave`` switches; return the plain ones and the close code, if any.

    Raises:
        ValueError: an unknown switch, or a close code that is not 0-65535.
    """
    plain, code = set(), None
    for name in names:
        if name.startswith("close-code="):
            value = name.partition("=")[2]
            if not value.isdigit() or int(value) > 0xFFFF:
                raise ValueError(f"close-code=NNNN takes a code 0-65535, not {value!r}")
            code = int(value)
        elif name in MISBEHAVIOURS:
            plain.add(name)
        else:
            raise ValueError(f"unknown misbehaviour {name!r}; known: {', '.join(MISBEHAVIOURS)}")
    return frozenset(plain), code
