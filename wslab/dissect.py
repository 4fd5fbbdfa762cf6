"""Dissection: every field of every frame, explained, and every rule broken.

SKELETON — the data model below is the contract shared by render.py and cli.py.
The logic of :func:`dissect` is to be written (see the module's tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Incomplete, Violation
from .frames import Frame, Sender
from .mask import mask_steps

__all__ = ["Dissection", "Field", "FrameDissection", "Message", "dissect"]


@dataclass(frozen=True)
class Field:
    """One field of a frame as found on the wire.

    Attributes:
        name: e.g. "FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length",
            "extended payload length", "masking key", "payload".
        offset: absolute offset of its first byte.
        length: how many bytes it spans (1 for a bit field).
        bits: ``(first, last)`` bit positions inside the byte at ``offset``, 0 being the
            most significant bit as in RFC 6455's diagram; ``None`` for whole bytes.
        raw: the value as on the wire (an int for bit fields and lengths, bytes otherwise).
        value: the decoded value (e.g. ``Opcode.TEXT``, ``True``, the unmasked payload).
        meaning: one line saying what it means here.
    """

    name: str
    offset: int
    length: int
    bits: tuple[int, int] | None
    raw: int | bytes
    value: Any
    meaning: str

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class Message:
    """A data message reassembled from one or more frames.

    Attributes:
        opcode: TEXT or BINARY (from the first frame).
        payload: the reassembled payload (inflated if it was compressed and inflation is on).
        frames: indices (into ``Dissection.frames``) of the frames that carried it.
        compressed: RSV1 was set on the first frame (permessage-deflate).
        text: the payload decoded as UTF-8 for a valid text message, else ``None``.
    """

    opcode: int
    payload: bytes
    frames: list[int]
    compressed: bool = False
    text: str | None = None


@dataclass
class FrameDissection:
    """One frame, taken apart.

    Attributes:
        index: position in the dissection (0-based).
        offset: absolute offset of the frame's first byte.
        raw: the frame's bytes as on the wire.
        frame: the decoded :class:`~wslab.frames.Frame` (payload unmasked).
        header_length: bytes before the payload.
        payload_length: the declared payload length.
        fields: every field; together they cover ``raw`` byte for byte.
        violations: rules this frame breaks, including message-level ones found here.
        text: this frame's text (for text data, when decodable), or the inflated text
            of a compressed message on the frame that completes it.
        close_code, close_reason: for close frames with a payload.
        message: the message this frame completes, if any.
    """

    index: int
    offset: int
    raw: bytes
    frame: Frame
    header_length: int
    payload_length: int
    fields: list[Field] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    text: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    message: Message | None = None

    @property
    def length(self) -> int:
        return len(self.raw)

    def mask_steps(self, limit: int | None = 16) -> list[tuple[int, int, int, int]]:
        """The unmasking, byte by byte: ``(i, masked byte, key byte i % 4, unmasked byte)``."""
        if self.frame.masking_key is None:
            return []
        masked = self.raw[self.header_length :]
        return mask_steps(masked, self.frame.masking_key, limit=limit)

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class Dissection:
    """The result of :func:`dissect`: frames, messages, violations, and what is missing.

    Attributes:
        data: the bytes dissected.
        frames: every complete frame.
        messages: every complete data message.
        incomplete: set when the bytes end inside a frame (says how many more are needed).
        sender: who sent the bytes ("client", "server" or ``None`` if unknown).
        deflate: permessage-deflate was assumed negotiated.
    """

    data: bytes
    frames: list[FrameDissection]
    messages: list[Message]
    incomplete: Incomplete | None
    sender: Sender | None = None
    deflate: bool = False

    @property
    def violations(self) -> list[Violation]:
        return [v for f in self.frames for v in f.violations]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


def dissect(data: bytes, *, sender: Sender | None = None, deflate: bool = False,
            max_size: int | None = None) -> Dissection:
    """Take ``data`` apart frame by frame. Never raises on any bytes."""
    raise NotImplementedError
