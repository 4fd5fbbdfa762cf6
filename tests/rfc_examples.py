"""The RFCs' own examples, byte for byte, shared by the tests (RFC 6455 §1.2, §1.3, §5.7)."""

from __future__ import annotations

# RFC 6455 §1.2/§1.3: the opening handshake of the RFC, key and accept included.
REQUEST = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")
RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")

# RFC 6455 §5.7.
KEY = bytes.fromhex("37 fa 21 3d")
HELLO = bytes.fromhex("81 05 48 65 6c 6c 6f")
MASKED_HELLO = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
FRAGMENTS = bytes.fromhex("01 03 48 65 6c") + bytes.fromhex("80 02 6c 6f")
PING = bytes.fromhex("89 05 48 65 6c 6c 6f")
MASKED_PONG = bytes.fromhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")
