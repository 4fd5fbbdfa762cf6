"""Close codes: the registry (RFC 6455 §7.4) and close payloads (§5.5.1)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wslab.codec import (
    REGISTRY,
    CloseCode,
    FrameError,
    RegistryTable,
    Rules,
    build_close_payload,
    describe,
    is_sendable,
    parse_close_payload,
    registry_table,
)


def test_registry_covers_1000_to_1015_with_names() -> None:
    assert sorted(REGISTRY) == list(range(1000, 1016))
    assert describe(1011).name == "Internal Error"
    assert any("keepalive" in cause for cause in describe(1011).causes)
    assert any("handler" in cause for cause in describe(1011).causes)
    assert [c.value for c in CloseCode] == list(range(1000, 1016))


def test_codes_allowed_on_the_wire_match_rfc_and_websockets() -> None:
    from websockets.frames import EXTERNAL_CLOSE_CODES

    for code in range(0, 6000):
        ours = is_sendable(code)
        theirs = code in EXTERNAL_CLOSE_CODES or 3000 <= code < 5000
        assert ours == theirs, code


def test_ranges() -> None:
    assert describe(3008).name.startswith("Registered")
    assert describe(4321).name == "Private use"
    assert not describe(2000).on_wire and not describe(999).on_wire and not describe(5000).on_wire
    with pytest.raises(ValueError):
        describe(70000)


def test_build_checks_unless_told_not_to() -> None:
    assert build_close_payload(1000, "bye") == b"\x03\xe8bye"
    assert build_close_payload(None) == b""
    with pytest.raises(ValueError, match="1006"):
        build_close_payload(1006)
    with pytest.raises(ValueError, match="123"):
        build_close_payload(1000, "x" * 124)
    assert build_close_payload(1006, check=False) == b"\x03\xee"
    assert build_close_payload(1000, b"\xff", check=False) == b"\x03\xe8\xff"


def test_parse_names_problems() -> None:
    assert parse_close_payload(b"").code is None
    assert str(parse_close_payload(b"")).startswith("no status code")
    parsed = parse_close_payload(b"\x03\xf3going")
    assert (parsed.code, parsed.reason) == (1011, "going")
    with pytest.raises(FrameError) as info:
        parse_close_payload(b"\x03", offset=2)
    assert (info.value.rule, info.value.offset) == (Rules.CLOSE_ONE_BYTE, 2)
    with pytest.raises(FrameError) as info:
        parse_close_payload(b"\x03\xe8ok\xc3", offset=10)
    assert (info.value.rule, info.value.offset) == (Rules.CLOSE_REASON_UTF8, 14)


@given(st.binary(max_size=125))
def test_lenient_parse_never_raises(payload: bytes) -> None:
    parse_close_payload(payload, strict=False)


def test_close_code_info_reads_as_one_line() -> None:
    assert str(describe(1011)) == ("1011 Internal Error — an unexpected condition prevented "
                                   "fulfilling the request (sent by either side; on the wire: "
                                   "yes)")
    assert str(describe(1006)).endswith("(sent by nobody; on the wire: no)")
    assert str(describe(1013)).startswith("1013 Try Again Later — ")
    for code in (1000, 1005, 1012, 3000, 4000):
        assert "\n" not in str(describe(code)) and str(describe(code)).startswith(str(code))


def test_close_code_info_html_card() -> None:
    page = describe(1011)._repr_html_()
    assert page.startswith("<div") and page.endswith("</div>")
    assert ">1011</b> Internal Error" in page
    assert "may be sent in a close frame" in page and "errata" in page
    assert page.count("<li>") == len(describe(1011).causes)
    assert "<script" not in page and "class=" in page and "style=" in page
    never = describe(1006)._repr_html_()
    assert "never sent on the wire" in never and "sent by nobody" in never


RANGES = ["0–999", "1016–2999", "3000–3999", "4000–4999", "5000–65535"]


def test_registry_table_lists_every_code_and_range() -> None:
    table = registry_table()
    assert isinstance(table, RegistryTable)
    assert [code for code, _ in table.rows] == [str(c) for c in range(1000, 1016)] + RANGES
    for code, info in table.rows:  # each range row describes the codes in it
        first = int(code.split("–")[0])
        assert describe(first).name == info.name and describe(first).on_wire == info.on_wire
    assert [code for code, _ in registry_table(ranges=False).rows] == [
        str(c) for c in range(1000, 1016)]


def test_registry_table_as_aligned_text() -> None:
    lines = str(registry_table()).splitlines()
    assert len(lines) == 1 + 16 + len(RANGES)
    assert lines[0].split() == ["code", "name", "meaning", "sent", "by", "on", "the", "wire",
                                "typical", "causes"]
    for column in ("name", "meaning", "sent by", "on the wire", "typical causes"):
        start = lines[0].index(column)
        assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines[1:])
    row = {line.split()[0]: line for line in lines[1:]}
    assert "never" in row["1006"] and "nobody" in row["1006"]
    assert "keepalive ping timeout" in row["1011"] and " yes " in row["1011"]
    never = sorted(code for code, line in row.items() if "  never  " in line)
    assert never == ["0–999", "1004", "1005", "1006", "1015", "1016–2999", "5000–65535"]


def test_registry_table_html() -> None:
    page = registry_table()._repr_html_()
    assert page.startswith("<div") and page.endswith("</div>") and "<script" not in page
    assert page.count("<tr ") == 1 + 16 + len(RANGES)
    assert page.count("<th") == 6
    for code in [*map(str, range(1000, 1016)), *RANGES]:
        assert f"<b>{code}</b>" in page
    assert html.escape(describe(1011).causes[1]) in page
    assert page.count(">never</td>") == 7 and "§7.4.2" in page
