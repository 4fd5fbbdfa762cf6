"""Sec-WebSocket-Key and Sec-WebSocket-Accept: the nonce and the server's proof (RFC 6455 §1.3).

The client sends 16 random bytes in base64; the server proves it read the request by
hashing that text (never decoded) with a fixed GUID::

    Sec-WebSocket-Accept = base64( SHA-1( Sec-WebSocket-Key + GUID ) )

:mod:`wslab.handshake` re-exports :data:`GUID`, :func:`generate_key` and
:func:`accept_key`; :func:`wslab.handshake_explain.accept_steps` shows each step.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from .errors import HandshakeError

__all__ = ["GUID", "accept_digest", "accept_key", "accept_mistake", "decode_base64",
           "generate_key"]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def generate_key() -> str:
    """A fresh Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1 item 7)."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def _key_bytes(key: str) -> bytes:
    try:
        return key.encode("latin-1")
    except UnicodeEncodeError:
        raise HandshakeError(f"{key!r} cannot be a header value: it has characters outside "
                             f"ISO-8859-1 (a Sec-WebSocket-Key is base64, plain ASCII)",
                             rfc="RFC 7230 §3.2", header="Sec-WebSocket-Key") from None


def accept_digest(key: str) -> bytes:
    """The 20-byte SHA-1 of ``key + GUID``, the key hashed as text (RFC 6455 §4.2.2 item 5.4).

    Raises:
        HandshakeError: ``key`` has characters that no header can carry.
    """
    return hashlib.sha1(_key_bytes(key) + GUID.encode()).digest()


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for ``key`` (RFC 6455 §4.2.2 item 5.4).

    :func:`wslab.handshake_explain.accept_steps` shows each step (SHA-1 of ``key + GUID``,
    then base64).

    Raises:
        HandshakeError: ``key`` has characters that no header can carry.
    """
    return base64.b64encode(accept_digest(key)).decode()


def decode_base64(value: str) -> bytes | None:
    """The bytes a header value holds in strict base64, or ``None`` if it is not base64."""
    try:
        return base64.b64decode(value.encode("latin-1"), validate=True)
    except (binascii.Error, ValueError):
        return None


def accept_mistake(key: str, got: str) -> str:
    """Why a server answered ``got`` to ``key``, when it is a known mistake; else ``""``.

    The answer starts with a space and is in brackets, to follow the message it explains.
    """
    if got == key:
        return " (the server echoed the key instead of hashing it)"
    raw = decode_base64(key)
    if raw is not None and got == base64.b64encode(hashlib.sha1(raw + GUID.encode())
                                                   .digest()).decode():
        return " (the server hashed the decoded key: hash the key as text)"
    if got == base64.b64encode(hashlib.sha1(_key_bytes(key + GUID)).hexdigest()
                               .encode()).decode():
        return " (the server took base64 of the hex digest, not of the 20 raw bytes)"
    return ""
