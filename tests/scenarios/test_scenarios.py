"""Every scenario, run for real: both sides' closes, asserted from the tap's transcript.

Each test checks what went over the wire (the close frames in the transcript and whether
the tap delivered them), what the server logged, and what the client reports, and that
these agree. Timing assertions use event order and generous bounds only.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from leaks import Snapshot, assert_nothing_leaked
from websockets.exceptions import InvalidStatus

from wslab.codec import Rules, Transcript, describe
from wslab.scenarios import (
    SCENARIOS,
    SUMMARY_COLUMNS,
    Lab,
    RttSamples,
    ScenarioError,
    ScenarioResult,
    SummaryTable,
    format_close,
    keepalive_experiment,
    keepalive_timeline,
    measure_keepalive,
    names,
    predict_keepalive,
    run,
    summary_table,
    time_to_close,
)
from wslab.scenarios import describe as describe_scenarios
from wslab.view import entry_label, sequence_diagram

HEAD_ROWS, TAIL_ROWS = ScenarioResult.HEAD_ROWS, ScenarioResult.TAIL_ROWS

SCHEDULING_SLACK = 0.01  # s: two threads reading one clock around the same bytes
KEEPALIVE = "keepalive ping timeout"  # websockets' reason for a keepalive failure
PUBLIC_NAMES = [
    "echo", "ping", "server-ping", "1011-handler-exception", "1011-keepalive-timeout",
    "1011-client-keepalive", "1000-client", "1000-server", "1001-shutdown", "1002-unmasked",
    "1002-reserved-opcode", "1002-rsv-bit", "1006-cut", "1007-invalid-utf8", "1008-policy",
    "1009-too-big", "1012-restart", "1013-try-again", "handshake-version",
    "handshake-bad-key", "handshake-origin", "handshake-500", "keepalive-timeline",
    "1011-blocked-loop", "intercept-unmask", "intercept-invalid-utf8",
    "intercept-unsolicited-pong", "intercept-drop-pongs", "pong-stuck-app",
    "pong-from-gateway",
]


@pytest.fixture(scope="module", autouse=True)
def nothing_leaked() -> Iterator[None]:
    """After every scenario of this module: no thread or socket they made is left."""
    before = Snapshot.take()
    yield
    assert_nothing_leaked(before, timeout=10)


# -- helpers ------------------------------------------------------------------------------


def wire(result: ScenarioResult, conn_id: int | None = None) -> dict[str, tuple | None]:
    """The first close frame each way, straight from the transcript: (code, reason, t)."""
    cid = result.conn_id if conn_id is None else conn_id
    out: dict[str, tuple | None] = {}
    for d in ("c2s", "s2c"):
        c = result.transcript.first_close(d, cid)  # type: ignore[arg-type]
        out[d] = None if c is None else (c.code, c.reason, c.t)
    return out


def delivered(result: ScenarioResult, direction: str, conn_id: int | None = None) -> bool:
    """Whether the tap passed the first close frame going ``direction`` on."""
    cid = result.conn_id if conn_id is None else conn_id
    frames = result.transcript.frames(direction, "close", conn_id=cid)  # type: ignore[arg-type]
    return bool(frames) and frames[0].t_forwarded is not None


def server_log(result: ScenarioResult, kind: str) -> list[dict]:
    return [e.detail for e in result.events if e.kind == kind]


def check_common(result: ScenarioResult, name: str) -> None:
    """What holds for every result: name, agreement, JSON, text and HTML forms."""
    assert result.name == name
    assert not result.discrepancies, result.discrepancies
    text = json.dumps(result.to_dict())
    assert json.loads(text)["name"] == name
    assert "RFC" in result.rfc or "IANA" in result.rfc
    assert sequence_diagram(result.transcript) in str(result)
    page = result._repr_html_()
    assert "<table" in page and "<script" not in page
    assert html.escape(result.summary_line()) in page
    for label, value in result.summary_rows():
        assert f">{html.escape(label)}</th>" in page and html.escape(value) in page
    shown = [*result.transcript.entries[:HEAD_ROWS], *result.transcript.entries[-TAIL_ROWS:]]
    assert all(html.escape(entry_label(e)) in page for e in shown)
    assert len(page) < 100_000  # compact: ~500 KB with every frame's full dissection
    line = result.summary_line()
    assert line.startswith(f"{name}: ") and "\n" not in line
    for side in ("client", "server"):
        close = getattr(result, f"{side}_close")
        if close is not None:
            assert f"{close[0]}" in line.split("; ")[-1]
    assert result.timings["total"] > 0


def closes_both_ways(result: ScenarioResult, code: int, reason: str | None, *,
                     by: str) -> None:
    """``by`` sent ``code`` first; the other side echoed it; both frames were delivered."""
    first, answer = ("c2s", "s2c") if by == "client" else ("s2c", "c2s")
    w = wire(result)
    assert w[first] is not None and w[answer] is not None, result.transcript
    assert w[first][0] == code and w[answer][0] == code
    if reason is not None:
        assert w[first][1] == reason
    assert w[answer][1] == w[first][1]  # the answer echoes the code and reason (§5.5.1)
    assert w[first][2] <= w[answer][2]
    assert delivered(result, first) and delivered(result, answer)
    assert result.extra["first_close_by"] == by
    frames = {"c2s": result.client_sent_close, "s2c": result.server_sent_close}
    assert frames[first] == w[first][:2] and frames[answer] == w[answer][:2]


# -- the registry ---------------------------------------------------------------------------


def test_registry_is_the_public_contract() -> None:
    assert sorted(SCENARIOS) == sorted(PUBLIC_NAMES)
    assert names() == list(SCENARIOS)
    for name, declared in SCENARIOS.items():
        assert declared.name == name and callable(declared), name
        assert declared.summary and "\n" not in declared.summary, name
        assert "timeout" in declared.params, name
        doc = declared.__doc__ or ""
        assert "Shows:" in doc and "RFC" in doc and "websockets" in doc, name
        assert f"{name}  " in describe_scenarios()
    with pytest.raises(KeyError, match="no scenario 'nope'; there are: echo"):
        run("nope")


# -- data and normal closes -------------------------------------------------------------------


def test_echo() -> None:
    result = run("echo", text="Hello", data=b"\x00\xff")
    check_common(result, "echo")
    closes_both_ways(result, 1000, "", by="client")
    assert result.client_close == result.server_close == (1000, "")
    sent = result.transcript.frames("c2s", "text") + result.transcript.frames("c2s", "binary")
    back = result.transcript.frames("s2c", "text") + result.transcript.frames("s2c", "binary")
    assert [e.frame_dissection.frame.payload for e in sent] == [b"Hello", b"\x00\xff"]  # type: ignore[union-attr]
    assert [e.frame_dissection.frame.payload for e in back] == [b"Hello", b"\x00\xff"]  # type: ignore[union-attr]
    assert all(e.frame_dissection.frame.masked for e in sent)  # type: ignore[union-attr]
    assert not any(e.frame_dissection.frame.masked for e in back)  # type: ignore[union-attr]
    assert result.extra["echoed"] == ["Hello", b"\x00\xff"]
    assert result.http_status == 101
    # the timings agree with timing.time_to_close, computed separately from the transcript
    closing = time_to_close(result.transcript, result.conn_id)
    assert closing.first_close_by == "client"
    assert result.timings["time_to_close"] == pytest.approx(closing.time_to_close)
    assert result.timings["closing_handshake"] == pytest.approx(closing.closing_handshake)


def test_1000_client() -> None:
    result = run("1000-client", reason="done")
    check_common(result, "1000-client")
    closes_both_ways(result, 1000, "done", by="client")
    assert result.client_close == result.server_close == (1000, "done")
    assert server_log(result, "close_recv")[0] == {"code": 1000, "reason": "done"}


def test_1000_server() -> None:
    result = run("1000-server")
    check_common(result, "1000-server")
    closes_both_ways(result, 1000, describe(1000).name, by="server")
    assert result.client_close == result.server_close == (1000, describe(1000).name)
    assert result.client_received_close == result.server_received_close == (
        1000, describe(1000).name)


def test_1001_shutdown() -> None:
    result = run("1001-shutdown")
    check_common(result, "1001-shutdown")
    closes_both_ways(result, 1001, "", by="server")
    assert result.client_close == result.server_close == (1001, "")
    stopped = server_log(result, "server_stopped")
    assert stopped and stopped[0]["code"] == 1001
    stop_t = next(e.t for e in result.events if e.kind == "server_stopped")
    assert wire(result)["s2c"][2] <= stop_t  # type: ignore[index]  # closed before it stopped


# -- protocol errors: a raw client breaks a rule, the server fails the connection ----------


@pytest.mark.parametrize(("name", "code", "rule"), [
    ("1002-unmasked", 1002, Rules.CLIENT_UNMASKED),
    ("1002-reserved-opcode", 1002, Rules.RESERVED_OPCODE),
    ("1002-rsv-bit", 1002, Rules.RSV_WITHOUT_EXTENSION),
    ("1007-invalid-utf8", 1007, Rules.TEXT_UTF8),
])
def test_protocol_errors(name: str, code: int, rule: object) -> None:
    result = run(name)
    check_common(result, name)
    # the dissector sees the broken frame the client sent, and names the rule
    broken = result.transcript.frames("c2s")[0]
    assert rule in [v.rule for v in broken.frame_dissection.violations]  # type: ignore[union-attr]
    closes_both_ways(result, code, None, by="server")
    reason = wire(result)["s2c"][1]  # type: ignore[index]
    assert result.client_close == (code, reason)  # the raw client got it
    assert server_log(result, "close_sent") == [{"code": code, "reason": reason}]
    # websockets failed the connection: it ignores the client's answer, and reports 1006
    assert result.server_close == (1006, "")
    assert server_log(result, "close_recv") == []
    assert any("did not process it" in note for note in result.notes)


def test_1006_cut() -> None:
    result = run("1006-cut")
    check_common(result, "1006-cut")
    assert not result.transcript.has_close_frame()
    assert result.transcript.tcp_closed_without_close_frame()
    assert any(e.event is not None and e.event.kind == "cut" for e in result.transcript.entries)
    assert result.client_close == result.server_close == (1006, "")
    assert result.client_received_close is result.server_received_close is None
    assert result.client_sent_close is result.server_sent_close is None
    assert server_log(result, "closed")[0]["rcvd"] is None


def test_1008_policy() -> None:
    result = run("1008-policy", token="wrong")
    check_common(result, "1008-policy")
    closes_both_ways(result, 1008, "bad token", by="server")
    assert result.client_close == result.server_close == (1008, "bad token")
    (text,) = result.transcript.frames("c2s", "text")
    assert text.frame_dissection.text == "token:wrong"  # type: ignore[union-attr]


def test_1009_too_big() -> None:
    result = run("1009-too-big", max_size=1000, size=5000)
    check_common(result, "1009-too-big")
    closes_both_ways(result, 1009, None, by="server")
    (big,) = result.transcript.frames("c2s", "text")
    assert len(big.frame_dissection.frame.payload) == 5000  # type: ignore[union-attr]
    assert result.client_close is not None and result.client_close[0] == 1009
    assert result.server_close == (1006, "")  # failed the connection: the answer is ignored


def test_1011_handler_exception() -> None:
    result = run("1011-handler-exception")
    check_common(result, "1011-handler-exception")
    closes_both_ways(result, 1011, None, by="server")
    assert result.client_close is not None and result.client_close[0] == 1011
    assert result.server_close is not None and result.server_close[0] == 1011
    kinds = [e.kind for e in result.events]
    assert kinds.index("exception") < kinds.index("close_sent")
    assert result.extra["exception_before_close"] is True
    assert result.extra["exception"].startswith("RuntimeError: ")


def test_1012_restart() -> None:
    result = run("1012-restart", reason="service restart")
    check_common(result, "1012-restart")
    closes_both_ways(result, 1012, "service restart", by="server")
    assert result.client_close == result.server_close == (1012, "service restart")
    assert result.extra["after_restart"] == "after the restart"
    second = wire(result, 2)  # the new connection, after the restart: a normal close
    assert second["c2s"][:2] == second["s2c"][:2] == (1000, "")  # type: ignore[index]
    assert result.transcript.http_status(2) == 101


def test_1013_try_again() -> None:
    result = run("1013-try-again")
    check_common(result, "1013-try-again")
    assert result.conn_id == 2
    closes_both_ways(result, 1013, "try again later", by="server")
    assert result.client_close == result.server_close == (1013, "try again later")
    first = wire(result, 1)  # the connection holding the place ends normally, later
    assert first["c2s"][:2] == (1000, "")  # type: ignore[index]
    assert first["c2s"][2] > wire(result)["s2c"][2]  # type: ignore[index]


# -- pings and keepalive --------------------------------------------------------------------


def test_ping_rtt_client_and_tap() -> None:
    delay = 0.05
    result = run("ping", count=4, delay=delay)
    check_common(result, "ping")
    closes_both_ways(result, 1000, "", by="client")
    client, tap = result.extra["rtt_client"], result.extra["rtt_tap"]
    assert len(client) == len(tap) == 4
    pings, pongs = result.transcript.pings("c2s"), result.transcript.pongs("s2c")
    assert [p.payload for p in pings] == [p.payload for p in pongs] == [
        f"wslab ping {i}".encode() for i in range(1, 5)]
    for c, t in zip(client, tap, strict=True):
        # the tap holds the ping and the pong `delay` each; it sees the ping after the
        # client sent it and passes the pong on before the client reads it (but it reads
        # its clock once the write returned: the client's thread may have read it by then)
        assert 0.9 * 2 * delay <= t <= c + SCHEDULING_SLACK and c < 5
    assert RttSamples(tap).median == pytest.approx(result.timings["rtt_tap"])


def test_server_ping() -> None:
    result = run("server-ping", pings=3, ping_interval=0.2, ping_timeout=2)
    check_common(result, "server-ping")
    closes_both_ways(result, 1000, "", by="client")
    pings, pongs = result.transcript.pings("s2c"), result.transcript.pongs("c2s")
    assert len(pings) >= 3 and [p.payload for p in pongs] == [p.payload for p in pings][
        :len(pongs)]
    assert len(pongs) >= 3
    assert all(p.t < q.t for p, q in zip(pings, pongs, strict=False))
    gaps = [b.t - a.t for a, b in pairwise(pings)]
    assert all(0 < g < 2 for g in gaps) and sum(gaps) / len(gaps) >= 0.1  # ~ping_interval
    tap, server = result.extra["rtt_tap"], result.extra["rtt_server"]
    assert len(tap) >= 3 and len(server) >= 3
    assert all(0 <= t < 1 for t in tap)
    assert not result.client_events or all(  # the client answered without being asked
        e.kind != "exception" for e in result.client_events)


def test_server_ping_notes_the_server_connections_latency() -> None:
    result = run("server-ping", pings=3, ping_interval=0.2, ping_timeout=2)
    latency, server = result.extra["latency_server"], result.extra["rtt_server"]
    # websockets' connection.latency is the last keepalive round trip; the server's log,
    # read independently (ping sent to pong received), says the same to a few ms
    assert latency is not None and 0 < latency < 1
    assert latency == pytest.approx(server[-1], abs=0.05)


def test_1011_blocked_loop_pong_in_time_then_1011() -> None:
    block, ping_timeout = 1.0, 0.4
    result = run("1011-blocked-loop", block=block, ping_timeout=ping_timeout)
    check_common(result, "1011-blocked-loop")
    tr = result.transcript
    close = tr.frames("s2c", "close")[0]
    ping = [p for p in tr.frames("s2c", "ping") if p.t < close.t][-1]
    payload = ping.frame_dissection.frame.payload  # type: ignore[union-attr]
    (pong,) = [p for p in tr.frames("c2s", "pong")
               if p.frame_dissection.frame.payload == payload]  # type: ignore[union-attr]
    # the order that makes it spurious: the ping, the client's pong passed on to the
    # server by the tap, and only then the server's 1011
    assert pong.t_forwarded is not None
    assert ping.t < pong.t <= pong.t_forwarded < close.t
    assert result.extra["pong_before_close"] is True
    assert pong.t_forwarded - ping.t < ping_timeout  # the client answered in time
    assert wire(result)["s2c"][:2] == (1011, KEEPALIVE)  # type: ignore[index]
    # the server's own log: it read the pong, then its overdue timer sent 1011
    steps = [(e.kind, e.detail.get("direction")) for e in result.events if e.conn_id == 1]
    ping_at = max(i for i, step in enumerate(steps) if step == ("ping", "out")
                  and i < steps.index(("close_sent", None)))
    assert ping_at < steps.index(("pong", "in")) < steps.index(("close_sent", None))
    # what the server measured is the blocked loop, not the network
    assert result.extra["blocked"] >= block * 0.99
    assert result.extra["latency_server"] > ping_timeout > pong.t_forwarded - ping.t
    assert result.client_close == (1011, KEEPALIVE) == result.client_received_close
    assert result.server_close == (1006, "")  # it failed the connection (§7.1.7)
    assert result.summary_line().startswith(
        "1011-blocked-loop: server sent 1011 'keepalive ping timeout'")
    with pytest.raises(ValueError, match="longer than ping_timeout"):
        run("1011-blocked-loop", block=0.2, ping_timeout=0.3)


def test_1011_keepalive_timeout() -> None:
    result = run("1011-keepalive-timeout", ping_interval=0.2, ping_timeout=0.2)
    check_common(result, "1011-keepalive-timeout")
    tr = result.transcript
    (ping,) = tr.pings("s2c")  # one ping, never answered
    assert tr.pongs("c2s") == []
    w = wire(result)
    assert w["s2c"][:2] == (1011, KEEPALIVE)  # type: ignore[index]
    assert ping.t < w["s2c"][2]  # type: ignore[index]
    assert 0 < result.timings["ping_to_close"] < 3  # as the tap saw it
    logged = {e.kind: e.t for e in result.events if e.kind in ("ping", "close_sent")}
    assert logged["close_sent"] - logged["ping"] >= 0.9 * 0.2  # ping_timeout after the ping
    assert w["c2s"][:2] == (1011, KEEPALIVE)  # type: ignore[index]  # the raw client echoed it
    assert result.client_received_close == (1011, KEEPALIVE) == result.client_close
    kinds = [e.kind for e in result.events if e.conn_id == 1]
    assert kinds.index("ping") < kinds.index("close_sent") and "pong" not in kinds
    assert server_log(result, "close_sent") == [{"code": 1011, "reason": KEEPALIVE}]
    assert result.server_close == (1006, "")  # websockets failed the connection (§7.1.7)


def test_1011_client_keepalive() -> None:
    result = run("1011-client-keepalive", ping_interval=0.2, ping_timeout=0.2,
                  close_timeout=0.5)
    check_common(result, "1011-client-keepalive")
    tr = result.transcript
    w = wire(result)
    # the client pinged, got nothing back, and closed with 1011; that reached the server
    assert tr.pings("c2s") and w["c2s"][:2] == (1011, KEEPALIVE)  # type: ignore[index]
    assert tr.pings("c2s")[0].t < w["c2s"][2]  # type: ignore[index]
    assert delivered(result, "c2s")
    assert result.server_received_close == (1011, KEEPALIVE)
    assert server_log(result, "close_recv") == [{"code": 1011, "reason": KEEPALIVE}]
    assert result.server_close == (1011, KEEPALIVE)
    # the server's pong and its echoed close are in the tap, never delivered
    assert tr.pongs("s2c") and w["s2c"][:2] == (1011, KEEPALIVE)  # type: ignore[index]
    assert not delivered(result, "s2c")
    assert tr.frames("s2c", "close")[0].summary.endswith("(never delivered)")
    assert result.client_received_close is None and result.client_close == (1006, "")
    assert result.client_sent_close == (1011, KEEPALIVE)
    sent = [e for e in result.client_events if e.kind == "close_sent"]
    assert sent and sent[0].detail == {"code": 1011, "reason": KEEPALIVE}


def test_keepalive_timeline_within_timeout() -> None:
    delay, interval, ping_timeout = 0.05, 0.2, 0.5
    run_ = keepalive_experiment(delay, interval, ping_timeout, pings=2)
    result, line = run_.result, run_.timeline
    check_common(result, "keepalive-timeline")
    assert not run_.prediction.times_out and not run_.measurement.timed_out  # type: ignore[union-attr]
    assert not result.extra["timed_out"]
    assert (1011, KEEPALIVE) not in [te.close for te in line]
    closes_both_ways(result, 1000, "", by="client")
    server = [te.event for te in line if te.side == "server"]
    assert server[0] == "open" and server[-1] == "tcp closed"
    for payload in {te.detail for te in line if te.event == "ping sent"}:
        steps = [(te.side, te.event) for te in line if te.detail == payload]
        assert steps == [("server", "ping sent"), ("client", "ping delivered"),
                         ("client", "pong sent"), ("server", "pong received")]
    rtts = run_.measurement.rtts  # type: ignore[union-attr]
    assert len(rtts) >= 2 and all(0.9 * delay <= r < ping_timeout for r in rtts)
    assert all(c.agrees for c in run_.comparison if c.what == "times out (1011)")


def test_keepalive_timeline_beyond_timeout() -> None:
    delay, interval, ping_timeout = 0.6, 0.2, 0.2
    prediction = predict_keepalive(delay, interval, ping_timeout)
    assert prediction.times_out  # predict first ...
    result = run("keepalive-timeline", delay=delay, ping_interval=interval,
                 ping_timeout=ping_timeout)
    line = keepalive_timeline(result.transcript, result.events)  # ... then measure
    check_common(result, "keepalive-timeline")
    assert result.extra["timed_out"] and measure_keepalive(line).timed_out
    events = [(te.side, te.event) for te in line]
    ping_sent = events.index(("server", "ping sent"))
    close_sent = events.index(("server", "close sent"))
    # the server gave up before its ping even reached the client (the tap held it)
    assert ping_sent < close_sent < events.index(("client", "ping delivered"))
    assert events.index(("client", "close delivered")) > close_sent
    assert ("server", "pong received") not in events
    gave_up = line[close_sent].t - line[ping_sent].t
    assert 0.9 * ping_timeout <= gave_up < delay  # ping_timeout after the ping
    assert line[close_sent].close == (1011, KEEPALIVE)
    assert wire(result)["s2c"][:2] == (1011, KEEPALIVE)  # type: ignore[index]
    assert result.server_sent_close == (1011, KEEPALIVE)
    assert result.client_received_close == (1011, KEEPALIVE) == result.client_close


# -- handshakes refused: HTTP, never a close frame -----------------------------------------


@pytest.mark.parametrize(("name", "status"), [
    ("handshake-version", 426), ("handshake-bad-key", 400), ("handshake-origin", 403),
    ("handshake-500", 500)])
def test_handshake_failures_are_http_not_close_codes(name: str, status: int) -> None:
    result = run(name)
    check_common(result, name)
    tr: Transcript = result.transcript
    assert tr.http_status() == status == result.http_status == result.extra["status"]
    assert not tr.has_close_frame() and not tr.frames()
    assert not tr.tcp_closed_without_close_frame()  # no WebSocket was ever open
    assert result.client_close is result.server_close is None
    assert result.client_sent_close is result.server_sent_close is None
    assert [e.detail["status"] for e in result.events if e.kind == "handshake_rejected"] == [
        status]
    assert not any(e.kind in ("open", "close_sent", "close_recv") for e in result.events)
    answer = next(e.http for e in tr.entries if e.kind == "http" and e.direction == "s2c")
    assert answer is not None and answer.message.status == status  # type: ignore[union-attr]
    assert f"{status}" in result.extra["http_response"]
    assert "1011" in result.explanation and "HTTP 500" in result.explanation
    assert "InvalidStatus" in result.extra["misconception"]
    if status == 426:
        assert answer.message.get("Sec-WebSocket-Version") == "13"  # type: ignore[union-attr]
    if status == 500:
        assert result.extra["exception"].startswith("RuntimeError")


# -- one line, a table, a compact page ------------------------------------------------------


def test_summary_line_says_who_sent_what_and_what_each_side_reports() -> None:
    result = run("1011-keepalive-timeout")
    assert result.summary_line() == (
        "1011-keepalive-timeout: server sent 1011 'keepalive ping timeout', client received "
        "it and echoed it; client reports 1011, server reports 1006")
    assert run("1006-cut").summary_line() == (
        "1006-cut: no close frame either way; both report 1006")
    assert run("handshake-version").summary_line() == (
        "handshake-version: HTTP 426, no WebSocket connection, no close frame")


def test_summary_table_text_and_html() -> None:
    results = {name: run(name) for name in ("1000-client", "1006-cut", "handshake-500")}
    table = summary_table(results)
    assert isinstance(table, SummaryTable) and table.columns == SUMMARY_COLUMNS
    assert [row[0] for row in table.rows] == list(results)
    assert summary_table(list(results.values())).rows == table.rows
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert first["first close frame"] == "client: 1000 'done'"
    assert first["client reports"] == first["server reports"] == "1000"
    assert dict(zip(table.columns, table.rows[2], strict=True))["HTTP"] == "500"
    lines = str(table).splitlines()
    assert len(lines) == 1 + len(results)
    for column in table.columns[1:]:  # aligned: each column starts at the same place
        start = lines[0].index(column)
        assert all(line[start - 2:start] == "  " for line in lines[1:])
    page = table._repr_html_()
    assert page.count("<tr>") == 1 + len(results) and page.count("<th") == len(SUMMARY_COLUMNS)
    assert html.escape("client: 1000 'done'") in page and "<script" not in page


def test_html_is_compact_and_still_shows_codes_and_status() -> None:
    result = run("ping", count=10)
    page = result._repr_html_()
    assert len(page.encode()) < 80_000
    assert ">HTTP status</th>" in page
    assert f">{result.http_status}</td>" in page
    for close in (result.client_close, result.server_close, result.client_sent_close):
        assert html.escape(format_close(close)) in page
    assert all(html.escape(entry_label(e)) in page for e in result.transcript.entries)
    unfolding = [e for e in result.transcript.entries if e.frame_dissection or e.http]
    assert page.count("<details>") == len(unfolding)
    assert page.count('data-role="frame"') >= 2  # the close frames at least, as cards
    assert "<th" in page and "masking (RFC 6455 §5.3)" not in page  # compact cards
    assert len(result.transcript._repr_html_()) > 4 * len(page)  # what compact saves


def test_html_of_a_long_run_shows_its_first_and_last_rows() -> None:
    result = run("ping", count=40)
    entries = result.transcript.entries
    page = result._repr_html_()
    hidden = len(entries) - HEAD_ROWS - TAIL_ROWS
    assert hidden > 10 and f"… {hidden} more entries" in page
    shown = entries[:HEAD_ROWS] + entries[-TAIL_ROWS:]
    assert all(html.escape(entry_label(e)) in page for e in shown)
    middle = entries[HEAD_ROWS + hidden // 2]
    assert html.escape(entry_label(middle)) not in page
    assert len(page.encode()) < 100_000


# -- failures and bounds ----------------------------------------------------------------------


def test_a_failing_scenario_raises_with_what_was_recorded_and_cleans_up() -> None:
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="expected the server to close") as info:
        run("1008-policy", token="secret", timeout=2)  # the right token: no close comes
    assert time.monotonic() - started < 10
    assert info.value.transcript is not None
    assert [e.frame_dissection.text for e in info.value.transcript.frames("s2c", "text")] == [  # type: ignore[union-attr]
        "welcome"]
    assert any(e.kind == "open" for e in info.value.events)
    # torn down on the way out: the server's and the tap's threads were joined
    assert not [t.name for t in threading.enumerate()
                if t.name.startswith(("wslab-server", "wslab-tap"))]


def test_an_unexpected_error_becomes_a_scenario_error_with_the_record() -> None:
    with pytest.raises(ScenarioError, match="InvalidStatus") as info, \
            Lab("no-such-route", timeout=2) as lab:
        lab.connect("/nowhere")  # the server answers HTTP 404: connect() raises
    assert isinstance(info.value.__cause__, InvalidStatus)
    assert info.value.transcript is not None and info.value.transcript.http_status() == 404
    assert [e.detail["status"] for e in info.value.events
            if e.kind == "handshake_rejected"] == [404]
    assert not lab.server.running and lab.tap is not None and not lab.tap.running


# -- the tap intercepts: one frame changed in flight ---------------------------------------------


def _intercepts(result: ScenarioResult) -> list[str]:
    return [e.event.detail for e in result.transcript.entries
            if e.event is not None and e.event.kind == "intercept"]


def test_intercept_unmask_gets_1002_from_the_server() -> None:
    result = run("intercept-unmask")
    assert result.server_sent_close is not None and result.server_sent_close[0] == 1002
    assert result.client_received_close == result.server_sent_close
    assert result.client_close is not None and result.client_close[0] == 1002
    [note] = _intercepts(result)
    assert "frame 0 (text" in note and "rewritten as" in note
    [text] = [e for e in result.transcript.frames("c2s") if e.opcode_name == "text"]
    fd = text.frame_dissection
    assert not fd.frame.masked and fd.frame.payload == b"Hello"  # what the server got
    assert any(v.rule.rfc.startswith("RFC 6455 §5.1") or "mask" in v.message.lower()
               for v in fd.violations)
    assert not result.discrepancies


def test_intercept_invalid_utf8_gets_1007() -> None:
    result = run("intercept-invalid-utf8", text="Hello")
    assert result.server_sent_close is not None and result.server_sent_close[0] == 1007
    assert result.client_close is not None and result.client_close[0] == 1007
    [text] = [e for e in result.transcript.frames("c2s") if e.opcode_name == "text"]
    assert text.frame_dissection.frame.payload == b"\xffello"  # one byte changed
    assert len(text.frame_dissection.raw) == 2 + 4 + 5  # the same length on the wire
    assert not result.discrepancies


def test_intercept_unsolicited_pong_is_ignored() -> None:
    result = run("intercept-unsolicited-pong")
    assert result.extra["echoed"] == ["before", "after"]
    assert result.client_close == result.server_close == (1000, "")
    pongs = [e for e in result.events if e.kind == "pong" and e.detail["direction"] == "in"]
    assert [p.detail["data"] for p in pongs] == [b"unsolicited"]  # received, not answered
    assert not [e for e in result.events if e.kind == "pong" and e.detail["direction"] == "out"]
    assert "1 frame(s) injected" in _intercepts(result)[0]


def test_intercept_drop_pongs_gets_keepalive_1011() -> None:
    result = run("intercept-drop-pongs", ping_interval=0.1, ping_timeout=0.1)
    assert result.server_sent_close == (1011, KEEPALIVE)
    assert result.client_close == (1011, KEEPALIVE)
    assert result.extra["pongs_dropped"] >= 1
    assert all(n.endswith("dropped") for n in _intercepts(result))
    assert not result.transcript.pongs("c2s")  # the recording holds what went on: none


def test_pong_stuck_app_pongs_while_the_application_never_answers() -> None:
    result = run("pong-stuck-app", pings=3, answer_wait=0.2)
    closes_both_ways(result, 1000, "", by="client")
    assert result.extra["answered"] is False
    got = [e for e in result.events if e.kind == "recv"]
    assert [e.detail["data"] for e in got] == ["GET /balance"]  # the application got it
    assert not [e for e in result.events if e.kind == "send"]  # and never answered
    pings, pongs = result.transcript.pings("c2s"), result.transcript.pongs("s2c")
    assert len(pings) == len(pongs) == 3
    assert [p.payload for p in pings] == [p.payload for p in pongs]  # §5.5.3: same data
    assert len(result.extra["pong_rtts"]) == 3 and max(result.extra["pong_rtts"]) < 5
    # every pong left before the client gave up waiting for the answer
    close = next(iter(result.transcript.frames("c2s", "close")))
    assert all(p.t < close.t for p in result.transcript.frames("s2c", "pong"))


def test_pong_from_gateway_answers_with_its_backend_gone() -> None:
    result = run("pong-from-gateway", pings=2)
    closes_both_ways(result, 1000, "", by="client")
    assert result.extra["upstream_close"] == 1001  # the backend shut down (going away)
    assert result.extra["dropped"] == ["after"]
    assert result.extra["upstream_pings"] == 0
    texts = [(e.direction, e.frame_dissection.frame.payload)
             for e in result.transcript.frames(None, "text")]
    assert texts == [("c2s", b"before"), ("s2c", b"before"), ("c2s", b"after")]
    pongs = result.transcript.pongs("s2c")
    assert len(pongs) == 2
    after = next(e for e in result.transcript.frames("c2s", "text")
                 if e.frame_dissection.frame.payload == b"after")
    assert all(p.t > after.t for p in result.transcript.frames("s2c", "pong"))
