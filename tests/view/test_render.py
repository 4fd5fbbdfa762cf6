"""Rendering of frames and dissections: HTML (parsed with html.parser) and text.

Expected values come from RFC 6455 (§5.2 layout, §5.7 examples), not from the renderer.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wslab import view as render
from wslab.codec import Frame, Opcode, dissect
from wslab.notebook import _display as wsdisplay
from wslab.view._layout import MAX_FRAMES

HELLO = bytes.fromhex("81 05 48 65 6c 6c 6f")
HELLO_MASKED = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
VOID = {"br", "hr", "img", "meta", "input", "col", "wbr", "link", "source"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.text = tag, attrs, ""
        self.inside: set[str | None] = set()  # data-role of the enclosing elements


class Page(HTMLParser):
    """Every element with its attributes and text; checks that tags are balanced."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.errors: list[str] = []
        self.feed(source)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {[e.tag for e in self.stack]}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs))
        el.inside = {e.attrs.get("data-role") for e in self.stack}
        self.elements.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1].tag != tag:
            self.errors.append(f"unexpected </{tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text += data

    def with_attr(self, name: str) -> list[Element]:
        return [e for e in self.elements if name in e.attrs]

    def role(self, role: str) -> list[Element]:
        return [e for e in self.elements if e.attrs.get("data-role") == role]

    def hex_cells(self) -> dict[int, Element]:
        return {int(e.attrs["data-offset"]): e for e in self.with_attr("data-offset")}

    def bits(self, field: str) -> str:
        cells = sorted((int(e.attrs["data-bit"]), e.text) for e in self.with_attr("data-bit")
                       if e.attrs["data-field"] == field)
        return "".join(t for _, t in cells)


def page(source: str) -> Page:
    p = Page(source)
    assert not p.errors, p.errors
    return p


def fields_of(cell: Element) -> set[str]:
    return set(cell.attrs["data-field"].split(", "))


# -- hex view: every byte labelled with its field (RFC 6455 §5.2 layout) -----------------

HEADER_BYTE0 = {"FIN", "RSV1", "RSV2", "RSV3", "opcode"}
HEADER_BYTE1 = {"MASK", "payload length"}


def expected_layout(ext: int, masked: bool, payload: int) -> list[set[str]]:
    """Field names per byte, from §5.2: 2 header bytes, 0/2/8 length bytes, 0/4 key bytes."""
    out = [HEADER_BYTE0, HEADER_BYTE1] + [{"extended payload length"}] * ext
    out += [{"masking key"}] * (4 if masked else 0)
    return out + [{"payload"}] * payload


@pytest.mark.parametrize(("data", "ext", "masked", "payload"), [
    (HELLO, 0, False, 5),
    (HELLO_MASKED, 0, True, 5),
    (bytes.fromhex("01 03 48 65 6c"), 0, False, 3),
    (bytes.fromhex("89 05 48 65 6c 6c 6f"), 0, False, 5),
    (bytes.fromhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), 0, True, 5),
    (bytes.fromhex("82 7e 01 00") + bytes(256), 2, False, 256),
    (bytes.fromhex("82 7f 00 00 00 00 00 01 00 00") + bytes(65536), 8, False, 65536),
])
def test_rfc_5_7_hex_cells_are_labelled(data: bytes, ext: int, masked: bool,
                                        payload: int) -> None:
    p = page(render.dissection_html(dissect(data)))
    cells = p.hex_cells()
    layout = expected_layout(ext, masked, payload)
    assert len(layout) == len(data)
    for offset, cell in cells.items():
        assert cell.text == f"{data[offset]:02x}", offset
        assert fields_of(cell) == layout[offset], offset
    header = 2 + ext + (4 if masked else 0)
    assert set(range(header + min(payload, 32))) <= set(cells)  # header and payload start
    assert len(data) - 1 in cells  # and the last byte
    if payload > 64:
        assert len(cells) < 100
        assert "bytes elided" in p.role("hex")[0].text


def test_masking_key_cells() -> None:
    cells = page(render.dissection_html(dissect(HELLO_MASKED))).hex_cells()
    key = [o for o, c in cells.items() if c.attrs["data-field"] == "masking key"]
    assert key == [2, 3, 4, 5]
    assert "".join(cells[o].text for o in key) == "37fa213d"


def test_frame_repr_html_goes_through_dissection() -> None:
    frame = Frame.text("Hello").masked_with(bytes.fromhex("37fa213d"))
    assert frame.serialize() == HELLO_MASKED
    p = page(frame._repr_html_())
    assert "".join(c.text for _, c in sorted(p.hex_cells().items())) == HELLO_MASKED.hex()


# -- bit diagram --------------------------------------------------------------------------


def test_bit_diagram_0x81_0x85() -> None:
    p = page(render.dissection_html(dissect(HELLO_MASKED)))
    assert p.bits("FIN") == "1"
    assert p.bits("RSV1") + p.bits("RSV2") + p.bits("RSV3") == "000"
    assert p.bits("opcode") == "0001"
    assert p.bits("MASK") == "1"
    assert p.bits("payload length") == "0000101"
    assert p.bits("masking key") == f"{0x37fa213d:032b}"
    numbers = sorted(int(e.attrs["data-bit"]) for e in p.with_attr("data-bit"))
    assert numbers == list(range(48))  # the whole header, nothing else


def test_bit_diagram_64_bit_length() -> None:
    data = bytes.fromhex("82 ff 00 00 00 00 00 01 00 00 01 02 03 04") + bytes(65536)
    p = page(render.dissection_html(dissect(data)))
    assert p.bits("payload length") == "1111111"
    assert p.bits("extended payload length") == f"{65536:064b}"
    assert p.bits("masking key") == f"{0x01020304:032b}"


def test_text_bit_diagram_0x81_0x85() -> None:
    text = render.dissection_text(dissect(HELLO_MASKED))
    assert " 0|1|0|0|0|0 0 0 1|1|0 0 0 0 1 0 1|" + " ".join(f"{0x37fa:016b}") + "|" in text
    assert " 4|" + " ".join(f"{0x213d:016b}") + "|" in text
    assert "\x1b" not in text  # no ANSI colours


# -- field table, masking, payload -----------------------------------------------------------


def test_field_table() -> None:
    p = page(render.dissection_html(dissect(HELLO_MASKED)))
    names = [e.attrs["data-field"] for e in p.elements
             if "fields" in e.inside and "data-field" in e.attrs]
    assert names == ["FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length",
                     "masking key", "payload"]
    table = p.role("fields")[0].text
    assert "2-5" in table and "37 fa 21 3d" in table and "48 65 6c 6c 6f" in table
    text = render.dissection_text(dissect(HELLO_MASKED))
    row = next(line for line in text.splitlines() if line.strip().startswith("masking key"))
    assert "2-5" in row and "37 fa 21 3d" in row


def test_masking_steps() -> None:
    p = page(render.dissection_html(dissect(HELLO_MASKED)))
    steps = [e for e in p.with_attr("data-step")]
    assert [e.attrs["data-step"] for e in steps] == ["0", "1", "2", "3", "4"]
    masking = p.role("masking")[0].text
    for masked, key, plain in zip(HELLO_MASKED[6:], b"\x37\xfa\x21\x3d\x37", b"Hello",
                                  strict=True):
        assert masked ^ key == plain
        assert f"{masked:08b}" in masking and f"{plain:08b}" in masking
    text = render.dissection_text(dissect(HELLO_MASKED))
    assert "7f 01111111  XOR  37 00110111   =  48 01001000  'H'" in text


def test_masking_steps_stop_after_16() -> None:
    frame = Frame.binary(bytes(100)).masked_with(b"abcd")
    p = page(render.frame_html(frame))
    assert len(p.with_attr("data-step")) == 16
    assert "84 more" in p.elements[0].text
    assert "84 more" in render.frame_text(frame)


def test_payload_text_and_close() -> None:
    assert "Hello" in page(render.dissection_html(dissect(HELLO))).role("payload-text")[0].text
    close = Frame.close(1001, "bye now").masked_with(b"\x00\x01\x02\x03")
    for out in (page(render.frame_html(close)).elements[0].text, render.frame_text(close)):
        assert "1001 Going Away" in out and "bye now" in out


# -- safety: self-contained, escaped -------------------------------------------------------


def assert_self_contained(source: str) -> None:
    lowered = source.lower()
    for bad in ("<script", "<style", "<link", "<iframe", "<img", "javascript:", "@import"):
        assert bad not in lowered, bad
    for el in Page(source).elements:
        assert not any(k.startswith("on") for k in el.attrs), el.attrs
        style = (el.attrs.get("style") or "").lower()
        assert not re.search(r"url\(|https?:|//", style), style


def test_payload_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    for frame in (Frame.text(evil), Frame.close(1000, evil), Frame(Opcode.PING, evil.encode()),
                  Frame.text(evil * 1000)):
        out = render.frame_html(frame)
        assert_self_contained(out)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        assert page(out)
    assert evil in page(render.frame_html(Frame.text(evil))).role("payload-text")[0].text


def test_display_helpers_are_escaped_and_self_contained() -> None:
    evil = b"<script>alert(1)</script>"
    assert_self_contained(wsdisplay.hexdump(evil).html)
    assert_self_contained(wsdisplay.compare(Frame.text("a"), evil).html)
    assert_self_contained(wsdisplay.rendered("<b>not html</b>").html)
    assert "&lt;b&gt;" in wsdisplay.rendered("<b>not html</b>").html


# -- big payloads --------------------------------------------------------------------------


@pytest.mark.parametrize("frame", [
    Frame.binary(bytes(range(256)) * 4096).masked_with(b"\x01\x02\x03\x04"),
    Frame.text("x" * 2**20),
], ids=["binary-masked", "text"])
def test_one_mebibyte_frame_renders_small_and_fast(frame: Frame) -> None:
    assert len(frame.payload) == 2**20
    start = time.perf_counter()
    out = render.frame_html(frame)
    text = render.frame_text(frame)
    elapsed = time.perf_counter() - start
    assert elapsed < 5  # generous: the work is bounded by the elision, not the payload
    assert len(out) < 50_000
    assert len(text) < 15_000
    p = page(out)
    hex_note = p.role("hex")[0].text
    gap = int(re.search(r"([\d,]+) bytes elided", hex_note).group(1).replace(",", ""))
    assert gap + len(p.hex_cells()) == len(frame.serialize())
    assert "bytes elided" in text
    if frame.opcode == Opcode.TEXT:
        assert "characters elided" in out and "characters elided" in text


# -- violations and truncation -------------------------------------------------------------

BROKEN = [  # (bytes, sender, rule id, RFC section, offset)
    (bytes.fromhex("83 00"), None, "reserved-opcode", "RFC 6455 §5.2", 0),
    (bytes.fromhex("c1 05") + b"Hello", None, "rsv-without-extension", "RFC 6455 §5.2", 0),
    (bytes.fromhex("89 7e 00 c8") + bytes(200), None, "control-frame-too-long",
     "RFC 6455 §5.5", 1),
    (bytes.fromhex("81 7e 00 05") + b"Hello", None, "non-minimal-length", "RFC 6455 §5.2", 2),
    (HELLO, "client", "client-frame-unmasked", "RFC 6455 §5.1", 1),
    (HELLO_MASKED, "server", "server-frame-masked", "RFC 6455 §5.1", 1),
    (bytes.fromhex("88 02 03 ed"), None, "close-code-invalid", "RFC 6455 §7.4", 2),
    (bytes.fromhex("81 02 c3 28"), None, "text-invalid-utf8", "RFC 6455 §8.1", 2),  # c3 starts it
    (bytes.fromhex("80 02 6c 6f"), None, "continuation-without-start", "RFC 6455 §5.4", 0),
]


@pytest.mark.parametrize(("data", "sender", "rule", "rfc", "offset"), BROKEN,
                         ids=[b[2] for b in BROKEN])
def test_violations_are_shown(data: bytes, sender: str | None, rule: str, rfc: str,
                              offset: int) -> None:
    d = dissect(data, sender=sender)
    p = page(render.dissection_html(d))
    box = p.role("violations")[0].text
    assert rule in box and rfc in box and f"byte {offset}" in box
    bad = p.hex_cells()[offset]
    assert "rule broken" in bad.attrs["title"]
    line = next(x for x in render.dissection_text(d).splitlines() if rule in x)
    assert line.startswith("!!") and rfc in line and f"byte {offset}:" in line


def test_valid_split_code_point_is_not_a_violation() -> None:
    data = bytes.fromhex("01 01 c3 80 01 a9")  # "é" = c3 a9, split across two frames
    d = dissect(data, sender="server")
    out = render.dissection_html(d)
    assert not page(out).role("violations")
    assert "é" in out and "!!" not in render.dissection_text(d)


def test_lone_continuation_frame_is_not_blamed() -> None:
    frame = Frame(Opcode.CONT, b"lo")
    assert "continuation-without-start" not in render.frame_html(frame)
    assert "RFC 6455 §5.4" in render.frame_text(frame)  # explained in a note instead


@pytest.mark.parametrize(("data", "need"), [
    (HELLO_MASKED[:8], 3),  # payload cut short
    (HELLO_MASKED[:1], 1),  # one header byte of two
    (HELLO_MASKED[:4], 2),  # masking key cut short
    (bytes.fromhex("82 7e 01"), 1),  # 16-bit length cut short
    (HELLO + bytes.fromhex("82 7e 01 00 aa"), 255),  # second frame incomplete
])
def test_truncated_input_says_how_many_bytes_are_needed(data: bytes, need: int) -> None:
    d = dissect(data)
    assert d.incomplete is not None and d.incomplete.need == need
    p = page(render.dissection_html(d))
    notes = [e.text for e in p.role("truncated")]
    plural = "byte" if need == 1 else "bytes"
    assert notes and all(f"truncated: {need} more {plural} needed" in n for n in notes)
    missing = [e for e in p.with_attr("data-field") if e.attrs["data-field"] == "missing"]
    assert len(missing) == min(need, 16)
    assert f"!! truncated: {need} more {plural} needed" in render.dissection_text(d)


def test_many_frames_are_capped() -> None:
    data = HELLO * (MAX_FRAMES + 10)
    d = dissect(data)
    p = page(render.dissection_html(d))
    assert len(p.role("frame")) == MAX_FRAMES
    assert "10 more frames not shown" in p.elements[0].text
    assert "10 more frames not shown" in render.dissection_text(d)


# -- any bytes, any frame: renders, balanced, escaped ----------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from([None, "client", "server"]))
def test_any_bytes_render(data: bytes, sender: str | None) -> None:
    d = dissect(data, sender=sender)
    out = render.dissection_html(d)
    p = page(out)
    assert_self_contained(out)
    for offset, cell in p.hex_cells().items():
        assert cell.text == f"{data[offset]:02x}"
    assert isinstance(render.dissection_text(d), str)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 15), st.binary(max_size=200), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.binary(min_size=4, max_size=4)))
def test_any_frame_renders(opcode: int, payload: bytes, fin: bool, rsv1: bool,
                           key: bytes | None) -> None:
    frame = Frame(opcode, payload, fin=fin, rsv1=rsv1, masking_key=key)
    p = page(render.frame_html(frame))
    wire = frame.serialize()
    cells = p.hex_cells()
    assert all(cells[o].text == f"{wire[o]:02x}" for o in cells)
    assert "".join(p.bits(n) for n in ("FIN", "RSV1")) == f"{int(fin)}{int(rsv1)}"
    assert p.bits("opcode") == f"{opcode:04b}"
    assert render.frame_text(frame).startswith("frame 0")


# -- display helpers -------------------------------------------------------------------------


def test_show_prints_text_outside_a_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    wsdisplay.show(HELLO)
    out = capsys.readouterr().out
    assert "frame 0" in out and "'Hello'" in out
    wsdisplay.show(Frame.text("hi"))
    assert "'hi'" in capsys.readouterr().out


def test_hexdump_and_compare() -> None:
    dump = wsdisplay.hexdump(b"Hello, WebSocket!" * 2)
    assert str(dump).splitlines()[0] == (
        "00000000  48 65 6c 6c 6f 2c 20 57 65 62 53 6f 63 6b 65 74  Hello, WebSocket")
    p = page(dump.html)
    assert len(p.hex_cells()) == 34
    both = wsdisplay.compare(HELLO, HELLO_MASKED, titles=("unmasked", "masked"))
    assert len(page(both.html).role("frame")) == 2
    assert str(both).splitlines()[0].startswith("unmasked") and "| masked" in str(both)
