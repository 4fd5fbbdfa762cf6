"""The command line contract: `python -m wslab dissect|build|accept|handshake`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wslab.cli import HexError, main, parse_hex

HELLO_HEX = "48656c6c6f"
FRAME_KEYS = {
    "offset": int, "length": int, "fin": bool, "rsv1": bool, "rsv2": bool, "rsv3": bool,
    "opcode": int, "opcode_name": str, "masked": bool, "masking_key": (str, type(None)),
    "payload_length": int, "payload": str, "text": (str, type(None)),
    "close_code": (int, type(None)), "close_reason": (str, type(None)), "fields": list,
    "violations": list,
}
OPCODE_NAMES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m wslab ARGS` in a child process (kept to a few: start-up is not free)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "wslab", *args], input=data,
                          capture_output=True, timeout=60, check=False)


def check_contract(out: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """The --json object has the documented keys and types; fields cover each frame."""
    assert sum(f["length"] for f in out["frames"]) == (
        len(data) if out["incomplete"] is None else out["incomplete"]["offset"])
    assert set(out) >= {"frames", "incomplete"}
    assert out["incomplete"] is None or set(out["incomplete"]) >= {"offset", "have", "need"}
    for frame in out["frames"]:
        for key, kind in FRAME_KEYS.items():
            assert isinstance(frame[key], kind), (key, frame[key])
        assert frame["opcode_name"] == OPCODE_NAMES.get(frame["opcode"], "reserved")
        assert bytes.fromhex(frame["payload"]) is not None
        assert frame["masking_key"] is None or len(bytes.fromhex(frame["masking_key"])) == 4
        covered: list[int] = []
        for f in frame["fields"]:
            assert isinstance(f["name"], str) and isinstance(f["offset"], int)
            assert isinstance(f["length"], int)
            assert f["bits"] is None or (len(f["bits"]) == 2
                                         and all(isinstance(b, int) for b in f["bits"]))
            if f["bits"] is None or f["bits"][0] == 0:
                covered += range(f["offset"], f["offset"] + f["length"])
        start = frame["offset"]
        assert covered == list(range(start, start + frame["length"]))
        for v in frame["violations"]:
            assert {k: type(v[k]) for k in ("offset", "rule", "rfc", "message")} == {
                "offset": int, "rule": str, "rfc": str, "message": str}
    return out["frames"]


def dissect_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["dissect", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


# -- dissect -------------------------------------------------------------------------------


def test_rfc_example_in_a_child_process() -> None:
    done = run("dissect", "--json", "--sender", "client", "81 85 37 fa 21 3d 7f 9f 4d 51 58")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    (frame,) = check_contract(out, bytes.fromhex("818537fa213d7f9f4d5158"))
    assert (frame["opcode"], frame["opcode_name"], frame["masked"], frame["masking_key"]) == (
        1, "text", True, "37fa213d")
    assert (frame["payload"], frame["text"], frame["length"], frame["violations"]) == (
        HELLO_HEX, "Hello", 11, [])
    assert out["incomplete"] is None


def test_stdin_and_human_text_in_a_child_process() -> None:
    done = run("dissect", "-", stdin="8a85 37fa213d\n7f9f4d5158\n")
    assert done.returncode == 0, done.stderr
    assert "pong" in done.stdout.decode() and "masking key" in done.stdout.decode()


def test_not_hex_in_a_child_process() -> None:
    done = run("dissect", "81 05 4g")
    assert done.returncode == 2 and done.stdout == b""
    assert b"'g'" in done.stderr and b"position 7" in done.stderr


@pytest.mark.parametrize("args", [
    ["81 05 48 65 6c 6c 6f"],
    ["81", "05", "48", "65", "6c", "6c", "6f"],
    ["0x81,0x05,0x48,0x65,0x6c,0x6c,0x6f"],
    ["81:05:48:65:6c:6c:6f"],
    ["8105\n48656C6C6F"],
    ["0X81 0x05", "0x48656c6c6f"],
])
def test_separators_and_prefixes(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    out = dissect_json(capsys, *args)
    (frame,) = check_contract(out, bytes.fromhex("810548656c6c6f"))
    assert (frame["text"], frame["payload"]) == ("Hello", HELLO_HEX)


@pytest.mark.parametrize(("text", "complaint"), [
    ("81 05 4", "odd number of hex digits (5)"),
    ("81 zz", "'z' at position 3"),
    ("81 0x", "'0x' with no hex digits"),
    ("81;05", "';' at position 2"),
])
def test_not_hex_says_what_and_where(capsys: pytest.CaptureFixture[str], text: str,
                                     complaint: str) -> None:
    assert main(["dissect", text]) == 2
    captured = capsys.readouterr()
    assert complaint in captured.err and captured.out == ""
    with pytest.raises(HexError):
        parse_hex(text)


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"01 03 48 65 6c\n80 02 6c 6f")))
    out = dissect_json(capsys, "-")
    first, last = check_contract(out, bytes.fromhex("010348656c80026c6f"))
    assert (first["fin"], first["text"], last["opcode_name"], last["text"]) == (
        False, "Hel", "continuation", "lo")
    assert last["message"]["text"] == "Hello" and last["message"]["frames"] == [0, 1]


def test_raw_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    data = bytes.fromhex("88 02 03 e8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    (frame,) = check_contract(dissect_json(capsys, "--raw", "-"), data)
    assert (frame["opcode_name"], frame["close_code"]) == ("close", 1000)


def test_rfc_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for hexed, opcode, payload in [
        ("89 05 48 65 6c 6c 6f", 9, HELLO_HEX),
        ("8a 85 37 fa 21 3d 7f 9f 4d 51 58", 10, HELLO_HEX),
        ("82 7e 01 00" + " 00" * 256, 2, "00" * 256),
        ("82 7f 00 00 00 00 00 01 00 00" + "ab" * 65536, 2, "ab" * 65536),
    ]:
        out = dissect_json(capsys, hexed)
        (frame,) = check_contract(out, parse_hex(hexed))
        assert (frame["opcode"], frame["payload"], frame["payload_length"]) == (
            opcode, payload, len(payload) // 2)
        assert frame["violations"] == []


VIOLATIONS = [
    # (args, offset, rule id)
    (["c1 05 48 65 6c 6c 6f"], 0, "rsv-without-extension"),
    (["83 00"], 0, "reserved-opcode"),
    (["8f 00"], 0, "reserved-opcode"),
    (["89 7e 00 7e" + " 00" * 126], 1, "control-frame-too-long"),
    (["09 00"], 0, "control-frame-fragmented"),
    (["82 7e 00 05 48 65 6c 6c 6f"], 2, "non-minimal-length"),
    (["82 7f 00 00 00 00 00 00 00 05 48 65 6c 6c 6f"], 2, "non-minimal-length"),
    (["--sender", "client", "81 05 48 65 6c 6c 6f"], 1, "client-frame-unmasked"),
    (["--sender", "server", "81 85 37 fa 21 3d 7f 9f 4d 51 58"], 1, "server-frame-masked"),
    (["88 01 03"], 2, "close-payload-one-byte"),
    (["88 02 03 ed"], 2, "close-code-invalid"),  # 1005
    (["88 02 03 e7"], 2, "close-code-invalid"),  # 999
    (["88 02 13 88"], 2, "close-code-invalid"),  # 5000
    (["88 03 03 e8 ff"], 4, "close-reason-invalid-utf8"),
    (["81 03 48 ff 6c"], 3, "text-invalid-utf8"),
    (["80 02 6c 6f"], 0, "continuation-without-start"),
    (["01 03 48 65 6c 82 02 6c 6f"], 5, "data-frame-during-fragmented-message"),
    (["88 02 03 e8 81 00"], 4, "frame-after-close"),
    (["--max-size", "4", "81 05 48 65 6c 6c 6f"], 2, "message-too-big"),
]


@pytest.mark.parametrize(("args", "offset", "rule"), VIOLATIONS)
def test_violations(capsys: pytest.CaptureFixture[str], args: list[str], offset: int,
                    rule: str) -> None:
    out = dissect_json(capsys, *args)
    frames = check_contract(out, parse_hex(args[-1]))
    found = {(v["offset"], v["rule"]) for f in frames for v in f["violations"]}
    assert (offset, rule) in found


def test_split_code_point_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    out = dissect_json(capsys, "01 01 c3 80 01 a9")
    frames = check_contract(out, bytes.fromhex("0101c38001a9"))
    assert [f["violations"] for f in frames] == [[], []]
    assert frames[-1]["message"]["text"] == "é"


def test_top_bit_length_and_truncation(capsys: pytest.CaptureFixture[str]) -> None:
    out = dissect_json(capsys, "82 7f 80 00 00 00 00 00 00 00")
    assert out["frames"] == [] and out["incomplete"]["need"] == 1 << 63
    assert [(v["offset"], v["rule"]) for v in out["partial_violations"]] == [
        (2, "length-top-bit-set")]
    out = dissect_json(capsys, "81 05 48 65 6c 6c 6f 81 85 37")
    assert len(check_contract(out, parse_hex("81 05 48 65 6c 6c 6f 81 85 37"))) == 1
    assert {k: out["incomplete"][k] for k in ("offset", "have", "need")} == {
        "offset": 7, "have": 3, "need": 3}
    partial = out["partial_fields"]
    assert {o for f in partial for o in range(f["offset"], f["offset"] + f["length"])} == {
        7, 8, 9}
    assert [f["name"] for f in partial][-1] == "masking key" and partial[-1]["value"] is None


def test_close_frame(capsys: pytest.CaptureFixture[str]) -> None:
    out = dissect_json(capsys, "88 05 03 e8 62 79 65")
    (frame,) = check_contract(out, bytes.fromhex("880503e8627965"))
    assert (frame["close_code"], frame["close_reason"], frame["text"]) == (1000, "bye", None)


def test_deflate_rfc7692_example(capsys: pytest.CaptureFixture[str]) -> None:
    out = dissect_json(capsys, "--deflate", "c1 07 f2 48 cd c9 c9 07 00")
    (frame,) = check_contract(out, bytes.fromhex("c107f248cdc9c90700"))
    assert (frame["rsv1"], frame["text"], frame["violations"]) == (True, "Hello", [])
    out = dissect_json(capsys, "c1 07 f2 48 cd c9 c9 07 00")  # without --deflate
    assert out["frames"][0]["violations"][0]["rule"] == "rsv-without-extension"


# -- build ---------------------------------------------------------------------------------


def build(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["build", *args]) == 0
    return capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["--text", "Hello"], "81 05 48 65 6c 6c 6f"),
    (["--text", "Hello", "--mask", "37fa213d"], "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
    (["--text", "Hel", "--no-fin"], "01 03 48 65 6c"),
    (["--opcode", "continuation", "--text", "lo"], "80 02 6c 6f"),
    (["--opcode", "ping", "--text", "Hello"], "89 05 48 65 6c 6c 6f"),
    (["--opcode", "pong", "--text", "Hello", "--mask", "37 fa 21 3d"],
     "8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
    (["--hex", "0001"], "82 02 00 01"),
    (["--opcode", "3", "--rsv1", "--rsv2", "--rsv3"], "f3 00"),
    (["--opcode", "0xf"], "8f 00"),
    (["--hex", "00", "--length-encoding", "16"], "82 7e 00 01 00"),
    (["--hex", "00", "--length-encoding", "64"], "82 7f 00 00 00 00 00 00 00 01 00"),
    (["--text", "Hi", "--declared-length", "300"], "81 7e 01 2c 48 69"),
    (["--close-code", "1000", "--reason", "bye"], "88 05 03 e8 62 79 65"),
    (["--close-code", "1005"], "88 02 03 ed"),
    (["--opcode", "ping", "--no-fin"], "09 00"),
])
def test_build(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    assert build(capsys, *args) == expected


def test_build_any_control_frame_length(capsys: pytest.CaptureFixture[str]) -> None:
    line = build(capsys, "--opcode", "close", "--hex", "03e8" + "61" * 200)
    assert line.startswith("88 7e 00 ca 03 e8 61")


def test_build_random_mask_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    line = build(capsys, "--text", "Hello", "--mask-random")
    out = dissect_json(capsys, "--sender", "client", line)
    (frame,) = check_contract(out, parse_hex(line))
    assert (frame["masked"], frame["text"], frame["violations"]) == (True, "Hello", [])


@pytest.mark.parametrize(("args", "rule"), [
    (["--close-code", "999"], "close-code-invalid"),
    (["--opcode", "7"], "reserved-opcode"),
    (["--rsv2", "--text", "x"], "rsv-without-extension"),
    (["--opcode", "ping", "--hex", "00" * 126], "control-frame-too-long"),
    (["--hex", "00", "--length-encoding", "16"], "non-minimal-length"),
])
def test_build_then_dissect_round_trip(capsys: pytest.CaptureFixture[str], args: list[str],
                                       rule: str) -> None:
    line = build(capsys, *args)
    out = dissect_json(capsys, line)
    (frame,) = check_contract(out, parse_hex(line))
    assert rule in {v["rule"] for v in frame["violations"]}


def test_build_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--text", "Hello", "--mask", "37fa213d", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "81 85 37 fa 21 3d 7f 9f 4d 51 58"
    assert any("masking key" in line for line in lines[1:])


@pytest.mark.parametrize(("args", "complaint"), [
    (["--text", "x" * 200, "--length-encoding", "7"], "7-bit"),
    (["--mask", "0102"], "4 bytes"),
    (["--close-code", "70000"], "0..65535"),
    (["--opcode", "16"], "0..15"),
    (["--opcode", "bogus"], "0..15"),
    (["--close-code", "1000", "--text", "x"], "--text"),
    (["--text", "x", "--hex", "00"], "not allowed"),
])
def test_build_refuses_the_impossible(capsys: pytest.CaptureFixture[str], args: list[str],
                                      complaint: str) -> None:
    assert main(["build", *args]) == 2
    assert complaint in capsys.readouterr().err


def test_build_round_trip_in_a_child_process() -> None:
    built = run("build", "--opcode", "binary", "--hex", "00 ff", "--mask", "01020304")
    assert built.returncode == 0, built.stderr
    hexed = built.stdout.decode().strip()
    assert hexed == "82 82 01 02 03 04 01 fd"
    done = run("dissect", "--json", hexed)
    (frame,) = check_contract(json.loads(done.stdout), parse_hex(hexed))
    assert (frame["payload"], frame["masking_key"]) == ("00ff", "01020304")


# -- accept and handshake ----------------------------------------------------------------


def test_accept_rfc_example_last_line_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accept", "dGhlIHNhbXBsZSBub25jZQ=="]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[-1] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea" in captured.out
    assert captured.err == ""


def test_accept_with_a_key_that_is_not_16_bytes_warns(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    import base64
    import hashlib

    assert main(["accept", "abc"]) == 0
    captured = capsys.readouterr()
    guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    expected = base64.b64encode(hashlib.sha1(b"abc" + guid.encode()).digest()).decode()
    assert captured.out.splitlines()[-1] == expected
    assert "16 bytes" in captured.err
    assert main(["accept", "ключ"]) == 2  # no header can carry it


REQUEST = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


def test_handshake_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "request.txt"
    path.write_bytes(REQUEST)
    assert main(["handshake", str(path)]) == 0
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in capsys.readouterr().out
    assert main(["handshake", "--json", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["kind"], out["ok"], out["answer"]["status"]) == ("request", True, 101)
    path.write_bytes(REQUEST.replace(b"Version: 13", b"Version: 8"))
    assert main(["handshake", "--json", str(path)]) == 0  # explained, problem included
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_handshake_unparsable_and_unreadable(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(b"not http at all")
    assert main(["handshake", str(path)]) == 1
    assert "truncated" in capsys.readouterr().out
    assert main(["handshake", str(tmp_path / "missing")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_handshake_stdin_in_a_child_process() -> None:
    done = run("handshake", "--json", "-", stdin=REQUEST)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kind"] == "request"


# -- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "needle"), [
    ("dissect", "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
    ("build", "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
    ("accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ("handshake", "exit status"),
])
def test_help_documents_the_contract(capsys: pytest.CaptureFixture[str], command: str,
                                     needle: str) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert needle in out and "exit status" in out


def test_console_entry_point_help() -> None:
    done = run("--help")
    assert done.returncode == 0 and b"dissect" in done.stdout
    assert run().returncode == 2  # a command is required
