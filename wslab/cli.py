"""The wslab command line: take frames apart, build any frame, explain handshakes.

::

    python -m wslab dissect [--json] [--sender client|server] [--deflate] HEX|-
    python -m wslab build [--opcode OP] [--text STR | --hex HEX] [--no-fin] [--rsv1] ...
    python -m wslab accept KEY
    python -m wslab handshake [--json] FILE|-

Exit status (every subcommand): 0 when the input was taken apart (rule violations are
part of the answer, not a failure), 1 when a handshake could not be parsed at all,
2 for unusable input (not hex, bad option values, unreadable file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .codec import (
    Frame,
    HandshakeError,
    HexError,
    LengthEncoding,
    Opcode,
    accept_steps,
    build_close_payload,
    dissect,
    explain,
    key_problem,
    parse_hex,
)

__all__ = ["InputError", "main"]

EXIT_OK, EXIT_UNPARSED, EXIT_USAGE = 0, 1, 2

_RFC_EXAMPLES = """\
examples (RFC 6455 §5.7):
  python -m wslab dissect 81 05 48 65 6c 6c 6f               unmasked text "Hello"
  python -m wslab dissect 81 85 37 fa 21 3d 7f 9f 4d 51 58   masked text "Hello"
  python -m wslab dissect "01 03 48 65 6c 80 02 6c 6f"       "Hel" + "lo", fragmented
  python -m wslab dissect 0x89,0x05,0x48,0x65,0x6c,0x6c,0x6f unmasked ping
  echo 8a85 37fa213d 7f9f4d5158 | python -m wslab dissect -  masked pong, from stdin
  python -m wslab dissect --deflate c1 07 f2 48 cd c9 c9 07 00   RFC 7692 §7.2.3
"""

_DISSECT_EPILOG = _RFC_EXAMPLES + """
input: hex digits; spaces, newlines, commas, colons and 0x prefixes are ignored; several
arguments are joined; "-" reads the hex from stdin (--raw: stdin holds the bytes themselves).

--json prints ONE object: {"frames": [...], "incomplete": null | {"offset", "have", "need",
"message"}, "partial_fields": [...], "partial_violations": [...], "messages": [...],
"sender", "deflate", "max_size"}. partial_* describe an incomplete trailing frame.
Each frame: offset, length (total bytes), header_length, fin, rsv1, rsv2, rsv3, opcode (int),
opcode_name (continuation|text|binary|close|ping|pong|reserved), masked, masking_key (hex or
null), payload_length, payload (unmasked, hex), text (str or null; with --deflate the inflated
text of a compressed message, on its last frame), close_code, close_reason, fields (name,
offset, length, bits [first, last] or null, raw, value, meaning; they cover the frame byte for
byte), violations (offset, rule, rfc, message), message (the message it completes, or null).

exit status: 0 the bytes were dissected (violations included); 2 the input is not hex.
"""

_BUILD_EPILOG = """\
examples (RFC 6455 §5.7):
  python -m wslab build --text Hello                        -> 81 05 48 65 6c 6c 6f
  python -m wslab build --text Hello --mask 37fa213d        -> 81 85 37 fa 21 3d 7f 9f 4d 51 58
  python -m wslab build --text Hel --no-fin                 -> 01 03 48 65 6c
  python -m wslab build --opcode continuation --text lo     -> 80 02 6c 6f
  python -m wslab build --opcode ping --text Hello          -> 89 05 48 65 6c 6c 6f
  python -m wslab build --opcode binary --hex 0001 --length-encoding 64
  python -m wslab build --close-code 1005 --reason bye --explain   (a close code nobody may send)
  python -m wslab build --opcode 3 --rsv2                   (reserved opcode, RSV2 set)

Anything can be built: reserved opcodes, RSV bits, oversized or fragmented control frames,
non-minimal length encodings, and lying lengths (--declared-length). The frame is printed as
hex, two digits per byte separated by spaces; --explain also prints its dissection.
Default opcode: close with --close-code/--reason, binary with --hex, else text.
exit status: 0 built; 2 impossible request (e.g. a length that does not fit --length-encoding 7).
"""

_ACCEPT_EPILOG = """\
example (RFC 6455 §1.3):
  python -m wslab accept dGhlIHNhbXBsZSBub25jZQ==     -> last line: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
The steps are printed first; the LAST line is the accept value alone (| tail -1).
A key that is not the base64 encoding of 16 bytes is still used (the RFC only concatenates
it with the GUID), with a warning on stderr.
exit status: 0 computed; 2 the key has characters no header can carry (not ASCII).
"""

_HANDSHAKE_EPILOG = """\
examples:
  printf 'GET /chat HTTP/1.1\\r\\nHost: server.example.com\\r\\nUpgrade: websocket\\r\\n...' \\
      | python -m wslab handshake -
  python -m wslab handshake --json response.txt
FILE holds the raw bytes of an HTTP request or response ("-": stdin); bytes starting with
"HTTP/" are a response, anything else a request. --json prints ONE object: {"kind",
"length", "ok", "lines": [{"offset", "text", "name", "meaning", "rfc", "problem"}],
"problems": [...], "answer": null | {"status", "reason", "headers", "text"}, "trailing"}.
exit status: 0 explained (problems found are part of the explanation); 1 the bytes could
not be parsed as an HTTP request or response at all (the parse error is still printed);
2 the file could not be read.
"""


class InputError(ValueError):
    """Input the command line cannot use (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="wslab", formatter_class=fmt, epilog=_RFC_EXAMPLES,
        description="Learn the WebSocket protocol (RFC 6455) by taking it apart.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("dissect", formatter_class=fmt, epilog=_DISSECT_EPILOG,
                       help="take frames apart, field by field",
                       description="Take WebSocket frames apart, field by field, and report "
                                   "every rule they break.")
    p.add_argument("hex", nargs="+", metavar="HEX", help="the bytes as hex, or - for stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sender", choices=("client", "server"),
                   help="who sent the bytes (clients must mask, servers must not)")
    p.add_argument("--deflate", action="store_true",
                   help="permessage-deflate was negotiated: inflate RSV1 messages")
    p.add_argument("--max-size", type=int, metavar="N", help="report messages over N bytes")
    p.add_argument("--raw", action="store_true", help="with -: stdin holds raw bytes, not hex")

    p = sub.add_parser("build", formatter_class=fmt, epilog=_BUILD_EPILOG,
                       help="build any frame, print it as hex",
                       description="Build a frame, any bit pattern, and print it as hex.")
    p.add_argument("--opcode", type=_opcode, metavar="OP",
                   help="text|binary|close|ping|pong|continuation or a number 0..15")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--text", metavar="STR", help="payload: STR as UTF-8")
    data.add_argument("--hex", metavar="HEX", help="payload: these bytes")
    p.add_argument("--no-fin", action="store_true", help="FIN=0 (more fragments follow)")
    for bit in (1, 2, 3):
        p.add_argument(f"--rsv{bit}", action="store_true", help=f"set RSV{bit}")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--mask", metavar="KEYHEX", help="mask with this 4-byte key")
    key.add_argument("--mask-random", action="store_true", help="mask with a random key")
    p.add_argument("--length-encoding", type=int, choices=(7, 16, 64),
                   help="write the length in 7, 16 or 64 bits (default: the minimal one)")
    p.add_argument("--declared-length", type=int, metavar="N",
                   help="declare N payload bytes whatever the payload really is")
    p.add_argument("--close-code", type=int, metavar="N", help="close payload: status code N")
    p.add_argument("--reason", metavar="STR", help="close payload: reason after the code")
    p.add_argument("--explain", action="store_true", help="also print the dissection")
    p.add_argument("--sender", choices=("client", "server"), help="for --explain")
    p.add_argument("--deflate", action="store_true", help="for --explain")
    p.set_defaults(subparser=p)

    p = sub.add_parser("accept", formatter_class=fmt, epilog=_ACCEPT_EPILOG,
                       help="compute Sec-WebSocket-Accept from a key, step by step",
                       description="Compute Sec-WebSocket-Accept for a Sec-WebSocket-Key "
                                   "(RFC 6455 §4.2.2), showing every step.")
    p.add_argument("key", metavar="KEY", help="the Sec-WebSocket-Key value")

    p = sub.add_parser("handshake", formatter_class=fmt, epilog=_HANDSHAKE_EPILOG,
                       help="explain an opening handshake request or response",
                       description="Explain an HTTP request or response of the opening "
                                   "handshake (RFC 6455 §4), header by header.")
    p.add_argument("file", metavar="FILE", help="file with the raw bytes, or - for stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    # Listed here for --help; its own options live in wslab.live.serve_scratch.
    sub.add_parser("serve", add_help=False,
                   help="run the from-scratch server (wslab.live.ScratchServer) on 127.0.0.1; "
                        "see `serve --help`")
    return parser


_OPCODE_WORDS = {"continuation": 0, "cont": 0, "text": 1, "binary": 2, "close": 8,
                 "ping": 9, "pong": 10}


def _opcode(text: str) -> int:
    word = text.strip().lower()
    if word in _OPCODE_WORDS:
        return _OPCODE_WORDS[word]
    try:
        value = int(word, 0)
    except ValueError:
        value = -1
    if not 0 <= value <= 15:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use text, binary, close, ping, pong, continuation or a number 0..15")
    return value


def _read(path: str, *, binary: bool) -> str | bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read() if binary else sys.stdin.read()
        with open(path, "rb" if binary else "r") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {'stdin' if path == '-' else path}: {exc}") from None


def _cmd_dissect(args: argparse.Namespace) -> int:
    if args.hex == ["-"]:
        source = _read("-", binary=args.raw)
        data = source if isinstance(source, bytes) else parse_hex(source)
    else:
        data = parse_hex(" ".join(args.hex))
    result = dissect(data, sender=args.sender, deflate=args.deflate, max_size=args.max_size)
    print(json.dumps(result.to_dict(), indent=2) if args.json else str(result))
    return EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.subparser
    if args.close_code is not None and not 0 <= args.close_code <= 0xFFFF:
        parser.error(f"--close-code {args.close_code}: a close code is 2 bytes (0..65535)")
    closing = args.close_code is not None or args.reason is not None
    if closing and (args.text is not None or args.hex is not None):
        parser.error("--close-code/--reason build the payload; drop --text/--hex")
    if closing:
        payload = build_close_payload(args.close_code, args.reason or "", check=False)
    elif args.hex is not None:
        payload = parse_hex(args.hex)
    else:
        payload = (args.text or "").encode("utf-8")
    opcode = args.opcode
    if opcode is None:
        opcode = Opcode.CLOSE if closing else Opcode.BINARY if args.hex is not None else Opcode.TEXT
    key = None
    if args.mask is not None:
        key = parse_hex(args.mask)
        if len(key) != 4:
            parser.error(f"--mask {args.mask}: a masking key is 4 bytes, not {len(key)}")
    frame = Frame(opcode, payload, fin=not args.no_fin, rsv1=args.rsv1, rsv2=args.rsv2,
                  rsv3=args.rsv3, masking_key=key,
                  length_encoding=None if args.length_encoding is None
                  else LengthEncoding(args.length_encoding))
    if args.mask_random:
        frame = frame.masked_with(None)
    if args.declared_length is not None and args.declared_length < 0:
        parser.error("--declared-length must be 0 or more")
    try:
        data = frame.serialize(declared_length=args.declared_length)
    except ValueError as exc:
        parser.error(str(exc))
    print(data.hex(" "))
    if args.explain:
        print()
        print(dissect(data, sender=args.sender, deflate=args.deflate))
    return EXIT_OK


def _cmd_accept(args: argparse.Namespace) -> int:
    key: str = args.key
    try:
        steps = accept_steps(key)
    except HandshakeError as exc:
        raise InputError(str(exc)) from None
    problem = key_problem(key)
    if problem is not None:
        print(f"warning: {problem}: a key is the base64 encoding of 16 bytes (RFC 6455 §4.1); "
              f"the accept value is computed anyway (§4.2.2 only concatenates the key with "
              f"the GUID)", file=sys.stderr)
    print(steps)
    print(steps.accept)
    return EXIT_OK


def _cmd_handshake(args: argparse.Namespace) -> int:
    data = _read(args.file, binary=True)
    assert isinstance(data, bytes)
    result = explain(data)
    print(json.dumps(result.to_dict(), indent=2) if args.json else str(result))
    return EXIT_OK if result.message is not None else EXIT_UNPARSED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        from .live import serve_scratch  # sockets and threads: only for this command

        return serve_scratch(args_list[1:])
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
        if args.command == "dissect":
            return _cmd_dissect(args)
        if args.command == "build":
            return _cmd_build(args)
        if args.command == "accept":
            return _cmd_accept(args)
        return _cmd_handshake(args)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except (InputError, HexError) as exc:
        print(f"wslab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `| head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
