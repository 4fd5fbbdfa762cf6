"""Reference solutions: one answer per exercise that passes its check.

Private on purpose: the tests prove each check with these, and the teacher's tool
``tools/make_assignments.py`` copies them into the ``### BEGIN SOLUTION`` cells of the
nbgrader source notebooks, which ``nbgrader generate_assignment`` strips. A check never
shows them, and the student's notebooks do not contain them.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import zlib

from ..codec import Frame, Opcode


def accept_key(key):
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode("ascii")


def key_is_valid(key):
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


def unmask(payload, key):
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def encode_length(n):
    if n <= 125:
        return bytes([n])
    if n <= 0xFFFF:
        return bytes([126]) + n.to_bytes(2, "big")
    return bytes([127]) + n.to_bytes(8, "big")


def parse_header(two_bytes):
    first, second = two_bytes[0], two_bytes[1]
    return {"fin": bool(first & 0x80), "rsv1": bool(first & 0x40),
            "rsv2": bool(first & 0x20), "rsv3": bool(first & 0x10),
            "opcode": first & 0x0F, "masked": bool(second & 0x80), "length": second & 0x7F}


def pong_for(ping):
    length = ping[1] & 0x7F
    key = ping[2:6]
    payload = bytes(b ^ key[i % 4] for i, b in enumerate(ping[6:6 + length]))
    return bytes([0x8A, length]) + payload


def closes_at(delay, ping_interval, ping_timeout):
    if delay <= ping_timeout:
        return None
    return ping_interval + ping_timeout


def close_payload(code, reason):
    return code.to_bytes(2, "big") + reason.encode("utf-8")


def may_send(code):
    if 1000 <= code <= 1014:
        return code not in (1004, 1005, 1006)
    return 3000 <= code <= 4999


def wire_size(n, sender):
    header = 2 if n <= 125 else 4 if n <= 0xFFFF else 10
    return header + (4 if sender == "client" else 0) + n


def fail_code(rule_id):
    if rule_id in ("text-invalid-utf8", "close-reason-invalid-utf8", "deflate-error"):
        return 1007
    if rule_id == "message-too-big":
        return 1009
    return 1002


def first_bad_fragment(fragments):
    decoder = codecs.getincrementaldecoder("utf-8")()
    for index, fragment in enumerate(fragments):
        try:
            decoder.decode(fragment, final=index == len(fragments) - 1)
        except UnicodeDecodeError:
            return index
    return None


def respond(event):
    if event.opcode in (Opcode.TEXT, Opcode.BINARY):
        return [Frame(event.opcode, event.payload)]
    if event.opcode == Opcode.PING:
        return [Frame(Opcode.PONG, event.payload)]
    if event.opcode == Opcode.CLOSE:
        code = event.close_payload.code if event.close_payload else None
        return [Frame.close(code)]
    return []


def ping_times(rtt, ping_interval, count):
    return [ping_interval + k * max(ping_interval, rtt) for k in range(count)]


def break_even(size, handshake, http_overhead):
    header = 2 if size <= 125 else 4 if size <= 0xFFFF else 10
    if header >= http_overhead:
        return None
    k = 1
    while handshake + k * (header + size) >= k * (http_overhead + size):
        k += 1
    return k


def origin_allowed(origin, allowed):
    return origin in allowed


def compress_message(data):
    compressor = zlib.compressobj(wbits=-15)
    raw = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return raw[:-4]


def compressor_memory(window_bits, mem_level):
    return (1 << (window_bits + 2)) + (1 << (mem_level + 9))


def page_may_close(code):
    return code == 1000 or 3000 <= code <= 4999


def backoff_delays(attempts, base, cap):
    return [min(base * 2**k, cap) for k in range(attempts)]


# The values of the read-bytes and predict exercises, with a line saying why.
status = 400  # the key decodes to 3 bytes, not 16 (§4.2.1): 400 Bad Request
rule_and_offset = ("data-frame-during-fragmented-message", 12)  # a new text frame, §5.4
prediction = 0.5  # first ping at 0.2 s, its pong would be back at 0.7 s > 0.2 + 0.3
code = 1002  # 1005 must never be sent (§7.4.1): a protocol error
live_code = 1007  # 63 61 66 c3: the text ends inside a character (§8.1)
offset_and_code = (132, 1001)  # 2 + 2 + 126 bytes of text, 2 of pong; 0x03e9
frame_bytes = bytes.fromhex("88 85 37 fa 21 3d 34 12 43 44 52")  # 03 e8 'bye', masked
verdicts = (1002, None, 1002, 1002, 1007)  # RSV1; fine; unmasked; 1-byte close; c3 28
rtt_prediction = 0.1  # held 0.05 s each way
handshake_prediction = 400  # about 200 bytes each way
bomb_code = 1009  # 8 MiB of zeros inflates past max_size (1 MiB): message too big
endings_seen = (500, 1011, 1005, 1006)  # status; 0x03f3; no code; no frame (§7.1.5)
unanswered_prediction = 0  # the library answers every ping; the stuck handler does not matter

SOLUTIONS = {
    "01.accept_key": accept_key, "01.key_valid": key_is_valid, "01.status": status,
    "02.unmask": unmask, "02.length": encode_length, "02.parse_header": parse_header,
    "02.which_rule": rule_and_offset, "03.pong": pong_for, "03.keepalive": closes_at,
    "03.predict": prediction, "04.close_payload": close_payload, "04.valid_code": may_send,
    "04.code_for_bytes": code, "04.live_close": live_code, "05.wire_size": wire_size,
    "05.find_close": offset_and_code, "06.fail_code": fail_code,
    "06.utf8_fragments": first_bad_fragment, "06.echo_handler": respond,
    "07.build_close": frame_bytes, "07.verdicts": verdicts, "08.ping_times": ping_times,
    "08.predict_rtt": rtt_prediction, "09.break_even": break_even,
    "09.predict_handshake": handshake_prediction, "10.origin": origin_allowed,
    "10.bomb": bomb_code, "11.compress": compress_message, "11.memory": compressor_memory,
    "12.page_close": page_may_close, "12.backoff": backoff_delays,
    "13.endings": endings_seen, "13.predict_pongs": unanswered_prediction,
}
