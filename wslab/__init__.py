"""wslab: learn the WebSocket protocol (RFC 6455) by taking it apart."""

from .errors import FrameError, HandshakeError, Incomplete, Rule, Rules, Violation
from .frames import Frame, LengthEncoding, Opcode, parse_frame

__version__ = "0.1.0"

__all__ = [
    "Frame",
    "FrameError",
    "HandshakeError",
    "Incomplete",
    "LengthEncoding",
    "Opcode",
    "Rule",
    "Rules",
    "Violation",
    "__version__",
    "parse_frame",
]
