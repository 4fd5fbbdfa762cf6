"""The widgets, driven from Python as a student's clicks drive them (no browser).

Each test sets the child widgets' values (``builder.fin.value = False``), then checks the
frame bytes against the RFC's examples and the ``websockets`` library, and the HTML the
widget shows (the hex cells of the dissection, the violations, the error messages).
"""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Opcode as WsOpcode
from websockets.utils import accept_key as ws_accept_key
from wsref import ws_parse_all, ws_serialize

import wslab.notebook._widgets as widgets
from wslab.codec import Frame, LengthEncoding
from wslab.notebook._widgets import AcceptKeyExplorer, FrameBuilder, HexDissector, parse_hex

RFC_HELLO = "81 05 48 65 6c 6c 6f"  # RFC 6455 §5.7, unmasked text "Hello"
RFC_MASKED = "81 85 37 fa 21 3d 7f 9f 4d 51 58"  # RFC 6455 §5.7, masked "Hello"
RFC_DEFLATED = "c1 07 f2 48 cd c9 c9 07 00"  # RFC 7692 §7.2.3.1, compressed "Hello"
HEX_CELL = re.compile(r'data-offset="(\d+)"[^>]*>([0-9a-f]{2})</div>')


def shown_bytes(page: str) -> bytes:
    """The bytes of the dissection's hex view, in order of their data-offset."""
    cells = {int(offset): int(byte, 16) for offset, byte in HEX_CELL.findall(page)}
    assert cells, "no hex cells in the rendered HTML"
    assert sorted(cells) == list(range(len(cells))), "hex view has gaps (elided?)"
    return bytes(cells[i] for i in range(len(cells)))


def bit(page: str, field: str, index: int) -> str:
    """The 0/1 shown for bit ``index`` (from the frame's first bit) in the bit diagram."""
    match = re.search(rf'data-field="{field}" data-bit="{index}" [^>]*>([01])</div>', page)
    assert match, f"bit {index} ({field}) not in the diagram"
    return match.group(1)


# -- FrameBuilder ------------------------------------------------------------------------


def test_builder_starts_with_the_rfc_hello_frame() -> None:
    builder = FrameBuilder()
    assert builder.hex == builder.value == RFC_HELLO
    assert builder.frame == Frame.text("Hello")
    assert shown_bytes(builder.view.value) == bytes.fromhex(RFC_HELLO)
    assert RFC_HELLO in builder.hex_line.value
    assert "valid: a server may send this" in builder.hex_line.value
    assert builder.error == "" and builder.dissection is not None
    assert not builder.dissection.violations


def test_fin_toggle_changes_first_byte_and_the_picture() -> None:
    builder = FrameBuilder()
    assert bit(builder.view.value, "FIN", 0) == "1"
    builder.fin.value = False
    assert builder.hex.split()[0] == "01"
    assert shown_bytes(builder.view.value)[0] == 0x01
    assert bit(builder.view.value, "FIN", 0) == "0"
    assert "more frames of this message follow" in builder.view.value
    [parsed] = ws_parse_all(bytes.fromhex(builder.hex), mask=False)
    assert parsed.fin is False and parsed.data == b"Hello"


@pytest.mark.parametrize("name, first", [("rsv1", 0xC1), ("rsv2", 0xA1), ("rsv3", 0x91)])
def test_rsv_toggles_set_their_bit_and_break_a_rule(name: str, first: int) -> None:
    builder = FrameBuilder()
    getattr(builder, name).value = True
    assert shown_bytes(builder.view.value)[0] == first
    assert "rsv-without-extension" in builder.view.value
    assert "close code 1002" in builder.hex_line.value


def test_opcode_dropdown_has_all_sixteen_with_reserved_labelled() -> None:
    builder = FrameBuilder()
    labels = dict((value, label) for label, value in builder.opcode.options)
    assert sorted(labels) == list(range(16))
    reserved = {v for v, label in labels.items() if label.endswith("reserved")}
    assert reserved == {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}
    assert labels[0x1] == "0x1 text" and labels[0xA] == "0xA pong"


def test_reserved_opcode_shows_a_violation() -> None:
    builder = FrameBuilder()
    builder.opcode.value = 0xB
    assert shown_bytes(builder.view.value)[0] == 0x8B
    page = builder.view.value
    assert 'data-role="violations"' in page and "opcode 0xB is reserved" in page
    assert "reserved-opcode" in page and "RFC 6455 §5.2" in page
    assert "close code 1002" in builder.hex_line.value
    assert [v.rule.id for v in builder.dissection.violations] == ["reserved-opcode"]


def test_masking_with_the_rfc_key_gives_the_rfc_bytes() -> None:
    builder = FrameBuilder()
    builder.sender.value = "client"
    assert "client-frame-unmasked" in builder.view.value
    builder.key.value = "37fa213d"
    builder.mask.value = True
    assert builder.hex == RFC_MASKED
    assert shown_bytes(builder.view.value) == bytes.fromhex(RFC_MASKED)
    assert 'data-role="masking"' in builder.view.value
    assert "client-frame-unmasked" not in builder.view.value
    assert "valid: a client may send this" in builder.hex_line.value
    [parsed] = ws_parse_all(bytes.fromhex(builder.hex), mask=True)  # websockets agrees
    assert parsed.opcode is WsOpcode.TEXT and parsed.data == b"Hello"


def test_server_must_not_mask() -> None:
    builder = FrameBuilder(Frame.text("Hello", masking_key=bytes.fromhex("37fa213d")))
    assert builder.sender.value == "client" and builder.hex == RFC_MASKED
    builder.sender.value = "server"
    assert "server-frame-masked" in builder.view.value
    assert "a strict client fails the connection" in builder.hex_line.value


def test_random_key_button_masks_with_a_fresh_key() -> None:
    builder = FrameBuilder()
    keys = set()
    for _ in range(2):
        builder.random_key.click()
        assert builder.mask.value and not builder.key.disabled
        frame = builder.frame
        assert frame is not None and frame.masking_key is not None
        keys.add(frame.masking_key)
        data = bytes.fromhex(builder.hex)
        assert data[1] == 0x85 and data[2:6] == frame.masking_key
        [parsed] = ws_parse_all(data, mask=True)
        assert parsed.data == b"Hello"
    assert len(keys) == 2  # two random 4-byte keys (equal with probability 2**-32)


def test_mask_off_disables_the_key() -> None:
    builder = FrameBuilder()
    assert builder.key.disabled
    builder.mask.value = True
    assert not builder.key.disabled


def test_repeat_reaches_the_16_bit_length() -> None:
    builder = FrameBuilder()
    builder.repeat.value = 30  # "Hello" * 30 = 150 bytes
    data = bytes.fromhex(builder.hex)
    assert data[:4] == bytes.fromhex("81 7e 00 96")
    assert data == ws_serialize(0x1, b"Hello" * 30, mask=False)


def test_length_encodings() -> None:
    builder = FrameBuilder()
    builder.length_encoding.value = 16
    assert builder.hex.startswith("81 7e 00 05 48")
    assert "non-minimal-length" in builder.view.value
    builder.length_encoding.value = 64
    assert builder.hex.startswith("81 7f 00 00 00 00 00 00 00 05 48")
    assert builder.frame is not None
    assert builder.frame.length_encoding is LengthEncoding.BITS_64


def test_length_too_big_for_the_encoding_is_a_message() -> None:
    builder = FrameBuilder()
    builder.length_encoding.value = 7
    builder.repeat.value = 26  # 130 bytes: no longer fits the 7-bit field
    assert "does not fit the 7-bit field" in builder.error
    assert "does not fit the 7-bit field" in builder.hex_line.value
    assert builder.frame is None and builder.hex == "" and builder.view.value == ""
    builder.length_encoding.value = 0
    assert builder.error == "" and builder.hex.startswith("81 7e 00 82")


def test_bad_hex_payload_is_a_message_not_an_exception() -> None:
    builder = FrameBuilder()
    builder.payload_mode.value = "hex"
    assert builder.payload.value == "48 65 6c 6c 6f"  # the same bytes, in hex
    builder.payload.value = "48 65 6g"
    assert builder.error == "payload: not hex: 'g' at position 7 (counting from 0)"
    assert "not hex: &#x27;g&#x27; at position 7" in builder.hex_line.value
    assert "Traceback" not in builder.hex_line.value
    assert builder.frame is None and builder.dissection is None and builder.hex == ""
    builder.payload.value = "48 6"
    assert "odd number of hex digits" in builder.error
    builder.payload.value = "0x48,0x69"
    assert builder.error == "" and builder.hex == "81 02 48 69"


@pytest.mark.parametrize("key, message", [
    ("37 fa 21", "exactly 4 bytes (RFC 6455 §5.2), not 3"),
    ("37 fa 21 3d 00", "exactly 4 bytes (RFC 6455 §5.2), not 5"),
    ("xyz", "masking key: not hex: 'x' at position 0"),
])
def test_bad_masking_key_is_a_message(key: str, message: str) -> None:
    builder = FrameBuilder()
    builder.mask.value = True
    builder.key.value = key
    assert message in builder.error
    assert 'data-role="error"' in builder.hex_line.value and builder.frame is None


def test_invalid_utf8_payload_stays_in_hex() -> None:
    builder = FrameBuilder()
    builder.payload_mode.value = "hex"
    builder.payload.value = "63 61 66 c3"
    assert "text-invalid-utf8" in builder.view.value
    assert "close code 1007" in builder.hex_line.value  # RFC 6455 §7.4.1: invalid data
    builder.payload_mode.value = "text"  # cannot be shown as text: refused, with a reason
    assert builder.payload_mode.value == "hex" and builder.payload.value == "63 61 66 c3"
    assert "payload byte 3 (0xc3) is not valid UTF-8" in builder.hex_line.value
    builder.payload.value = "63 61 66 c3 a9"
    builder.payload_mode.value = "text"
    assert builder.payload.value == "café" and builder.hex == "81 05 63 61 66 c3 a9"


def test_value_trait_can_be_observed() -> None:
    builder = FrameBuilder()
    seen: list[str] = []
    builder.observe(lambda change: seen.append(change["new"]), names="value")
    builder.fin.value = False
    builder.opcode.value = 0x2
    builder.payload.value = "Hi"
    assert seen == ["01 05 48 65 6c 6c 6f", "02 05 48 65 6c 6c 6f", "02 02 48 69"]


def test_load_sets_the_inputs_and_refreshes_once() -> None:
    builder = FrameBuilder()
    seen: list[str] = []
    builder.observe(lambda change: seen.append(change["new"]), names="value")
    builder.load(Frame.close(1000, "bye"))
    assert builder.payload_mode.value == "hex" and builder.opcode.value == 0x8
    assert seen == ["88 05 03 e8 62 79 65"]
    assert "status code 1000" in builder.view.value


def test_unexpected_errors_are_shown_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    builder = FrameBuilder()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(widgets, "dissect", broken)
    builder.fin.value = False  # would raise here if a callback let it through
    assert builder.error == "unexpected RuntimeError: simulated bug"
    assert "simulated bug" in builder.hex_line.value


frames = st.builds(
    Frame,
    opcode=st.integers(0, 15),
    payload=st.binary(max_size=300),
    fin=st.booleans(), rsv1=st.booleans(), rsv2=st.booleans(), rsv3=st.booleans(),
    masking_key=st.none() | st.binary(min_size=4, max_size=4),
    length_encoding=st.sampled_from([None, LengthEncoding.BITS_16, LengthEncoding.BITS_64]),
)


@settings(max_examples=40, deadline=None)
@given(frame=frames)
def test_builder_round_trips_any_frame(frame: Frame) -> None:
    builder = FrameBuilder(frame)
    assert builder.hex == frame.hex()
    assert builder.frame is not None and builder.frame.serialize() == frame.serialize()


# -- HexDissector -------------------------------------------------------------------------


def test_hex_dissector_dissects_what_is_pasted() -> None:
    dissector = HexDissector()
    assert 'data-role="hint"' in dissector.view.value and dissector.value == ""
    dissector.sender.value = "client"
    dissector.text.value = "0x81 0x85 37:fa:21:3d, 7f9f4d5158"
    assert dissector.value == RFC_MASKED and dissector.error == ""
    assert shown_bytes(dissector.view.value) == bytes.fromhex(RFC_MASKED)
    assert "Hello" in dissector.view.value
    dissector.sender.value = "server"
    assert "server-frame-masked" in dissector.view.value


def test_hex_dissector_bad_hex_is_a_message() -> None:
    dissector = HexDissector(RFC_HELLO)
    dissector.text.value = "81 05 4z"
    assert dissector.error == "not hex: 'z' at position 7 (counting from 0)"
    assert 'data-role="error"' in dissector.view.value
    assert dissector.data is None and dissector.dissection is None


def test_hex_dissector_truncated_says_what_is_missing() -> None:
    dissector = HexDissector(bytes.fromhex(RFC_MASKED)[:8], sender="client")
    assert dissector.dissection is not None and dissector.dissection.incomplete is not None
    assert dissector.dissection.incomplete.need == 3
    assert 'data-role="truncated"' in dissector.view.value


def test_hex_dissector_inflates_with_deflate() -> None:
    dissector = HexDissector(RFC_DEFLATED)
    assert "rsv-without-extension" in dissector.view.value
    dissector.deflate.value = True
    assert "rsv-without-extension" not in dissector.view.value
    assert "Hello" in dissector.view.value and dissector.dissection is not None
    assert [m.text for m in dissector.dissection.messages] == ["Hello"]
    inflater = zlib.decompressobj(-15)  # RFC 7692 §7.2.2, independently
    assert inflater.decompress(bytes.fromhex(RFC_DEFLATED)[2:] + b"\x00\x00\xff\xff") == b"Hello"


# -- AcceptKeyExplorer ----------------------------------------------------------------------


def test_accept_explorer_shows_the_rfc_example() -> None:
    explorer = AcceptKeyExplorer()
    assert explorer.key.value == "dGhlIHNhbXBsZSBub25jZQ=="
    assert explorer.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3
    assert "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in explorer.view.value
    assert 'data-role="warning"' not in explorer.view.value


def test_accept_explorer_follows_typing_and_random_keys() -> None:
    explorer = AcceptKeyExplorer()
    explorer.key.value = "x3JJHMbDL1EzLkh9GBhXDw=="
    assert explorer.value == ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==")
    explorer.random_key.click()
    key = explorer.key.value
    assert len(base64.b64decode(key, validate=True)) == 16
    assert explorer.value == ws_accept_key(key)


def test_accept_explorer_warns_about_bad_keys_and_refuses_non_ascii() -> None:
    explorer = AcceptKeyExplorer("hello")
    assert explorer.value == ws_accept_key("hello")  # computed anyway
    assert 'data-role="warning"' in explorer.view.value and "16 random bytes" in explorer.view.value
    explorer.key.value = "ключ"
    assert "outside ISO-8859-1" in explorer.error and "RFC 7230 §3.2" in explorer.error
    assert explorer.value == "" and 'data-role="error"' in explorer.view.value


# -- parse_hex ------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=64), sep=st.sampled_from([" ", "", ":", ", ", "\n"]))
def test_parse_hex_round_trips(data: bytes, sep: str) -> None:
    assert parse_hex(sep.join(f"{b:02x}" for b in data)) == data
    assert parse_hex(" ".join(f"0x{b:02X}" for b in data)) == data
