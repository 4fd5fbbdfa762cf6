"""Reference helpers: drive the `websockets` library's own frame parser and serializer."""

from __future__ import annotations

from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from websockets.streams import StreamReader


def ws_parse_all(data: bytes, *, mask: bool) -> list[WsFrame]:
    """Parse every frame of ``data`` with ``websockets.frames.Frame.parse``."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while len(reader.buffer):
        parser = WsFrame.parse(reader.read_exact, mask=mask, max_size=None, extensions=None)
        try:
            while True:
                next(parser)
        except StopIteration as done:
            frames.append(done.value)
    return frames


def ws_serialize(opcode: int, data: bytes, *, fin: bool = True, mask: bool) -> bytes:
    """Serialize one frame with websockets (random masking key when ``mask``)."""
    return WsFrame(WsOpcode(opcode), data, fin).serialize(mask=mask, extensions=[])
