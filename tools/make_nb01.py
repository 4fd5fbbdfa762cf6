"""Write notebooks/01-handshake.ipynb (clean: no outputs). Run: python tools/make_nb01.py"""
# ruff: noqa: E501  (markdown cells and tables hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"

CELLS = [
    ("md", f"""# 01 · The opening handshake

A WebSocket connection made as RFC 6455 describes starts as plain HTTP/1.1. The client sends
one `GET` request asking to *upgrade* the connection; the server agrees with `101 Switching
Protocols`, and from then on both sides speak WebSocket frames on the same TCP connection
([RFC 6455 §1.3]({RFC}#section-1.3), [§4]({RFC}#section-4)).

That is the handshake this notebook takes apart, and still the most common one. It is not the
only one: over HTTP/2, [RFC 8441](https://www.rfc-editor.org/rfc/rfc8441) opens a WebSocket
on one stream of a shared connection with an *extended CONNECT* (`:method: CONNECT`,
`:protocol: websocket`), the server answers `200`, and there is no `Sec-WebSocket-Key` and no
`Sec-WebSocket-Accept`; [RFC 9220](https://www.rfc-editor.org/rfc/rfc9220) does the same over
HTTP/3. The frames that follow are the same in all three.

In this notebook you will:

1. build the client's request and see every header explained,
2. derive `Sec-WebSocket-Accept` step by step,
3. build the server's `101` answer and check it as a client would,
4. break the request on purpose and see which HTTP status each mistake gets,
5. break the answer and see the client refuse it.

Nothing here touches the network: every byte is built and checked in memory. A later notebook
sends these bytes to a real server.

**Before you start:** [00 · Start here](00-start-here.ipynb); knowing what an HTTP request
looks like helps. About 20 minutes."""),
    ("code", """from wslab.codec import (
    accept_key,
    accept_steps,
    build_request,
    build_response,
    check_request,
    check_response,
    explain,
    generate_key,
    server_answer,
    validate_request,
    validate_response,
)"""),
    ("md", f"""## 1 · The client's request

`build_request` turns a `ws://` URL into the request a client sends
([§4.1]({RFC}#section-4.1)). We use the values of the example in
[§1.2]({RFC}#section-1.2), including its fixed key, so the bytes match the RFC exactly. A real
client picks a fresh random key for every connection."""),
    ("code", """request = build_request(
    "ws://server.example.com/chat",
    key="dGhlIHNhbXBsZSBub25jZQ==",          # the RFC's example nonce
    origin="http://example.com",
    subprotocols=["chat", "superchat"],
)
request"""),
    ("md", """These are the exact bytes that go on the wire. Every line ends with `\\r\\n` (CR LF), and an
empty line ends the request: that is how the server knows the handshake is complete."""),
    ("code", "bytes(request)"),
    ("md", """### Every header, explained

`explain` takes raw bytes (a request or a response), gives each line's byte offset, says what it
means and where the RFC defines it, lists any problems, and shows what a server would answer."""),
    ("code", "explain(bytes(request))"),
    ("md", f"""## 2 · The accept key, step by step

The server proves it read *this* handshake, and that it understands WebSocket, by hashing the
client's key ([§1.3]({RFC}#section-1.3), [§4.2.2]({RFC}#section-4.2.2)):

1. take the `Sec-WebSocket-Key` **as text** (a server decodes it only to check that it holds
   16 bytes, [§4.2.1]({RFC}#section-4.2.1); the hash never uses the decoded bytes),
2. append the fixed GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`,
3. take the SHA-1 of those bytes (20 bytes),
4. base64-encode the 20 bytes.

Here is the RFC's own example. Compare with §1.3: SHA-1 `b3 7a 4f 2c … c4 ea`, accept
`s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`."""),
    ("code", 'accept_steps("dGhlIHNhbXBsZSBub25jZQ==")'),
    ("md", """And with a fresh random key, as a real client sends (16 random bytes, base64). Run the cell
again: a new key gives a completely different accept value."""),
    ("code", """key = generate_key()
accept_steps(key)"""),
    ("md", f"""## 3 · The server's `101 Switching Protocols`

`build_response` builds the server's answer ([§4.2.2]({RFC}#section-4.2.2)): status 101,
`Upgrade: websocket`, `Connection: Upgrade` and the accept value. The server also picks at
most **one** of the subprotocols the client offered."""),
    ("code", """response = build_response(request, subprotocol="chat")
response"""),
    ("md", f"""The client checks this answer point by point ([§4.1]({RFC}#section-4.1)): status 101,
`Upgrade`, `Connection`, the accept value, and that any extension or subprotocol was one it
offered. `validate_response` returns the response when all is well and raises otherwise."""),
    ("code", """validate_response(response, request)
explain(bytes(response), request=request)"""),
    ("md", f"""## 4 · When the server says no

If the request breaks a rule, the server does not switch protocols: it answers with an HTTP
error and closes the connection. No close frame is sent, because frames only exist after a `101`.
Which status?

| mistake | status | rule |
|---|---|---|
| `Sec-WebSocket-Version` other than 13 | **426** Upgrade Required, with `Sec-WebSocket-Version: 13` | [§4.2.2]({RFC}#section-4.2.2), [§4.4]({RFC}#section-4.4) |
| key that is not base64 of 16 bytes | **400** Bad Request | [§4.2.1]({RFC}#section-4.2.1) item 5 |
| `Origin` the server does not trust | **403** Forbidden | [§4.2.2]({RFC}#section-4.2.2) item 4, [§10.2]({RFC}#section-10.2) |
| method other than `GET` | **405** Method Not Allowed, with `Allow: GET` | the GET is [§4.2.1]({RFC}#section-4.2.1) item 1; the 405 is HTTP's ([RFC 9110 §15.5.6](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6)) |

RFC 6455 asks only for "an appropriate HTTP error code (such as 400 Bad Request)"
([§4.2.1]({RFC}#section-4.2.1)), except for the version, where it asks for `426` with the
versions the server speaks ([§4.4]({RFC}#section-4.4)). The rest is a choice: wslab's
checker answers as above; the `websockets` library also answers 405 for a method other than
GET, but 400 (not 426) for a wrong version, and wslab's lab server (notebook 04) adds the 426
itself.

Our server trusts only pages from `http://example.com`. Let's make each mistake in turn."""),
    ("code", """origins = ["http://example.com"]
mistakes = {
    "Sec-WebSocket-Version: 8": request.with_header("Sec-WebSocket-Version", "8"),
    "an 8-byte key": request.with_header("Sec-WebSocket-Key", "c2hvcnRrZXk="),
    "Origin: http://evil.example": request.with_header("Origin", "http://evil.example"),
    "POST instead of GET": request.replace(method="POST"),
}
for what, bad in mistakes.items():
    answer = server_answer(bad, origins=origins)
    [problem] = check_request(bad, origins=origins)
    print(f"{what:28} -> {answer.status} {answer.reason}")
    print(f"{'':31}{problem.message} ({problem.rfc})")"""),
    ("md", """Here is the wrong version in full. Look at the red line, and at the answer: it tells the
client which version this server speaks, so the client can try again
([§4.4](https://www.rfc-editor.org/rfc/rfc6455#section-4.4))."""),
    ("code", 'explain(bytes(mistakes["Sec-WebSocket-Version: 8"]), origins=origins)'),
    ("md", """In code, `validate_request` is the strict version: it raises a `HandshakeError` that names
the header, the RFC section and the status to answer."""),
    ("code", """try:
    validate_request(mistakes["Origin: http://evil.example"], origins=origins)
except Exception as error:
    print(type(error).__name__, "|", error.header, "|", error.rfc, "|", error.status)"""),
    ("md", f"""## 5 · When the client says no

The client must refuse a `101` whose `Sec-WebSocket-Accept` is not the one it expects
([§4.1]({RFC}#section-4.1), check 4). Here a server answers with the accept value of some
*other* key, as a broken proxy or a cache replaying an old answer might. The client sees
the mismatch and fails the connection."""),
    ("code", """forged = response.with_header("Sec-WebSocket-Accept", accept_key(generate_key()))
for problem in check_response(forged, request):
    print(problem)"""),
    ("code", "explain(bytes(forged), request=request)"),
    ("md", """## What you saw

- The handshake is one HTTP/1.1 `GET` with `Upgrade: websocket` and `Connection: Upgrade`,
  answered by `101 Switching Protocols` (§4.1, §4.2.2).
- `Sec-WebSocket-Accept` = base64(SHA-1(key + GUID)), with the key hashed as text (§1.3).
- A bad request gets an HTTP error and never a close frame: 426 for the version, 400 for a
  malformed handshake, 403 for an untrusted origin, 405 for a method other than GET.
- The client checks the answer too, and fails the connection on any mismatch (§4.1).

Try it: change the URL to `wss://localhost:8443/live?room=1` and see how `Host` and the
request line change; or add `extensions=["permessage-deflate; client_max_window_bits"]` to
`build_request` and read what each parameter means (RFC 7692 §7.1).

## Check yourself

1. A client sends `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==`. Which four steps give the
   `Sec-WebSocket-Accept` value, and what is it?
2. Why does a server refuse a bad `Sec-WebSocket-Version` with an HTTP status and not with a
   close code?
3. A server answers with `Sec-WebSocket-Accept` equal to the client's key. What must the client
   do, and which section says so?
4. Which two headers turn a `GET` into an upgrade request, and what does a server answer when
   one of them is missing?
5. Over HTTP/2 (RFC 8441), which of the headers you built here are gone?

## Next

[02 · Frame anatomy](02-frame-anatomy.ipynb): what the two sides send each other once the
`101` is through."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "01"), "nb01")


if __name__ == "__main__":
    nbgen.write(build(), "01-handshake.ipynb")
