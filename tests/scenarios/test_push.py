"""Experiment 7 (push_race): what each transport costs, as the protocols imply it.

Counts of requests and connections are exact consequences of each protocol; bytes are
checked for their order with generous bounds; no timing equality anywhere.
"""

from __future__ import annotations

import threading

import pytest

from wslab.scenarios import PushRaceResult, push_race, split_http

COUNT = 10
RATE = 50.0  # 0.2 s of events per transport


@pytest.fixture(scope="module")
def race() -> PushRaceResult:
    return push_race(count=COUNT, rate=RATE, poll_interval=0.01, calibrate=False, bar=False)


def test_every_transport_delivers_every_event_in_order(race: PushRaceResult) -> None:
    assert list(race.runs) == ["websocket", "short-poll", "long-poll", "sse"]
    for run in race.runs.values():
        assert not run.error, run.error
        assert [d.seq for d in run.deliveries] == list(range(COUNT)), run.transport
        assert all(latency > 0 for latency in run.latencies)
        assert run.summary.count == COUNT
        assert run.payload_bytes > COUNT * 10  # {"seq":N,"t":...} each


def test_connections_and_requests_are_what_each_protocol_implies(race: PushRaceResult) -> None:
    runs = race.runs
    for run in runs.values():  # HTTP/1.1 keep-alive (RFC 9112 §9.3): one connection each
        assert run.connections == 1, run.transport
    assert runs["websocket"].requests == 1  # the opening handshake, then frames only
    assert runs["sse"].requests == 1  # one response, kept open
    long = runs["long-poll"]
    assert long.empty_answers == 0  # held until an event came (hold = timeout)
    assert long.requests >= COUNT // 2  # one per answer, an answer per event unless bunched
    short = runs["short-poll"]
    assert short.empty_answers >= 1  # polls every 10 ms, an event every 20 ms: some empty
    assert short.requests >= short.empty_answers + 1


def test_long_polling_answers_each_carry_events_that_add_up(race: PushRaceResult) -> None:
    run = race.runs["long-poll"]
    data = b"".join(c.data for c in run.chunks if c.direction == "s2c")
    answers = split_http(data, responses=True)
    events = [body.count(b'"seq"') for body in answers.bodies]
    assert len(answers.heads) == run.requests
    assert all(n >= 1 for n in events) and sum(events) == COUNT


def test_bytes_per_event_are_in_the_expected_order(race: PushRaceResult) -> None:
    ws, sse = race.runs["websocket"], race.runs["sse"]
    short, long = race.runs["short-poll"], race.runs["long-poll"]
    payload = ws.payload_bytes / COUNT
    assert ws.ws_header == {"s2c": 2, "c2s": 6}  # RFC 6455 §5.2: unmasked / masked header
    for run in (ws, sse, short, long):
        assert run.per_event("s2c") > payload  # the event itself plus some framing
    # the framing per event: WebSocket 2 B, SSE ~14 B (+ the heads once), polling ~300 B
    assert ws.overhead_per_event < long.overhead_per_event / 3
    assert sse.overhead_per_event < long.overhead_per_event / 3
    assert ws.per_event("c2s") < long.per_event("c2s") / 3
    assert 100 < long.head_bytes_per_request < 2000  # a request head and a response head
    assert long.per_event("c2s") > 100  # a request per event


def test_table_text_and_comparison_with_the_published_figures(race: PushRaceResult) -> None:
    heads, rows = race.table()
    assert len(rows) == 4 and "p50 (ms)" in heads and "TCP connections" in heads
    text = str(race)
    assert "871" in text and "RFC 6455 §5.2" in text and "WebSocket" in text
    html = race._repr_html_()
    assert "measurement-pushraceresult" in html and "Server-Sent Events" in html
    what = [row[0] for row in race.comparison()]
    assert any("per poll" in w for w in what) and any("masked" in w for w in what)
    assert race.to_dict()["runs"]["sse"]["requests"] == 1


def test_the_exchange_shows_one_request_and_one_frame_exactly(race: PushRaceResult) -> None:
    ws = race.runs["websocket"].exchange()
    assert [p.what for p in ws] == ["request head", "response head", "frame", "frame"]
    assert ws[0].data.startswith(b"GET /ws HTTP/1.1\r\n")
    assert ws[2].data[:2] == bytes([0x81, len(ws[2].data) - 2])  # FIN+text, length, unmasked
    assert ws[3].data[:2] == b"\x88\x82"  # close, masked, 2-byte code
    sse = race.runs["sse"].exchange()
    assert b"text/event-stream" in sse[1].data and b"data: {" in sse[2].data
    poll = race.runs["short-poll"].exchange()
    assert poll[0].data.startswith(b"GET /poll?after=") and poll[2].data.startswith(b"[{")


def test_split_http_follows_the_body_length_rules() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = head + b"[]" + chunked + b"3\r\nabc\r\n0\r\n\r\n" + b"HTTP/1.1 101 X\r\n\r\n\x81\x00"
    found = split_http(data, responses=True)
    assert found.bodies == (b"[]", b"3\r\nabc\r\n0\r\n\r\n", b"")
    assert found.rest == b"\x81\x00"  # after 101: WebSocket, not HTTP
    cut = split_http(chunked + b"3\r\nab", responses=True)
    assert cut.heads == (chunked,) and cut.bodies == (b"3\r\nab",)
    requests = split_http(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                          responses=False)
    assert len(requests.heads) == 2
    assert split_http(b"\x81\x05Hello", responses=False).heads == ()


def test_interrupt_keeps_what_was_measured_and_stops_everything() -> None:
    def stop_soon(done: int, total: int) -> None:
        if done >= 3:
            raise KeyboardInterrupt

    result = push_race(["sse", "websocket"], count=50, rate=100.0, calibrate=False,
                       on_progress=stop_soon, bar=False)
    assert result.interrupted and "interrupted" in str(result)
    assert list(result.runs) == ["sse"] and 3 <= result.runs["sse"].delivered < 50
    assert not [t.name for t in threading.enumerate() if t.name.startswith("wslab-push")]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="transports"):
        push_race(["pigeon"])
    with pytest.raises(ValueError):
        push_race(count=0)
