"""Errors raised by the wslab codec, and the catalogue of rules they cite.

Every problem wslab reports names *what* is wrong, *where* (a byte offset) and
*which rule* it breaks (an RFC section). Strict decoders raise :class:`FrameError`;
dissectors never raise on bytes and return :class:`Violation` records instead.
Both use the same :class:`Rule` values and the same per-frame checks
(:func:`wslab.codec.frame_problems`), so a strict error names the first of the
violations a dissection lists for the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule of the protocol that bytes can break.

    Attributes:
        id: short stable identifier, e.g. ``"reserved-opcode"`` (used in JSON).
        rfc: where the rule is written, e.g. ``"RFC 6455 §5.2"``.
        text: the rule in one sentence.
    """

    id: str
    rfc: str
    text: str

    def __str__(self) -> str:
        return f"{self.id} ({self.rfc})"


class Rules:
    """The catalogue of frame and message rules (RFC 6455 and RFC 7692)."""

    TRUNCATED = Rule(
        "truncated", "RFC 6455 §5.2",
        "a frame is a header followed by exactly payload-length bytes of payload",
    )
    RSV_WITHOUT_EXTENSION = Rule(
        "rsv-without-extension", "RFC 6455 §5.2",
        "RSV1, RSV2 and RSV3 must be 0 unless a negotiated extension defines them",
    )
    RESERVED_OPCODE = Rule(
        "reserved-opcode", "RFC 6455 §5.2",
        "opcodes 0x3-0x7 and 0xB-0xF are reserved and must not be used",
    )
    NON_MINIMAL_LENGTH = Rule(
        "non-minimal-length", "RFC 6455 §5.2",
        "the minimal number of bytes must be used to encode the payload length",
    )
    LENGTH_TOP_BIT = Rule(
        "length-top-bit-set", "RFC 6455 §5.2",
        "the most significant bit of a 64-bit payload length must be 0",
    )
    CLIENT_UNMASKED = Rule(
        "client-frame-unmasked", "RFC 6455 §5.1",
        "a client must mask every frame it sends to the server",
    )
    SERVER_MASKED = Rule(
        "server-frame-masked", "RFC 6455 §5.1",
        "a server must not mask any frame it sends to the client",
    )
    CONTROL_TOO_LONG = Rule(
        "control-frame-too-long", "RFC 6455 §5.5",
        "control frames (close, ping, pong) carry at most 125 bytes of payload",
    )
    CONTROL_FRAGMENTED = Rule(
        "control-frame-fragmented", "RFC 6455 §5.5",
        "control frames must not be fragmented: their FIN bit must be 1",
    )
    CLOSE_ONE_BYTE = Rule(
        "close-payload-one-byte", "RFC 6455 §5.5.1",
        "a close payload is empty or starts with a 2-byte status code",
    )
    CLOSE_CODE_INVALID = Rule(
        "close-code-invalid", "RFC 6455 §7.4",
        "a close frame may only carry 1000-1003, 1007-1014, 3000-3999 or 4000-4999",
    )
    CLOSE_REASON_UTF8 = Rule(
        "close-reason-invalid-utf8", "RFC 6455 §5.5.1",
        "the reason in a close frame must be valid UTF-8",
    )
    TEXT_UTF8 = Rule(
        "text-invalid-utf8", "RFC 6455 §8.1",
        "the payload of a text message must be valid UTF-8 (checked across fragments)",
    )
    CONTINUATION_WITHOUT_START = Rule(
        "continuation-without-start", "RFC 6455 §5.4",
        "a continuation frame must follow a text or binary frame with FIN=0",
    )
    DATA_DURING_FRAGMENTED = Rule(
        "data-frame-during-fragmented-message", "RFC 6455 §5.4",
        "while a fragmented message is open only continuation and control frames may follow",
    )
    FRAME_AFTER_CLOSE = Rule(
        "frame-after-close", "RFC 6455 §5.5.1",
        "after sending a close frame an endpoint must not send any more data frames",
    )
    MESSAGE_TOO_BIG = Rule(
        "message-too-big", "RFC 6455 §10.4",
        "an endpoint may refuse a message larger than it is willing to buffer (close 1009)",
    )
    RSV1_ON_CONTINUATION = Rule(
        "rsv1-on-continuation", "RFC 7692 §6",
        "with permessage-deflate, RSV1 is set on the first frame of a message only",
    )
    RSV1_ON_CONTROL = Rule(
        "rsv1-on-control-frame", "RFC 7692 §6",
        "permessage-deflate never compresses control frames: RSV1 must be 0 on them",
    )
    DEFLATE_ERROR = Rule(
        "deflate-error", "RFC 7692 §7.2.2",
        "a compressed message must inflate to valid data",
    )

    @classmethod
    def all(cls) -> list[Rule]:
        """Return every rule in the catalogue."""
        return [v for v in vars(cls).values() if isinstance(v, Rule)]


class WslabError(Exception):
    """Base class of every error wslab raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        # The constructors take keyword-only arguments, which pickle's default (calling
        # the class with self.args) cannot pass: rebuild from the attributes instead, so
        # errors can cross process boundaries (multiprocessing, pytest-xdist).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[WslabError], args: tuple[object, ...],
             state: dict[str, object]) -> WslabError:
    """Recreate a pickled wslab error (see :meth:`WslabError.__reduce__`)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class FrameError(WslabError, ValueError):
    """Bytes that break a rule of RFC 6455 (strict decoding).

    Attributes:
        message: what is wrong, in one sentence.
        offset: absolute byte offset of the offending byte (or ``None``).
        rule: the :class:`Rule` broken.
    """

    def __init__(self, message: str, *, offset: int | None, rule: Rule) -> None:
        self.message = message
        self.offset = offset
        self.rule = rule
        where = f"byte {offset}: " if offset is not None else ""
        super().__init__(f"{where}{message} [{rule.id}, {rule.rfc}]")

    @property
    def rfc(self) -> str:
        return self.rule.rfc


class Incomplete(FrameError):
    """The input ends before the frame does.

    Attributes:
        offset: where the incomplete frame starts.
        have: how many bytes of it are there.
        need: how many more bytes are needed to go on (at least).
    """

    def __init__(self, *, offset: int, have: int, need: int, what: str = "frame") -> None:
        self.have = have
        self.need = need
        super().__init__(
            f"truncated {what}: {have} byte(s) present, {need} more needed",
            offset=offset,
            rule=Rules.TRUNCATED,
        )


class HandshakeError(WslabError, ValueError):
    """An opening handshake that breaks a rule of RFC 6455 §4.

    Attributes:
        message: what is wrong.
        rfc: where the rule is written, e.g. ``"RFC 6455 §4.2.1"``.
        status: the HTTP status a server answers with (server side), or ``None``.
        header: the header concerned, if any.
        offset: byte offset in the raw handshake, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        rfc: str,
        status: int | None = None,
        header: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.message = message
        self.rfc = rfc
        self.status = status
        self.header = header
        self.offset = offset
        where = f"byte {offset}: " if offset is not None else ""
        answer = f" -> HTTP {status}" if status is not None else ""
        super().__init__(f"{where}{message} ({rfc}){answer}")


@dataclass(frozen=True)
class Violation:
    """A rule broken by bytes that a dissector looked at (never raised).

    Attributes:
        offset: absolute byte offset of the offending byte.
        rule: the :class:`Rule` broken.
        message: what is wrong here, in one sentence.
    """

    offset: int
    rule: Rule
    message: str

    @property
    def rfc(self) -> str:
        return self.rule.rfc

    def to_dict(self) -> dict[str, object]:
        return {
            "offset": self.offset,
            "rule": self.rule.id,
            "rfc": self.rule.rfc,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"byte {self.offset}: {self.message} [{self.rule.id}, {self.rule.rfc}]"
