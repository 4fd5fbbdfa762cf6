"""The codec: WebSocket (RFC 6455) and permessage-deflate (RFC 7692) as pure functions on bytes.

Sans-I/O: no sockets, no threads, no asyncio, no Jupyter, no HTML. Everything a frame, a
message or a handshake is, built and parsed exactly, with errors that name the byte
offset and the rule broken. How these objects look (``str()``, notebook display) is
:mod:`wslab.view`'s business, asked through :func:`text_of` and :func:`html_of`.

- frames (§5.2): :class:`Frame`, :class:`Opcode`, :func:`parse_frame`, masking (§5.3);
- messages and streams (§5.4, §5.6): :class:`Assembler`, :class:`Decoder`;
- dissection (every field of every frame, every rule broken): :func:`dissect`;
- close codes (§7.4) and close payloads (§5.5.1): :class:`CloseCode`, :func:`describe`;
- the opening handshake (§4): :func:`build_request`, :func:`validate_request`,
  :func:`accept_key`, :func:`explain`, ...;
- extensions (§9.1) and permessage-deflate (RFC 7692): :func:`negotiate`,
  :class:`Deflater`, :class:`Inflater`;
- transcripts (recorded bytes of a conversation, read back as frames):
  :class:`Transcript`;
- hex input as people type it: :func:`parse_hex`.

The modules behind this face are private; import from here.
"""

from ._close import (
    MAX_REASON_BYTES,
    REGISTRY,
    CloseCode,
    CloseCodeInfo,
    ClosePayload,
    RegistryTable,
    build_close_payload,
    describe,
    is_sendable,
    parse_close_payload,
    registry_table,
)
from ._deflate import (
    TAIL,
    DeflateParams,
    Deflater,
    DeflateSteps,
    Inflater,
    NegotiationProblem,
    check_response_params,
    compress_steps,
    compressed_frames,
    explain_params,
    inflate_frames,
    negotiate,
    negotiate_steps,
)
from ._dissect import Dissection, Field, FrameDissection, dissect, dissect_frame
from ._errors import FrameError, HandshakeError, Incomplete, Rule, Rules, Violation, WslabError
from ._explain import (
    AcceptSteps,
    HandshakeExplanation,
    LineNote,
    accept_steps,
    describe_header,
    explain,
)
from ._extensions import ExtensionOffer, check_answered_extensions, parse_extensions
from ._frames import (
    CONTROL_OPCODES,
    DATA_OPCODES,
    Frame,
    LengthEncoding,
    Opcode,
    Sender,
    frame_problems,
    is_control,
    opcode_name,
    parse_frame,
)
from ._handshake import (
    GUID,
    KEY_BYTES,
    WEBSOCKET_VERSION,
    HandshakeProblem,
    accept_key,
    build_error_response,
    build_request,
    build_response,
    check_request,
    check_response,
    generate_key,
    key_problem,
    server_answer,
    validate_request,
    validate_response,
)
from ._hexinput import HexError, parse_hex
from ._http11 import (
    IncompleteHandshake,
    Request,
    Response,
    parse_request,
    parse_response,
    status_meaning,
)
from ._mask import apply_mask, mask_steps
from ._messages import DEFAULT_MAX_SIZE, Assembler, Message, close_code_for
from ._show import html_of, text_of
from ._stream import Decoder
from ._transcript import (
    DIRECTIONS,
    SENDER,
    TLS_NOTE,
    Chunk,
    CloseFrameSeen,
    ControlFrameSeen,
    Direction,
    TapEvent,
    Transcript,
    TranscriptEntry,
)

__all__ = [
    "CONTROL_OPCODES", "DATA_OPCODES", "DEFAULT_MAX_SIZE", "DIRECTIONS", "GUID", "KEY_BYTES",
    "MAX_REASON_BYTES", "REGISTRY", "SENDER", "TAIL", "TLS_NOTE", "WEBSOCKET_VERSION",
    "AcceptSteps", "Assembler", "Chunk", "CloseCode", "CloseCodeInfo", "CloseFrameSeen",
    "ClosePayload", "ControlFrameSeen", "Decoder", "DeflateParams", "DeflateSteps", "Deflater",
    "Direction", "Dissection", "ExtensionOffer", "Field", "Frame", "FrameDissection",
    "FrameError", "HandshakeError", "HandshakeExplanation", "HandshakeProblem", "HexError",
    "Incomplete", "IncompleteHandshake", "Inflater", "LengthEncoding", "LineNote", "Message",
    "NegotiationProblem", "Opcode", "RegistryTable", "Request", "Response", "Rule", "Rules",
    "Sender", "TapEvent", "Transcript", "TranscriptEntry", "Violation", "WslabError",
    "accept_key", "accept_steps", "apply_mask", "build_close_payload", "build_error_response",
    "build_request", "build_response", "check_answered_extensions", "check_request",
    "check_response", "check_response_params", "close_code_for", "compress_steps",
    "compressed_frames", "describe", "describe_header", "dissect", "dissect_frame", "explain",
    "explain_params", "frame_problems", "generate_key", "html_of", "inflate_frames",
    "is_control", "is_sendable", "key_problem", "mask_steps", "negotiate", "negotiate_steps",
    "opcode_name", "parse_close_payload", "parse_extensions", "parse_frame", "parse_hex",
    "parse_request", "parse_response", "registry_table", "server_answer", "status_meaning",
    "text_of", "validate_request", "validate_response",
]

