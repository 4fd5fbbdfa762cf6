"""PushServer (aiohttp) and PushReceiver: one event stream, four transports, all bounded."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from wslab.live import TRANSPORTS, PushReceiver, PushServer, Service

TIMEOUT = 5.0
COUNT = 15
RATE = 200.0  # events per second: 75 ms of events per transport


def push_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("wslab-push")]


@pytest.fixture
def server() -> Iterator[PushServer]:
    with PushServer(hold=1.0) as srv:
        yield srv


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_lifecycle_like_every_service() -> None:
    srv = PushServer()
    assert isinstance(srv, Service) and not srv.running
    with pytest.raises(RuntimeError, match="no port yet"):
        _ = srv.url
    srv.start()
    try:
        assert srv.running and srv.host == "127.0.0.1" and srv.port > 0
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        assert srv.url_for("websocket") == f"ws://127.0.0.1:{srv.port}/ws"
        assert srv.url_for("sse").endswith("/sse")
        assert f"wslab-push-{srv.port}" in push_threads()
        with pytest.raises(RuntimeError, match="already running"):
            srv.start()
        with pytest.raises(ValueError, match="transport"):
            srv.url_for("carrier-pigeon")
    finally:
        srv.stop()
    srv.stop()  # a no-op
    assert not srv.running and not push_threads()
    with PushServer() as again:
        PushServer.stop_all()
        assert not again.running
    assert not push_threads()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_each_transport_delivers_every_event_in_order(server: PushServer,
                                                      transport: str) -> None:
    with PushReceiver(server.url_for(transport), transport, count=COUNT, poll_interval=0.01,
                      hold=1.0, timeout=TIMEOUT) as rx:
        assert rx.ready.wait(TIMEOUT)
        if transport != "short-poll":
            assert server.wait_subscribed(timeout=TIMEOUT) >= 1
        server.publish(COUNT, RATE)
        assert rx.wait(COUNT, timeout=TIMEOUT) == COUNT, rx.error
    assert rx.error is None
    got = rx.deliveries
    assert [d.seq for d in got] == list(range(COUNT))
    created = {e.seq: e.created for e in server.events()}
    assert all(d.created == created[d.seq] for d in got)  # the server's stamp, intact
    assert all(d.received > d.created for d in got)  # one clock: reception after creation
    assert server.published == COUNT and not server.publishing
    if transport in ("websocket", "sse"):
        assert rx.requests == 1 and server.served[transport] == 1
    else:
        assert rx.requests == server.served[transport] >= 2
    assert not [n for n in push_threads() if "client" in n]


def test_polls_answer_json_lists_and_long_polls_are_held_at_most_hold(
        server: PushServer) -> None:
    status, body = get(server.url + "/poll")
    assert (status, json.loads(body)) == (200, [])
    status, body = get(server.url + "/long-poll?after=-1")  # nothing comes: [] after hold
    assert (status, json.loads(body)) == (200, [])
    assert get(server.url + "/poll?after=x")[0] == 400
    assert get(server.url + "/poll?after=" + "9" * 30)[0] == 400
    server.publish(3, 1000.0)
    with PushReceiver(server.url_for("short-poll"), "short-poll", count=3,
                      poll_interval=0.01) as rx:
        assert rx.wait(3, TIMEOUT) == 3
    status, body = get(server.url + "/poll?after=0")
    assert [e["seq"] for e in json.loads(body)] == [1, 2]


def test_publish_is_bounded_and_one_at_a_time(server: PushServer) -> None:
    with pytest.raises(ValueError):
        server.publish(-1, 10)
    with pytest.raises(ValueError):
        server.publish(10, 0)
    with pytest.raises(ValueError):
        server.publish(10, 1e9)
    server.publish(1000, 1.0)  # would take 1000 s
    with pytest.raises(RuntimeError, match="still going on"):
        server.publish(1, 1.0)
    assert server.publishing
    with pytest.raises(TimeoutError):
        server.wait_subscribed(timeout=0.05)
    with pytest.raises(RuntimeError, match="not running"):
        PushServer().publish(1, 1.0)


def test_a_stopped_server_ends_its_followers_and_the_receiver_reports_it() -> None:
    srv = PushServer().start()
    try:
        rx = PushReceiver(srv.url_for("sse"), "sse", count=5, timeout=TIMEOUT).start()
        srv.wait_subscribed(timeout=TIMEOUT)
        srv.publish(2, 1000.0)
        assert rx.wait(2, TIMEOUT) == 2
    finally:
        srv.stop()
    assert rx.wait(5, TIMEOUT) == 2 and rx.done  # the stream ended: done, with what came
    rx.stop()
    assert not push_threads()


def test_receiver_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        PushReceiver("http://127.0.0.1:1/poll", "pigeon", count=1)
    with pytest.raises(ValueError):
        PushReceiver("http://127.0.0.1:1/poll", "short-poll", count=0)


def test_receiver_keeps_the_error_when_nothing_listens() -> None:
    with PushServer() as srv:
        url = srv.url_for("short-poll")
    with PushReceiver(url, "short-poll", count=1, timeout=1.0) as rx:
        assert rx.wait(1, TIMEOUT) == 0
    assert rx.done and rx.error is not None
