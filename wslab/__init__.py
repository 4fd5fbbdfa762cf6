"""wslab: learn the WebSocket protocol (RFC 6455) by taking it apart.

The package is layered; each layer imports only the ones below it:

- :mod:`wslab.codec`: frames, messages, handshakes, permessage-deflate, as pure functions
  on bytes (no I/O);
- :mod:`wslab.view`: how codec objects look, as text and HTML (one theme);
- :mod:`wslab.live`: real servers, clients and a wire tap on 127.0.0.1, in background
  threads;
- :mod:`wslab.scenarios`: one-call experiments (close codes, keepalive, handshake
  failures, timing) that run on the live layer and return plain data;
- :mod:`wslab.notebook`: what a notebook adds: display helpers, figures, widgets.

This module is the front door: the names a first notebook starts with, the same objects
as :mod:`wslab.codec`'s. Importing it loads :mod:`wslab.view`, so that ``print(frame)``
and a notebook's display show the annotated renderings.
"""

from . import view as view  # registers the renderings (see wslab.codec.text_of)
from .codec import (
    Frame,
    FrameError,
    HandshakeError,
    Incomplete,
    LengthEncoding,
    Opcode,
    Rules,
    Violation,
    dissect,
    parse_frame,
)

__version__ = "0.1.0"

__all__ = [
    "Frame", "FrameError", "HandshakeError", "Incomplete", "LengthEncoding", "Opcode", "Rules",
    "Violation", "__version__", "dissect", "parse_frame",
]
