"""The security routes of LabServer: "/account" (trusts the handshake's credential),
``routes.require_token`` (401 before the 101), the Origin check, and the deflate bomb."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.http11 import Request

from wslab.codec import CloseCode, Deflater, Frame, Opcode
from wslab.live import LabServer, RawClient, connect, routes

SESSION = "f81d4fae-7dec-11d0-a765"
EVIL, BANK = "https://evil.example", "https://bank.example"
COOKIE = {"Cookie": f"theme=dark; {routes.SESSION_COOKIE}={SESSION}"}
MiB = 2**20


@pytest.fixture(scope="module")
def bank() -> Iterator[LabServer]:
    """A server that trusts the cookie and does not check Origin."""
    with LabServer(token=SESSION, ping_interval=None) as server:
        yield server


@pytest.fixture(scope="module")
def guarded() -> Iterator[LabServer]:
    """The same server with an Origin check."""
    with LabServer(token=SESSION, ping_interval=None, origins=[BANK]) as server:
        yield server


@pytest.fixture(scope="module")
def gated() -> Iterator[LabServer]:
    """The same server, authenticating in the handshake."""
    with LabServer(token=SESSION, ping_interval=None,
                   process_request=routes.require_token) as server:
        yield server


def request(path: str = "/account", **headers: str) -> Request:
    return Request(path, Headers(**{k.replace("_", "-"): v for k, v in headers.items()}))


# -- presented_token --------------------------------------------------------------------

def test_presented_token_reads_cookie_bearer_and_query_in_that_order() -> None:
    assert routes.presented_token(request()) is None
    assert routes.presented_token(request(Cookie="a=1; session=abc; b=2")) == "abc"
    assert routes.presented_token(request(Authorization="Bearer xyz")) == "xyz"
    assert routes.presented_token(request(Authorization="Basic eHl6")) is None
    assert routes.presented_token(request("/account?x=1&token=q")) == "q"
    both = request("/account?token=q", Cookie="session=c", Authorization="Bearer b")
    assert routes.presented_token(both) == "c"
    assert routes.presented_token(request(Cookie="other=1")) is None
    assert routes.presented_token(request(Cookie='session="unterminated')) is None


# -- "/account": the credential, and no Origin check ------------------------------------

def test_account_gives_the_data_to_whoever_carries_the_cookie(bank: LabServer) -> None:
    with connect(bank.url + "/account", origin=EVIL, additional_headers=COOKIE) as ws:
        assert json.loads(ws.recv(timeout=5)) == routes.ACCOUNT
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"  # then it echoes


@pytest.mark.parametrize("headers", [{}, {"Cookie": "session=wrong"},
                                     {"Cookie": f"session={SESSION}x"}])
def test_account_closes_1008_after_the_101_without_a_valid_cookie(
        bank: LabServer, headers: dict[str, str]) -> None:
    mark = bank.log.mark()
    with pytest.raises(ConnectionClosedError) as info, \
            connect(bank.url + "/account", origin=EVIL, additional_headers=headers) as ws:
        ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (
        CloseCode.POLICY_VIOLATION, "not signed in")
    opened = bank.wait_for("open", after=mark)  # the handshake succeeded first
    sent = bank.wait_for("close_sent", opened.conn_id)
    assert sent.detail["code"] == CloseCode.POLICY_VIOLATION


# -- the Origin check ---------------------------------------------------------------------

def test_an_unlisted_origin_gets_403_before_any_frame(guarded: LabServer) -> None:
    mark = guarded.log.mark()
    with pytest.raises(InvalidStatus) as info:
        connect(guarded.url + "/account", origin=EVIL, additional_headers=COOKIE)
    assert info.value.response.status_code == 403
    rejected = guarded.wait_for("handshake_rejected", after=mark)
    assert rejected.detail["status"] == 403
    guarded.wait_for("closed", rejected.conn_id)
    events = guarded.log.find(conn_id=rejected.conn_id)
    assert [e.kind for e in events] == ["connect", "handshake_rejected", "closed"]


def test_a_missing_origin_is_refused_too(guarded: LabServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(guarded.url + "/account", additional_headers=COOKIE)
    assert info.value.response.status_code == 403


def test_a_forged_origin_passes(guarded: LabServer) -> None:
    # Any program that is not a browser sends whatever Origin it likes (RFC 6455 §10.1).
    with connect(guarded.url + "/account", origin=BANK, additional_headers=COOKIE) as ws:
        assert json.loads(ws.recv(timeout=5)) == routes.ACCOUNT


# -- authenticating in the handshake ----------------------------------------------------

def test_require_token_answers_401_with_a_challenge(gated: LabServer) -> None:
    mark = gated.log.mark()
    with RawClient(gated.host, gated.port) as raw:
        response = raw.send_handshake(path="/account")
    assert (response.status, response.get("WWW-Authenticate")) == (401, 'Bearer realm="wslab"')
    rejected = gated.wait_for("handshake_rejected", after=mark)
    assert rejected.detail["status"] == 401
    gated.wait_for("closed", rejected.conn_id)
    assert not gated.log.find("open", after=mark)


def test_require_token_names_an_invalid_credential(gated: LabServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(gated.url + "/account", additional_headers={"Cookie": "session=guess"})
    response = info.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="wslab", error="invalid_token"'


@pytest.mark.parametrize("how", ["cookie", "bearer", "query"])
def test_require_token_lets_a_valid_credential_through(gated: LabServer, how: str) -> None:
    url, headers = gated.url + "/account", {}
    if how == "cookie":
        headers = COOKIE
    elif how == "bearer":
        headers = {"Authorization": f"Bearer {SESSION}"}
    else:
        url += f"?{routes.TOKEN_PARAMETER}={SESSION}"
    with connect(url, additional_headers=headers) as ws:
        assert json.loads(ws.recv(timeout=5)) == routes.ACCOUNT


def test_a_token_in_the_url_is_in_the_event_log(gated: LabServer) -> None:
    mark = gated.log.mark()
    with connect(f"{gated.url}/account?token={SESSION}") as ws:
        ws.recv(timeout=5)
    opened = gated.wait_for("open", after=mark)
    assert opened.detail["path"] == f"/account?token={SESSION}"
    assert SESSION in str(opened)


def test_late_check_holds_idle_strangers_early_check_does_not() -> None:
    with LabServer(token=SESSION, ping_interval=None) as after, \
            LabServer(token=SESSION, ping_interval=None,
                      process_request=routes.require_token) as before:
        strangers = []
        try:
            for server in (after, before):
                for _ in range(3):
                    stranger = RawClient(server.host, server.port).connect()
                    strangers.append(stranger)
                    stranger.send_handshake(path="/policy")
            assert [s.response.status for s in strangers] == [101] * 3 + [401] * 3
            assert [c.state for c in after.connections] == ["open"] * 3
            assert [c.state for c in before.connections] == ["rejected"] * 3
        finally:
            for stranger in strangers:
                stranger.close(timeout=2)


# -- the deflate bomb -------------------------------------------------------------------

def deflate_bomb(mebibytes: int) -> bytes:
    """``mebibytes`` MiB of zeros, compressed one MiB at a time (never held whole)."""
    deflater, zeros = Deflater(), bytes(MiB)
    parts = [deflater.compress(zeros, fin=False) for _ in range(mebibytes - 1)]
    return b"".join([*parts, deflater.compress(zeros)])


def test_a_deflate_bomb_ends_in_1009_with_bounded_memory() -> None:
    bomb = deflate_bomb(100)
    assert len(bomb) < MiB // 8  # ~100 KB: far below the limit before inflating
    with LabServer(compression="deflate", max_size=MiB, ping_interval=None) as server, \
            RawClient(server.host, server.port) as attacker:
        answer = attacker.send_handshake(path="/echo", extensions=["permessage-deflate"])
        assert answer.status == 101
        assert answer.get("Sec-WebSocket-Extensions").startswith("permessage-deflate")
        wire = Frame(Opcode.BINARY, bomb, rsv1=True).masked_with().serialize()
        tracemalloc.start()
        try:
            attacker.send(wire)
            frames = attacker.recv_frames(timeout=10)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        attacker.close(timeout=2)
        assert frames[-1].close_payload is not None
        assert frames[-1].close_payload.code == CloseCode.MESSAGE_TOO_BIG
        closed = server.wait_for("closed")
        assert closed.detail["sent"][0] == CloseCode.MESSAGE_TOO_BIG
        assert not server.log.find("recv")  # the message was never delivered
    # 100 MiB claimed, a 1 MiB limit: the server's memory stays within a few MiB
    # (measured: ~2.3 MiB); the bound leaves room for noise, far below the bomb.
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB while inflating the bomb"
