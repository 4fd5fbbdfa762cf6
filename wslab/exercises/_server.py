"""Exercises of notebook 06: a server's answers, its close codes, UTF-8 across fragments.

``06.echo_handler`` runs the student's handler inside the scratch server's machinery
(:class:`~wslab.live.ScratchServer`, :class:`~wslab.live.ScratchConnection`): the codec still
checks every rule of the incoming frames; the student's function decides only what to answer.
Autobahn|Testsuite cases, run by ``kosoku``, judge the answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..codec import Frame, Message, Opcode, Rules, Violation, close_code_for
from ..live import ScratchConnection, ScratchServer
from ._model import Case, CheckResult, Exercise, Failure, Kind
from ._rfc import s
from ._running import check_function, describe_exception, is_placeholder, not_answered, summarise

# 20 Autobahn cases: echoes of several sizes (1.*), pings (2.*), broken bits and opcodes
# that the codec refuses before the handler sees them (3.*, 4.*), fragments with pings in
# between (5.*), UTF-8 (6.*), the closing handshake (7.*).
AUTOBAHN_CASES = ("1.1.1", "1.1.2", "1.1.6", "1.2.1", "1.2.6", "2.1", "2.2", "2.3", "2.6",
                  "2.10", "3.1", "4.1.1", "5.1", "5.3", "5.6", "5.9", "6.1.1", "6.2.1",
                  "7.1.1", "7.7.1")
AUTOBAHN_TIMEOUT = 90.0  # seconds for the whole run at most
PASSING = ("OK", "INFORMATIONAL")  # Autobahn verdicts that pass (behavior and closing)


class _HandlerConnection(ScratchConnection):
    """A scratch connection that asks the student's handler what to answer."""

    server: HandlerServer

    async def on_frame(self, frame: Frame) -> bool:
        if not frame.is_control:
            if not frame.fin:
                return False  # the decoder keeps the fragments until the message is whole
            event: Frame | Message = self.decoder.messages.popleft()
        else:
            event = frame
        replies = self.server.answer(event)
        if replies is None:  # the handler failed: §7.4.1's 1011, as a server would
            self.start_closing(1011, "the exercise's handler failed")
            await self.close_tcp()
            return True
        for reply in replies:
            if reply.opcode == Opcode.CLOSE:
                if self.close_sent:
                    continue
                self.close_sent = True
            self.send(reply)
        if frame.opcode == Opcode.CLOSE:
            await self.close_tcp()
            return True
        return False


class HandlerServer(ScratchServer):
    """The scratch server, answering with ``respond(event) -> list[Frame]``.

    Args:
        respond: called with each complete message (a :class:`~wslab.codec.Message`) and
            each control frame (a :class:`~wslab.codec.Frame`); returns the frames to send.
    """

    kind = "exercise"
    connection_class = _HandlerConnection

    def __init__(self, respond: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(deflate=False, **kwargs)
        self.respond = respond
        self.errors: list[str] = []  # what went wrong in the handler, first ones

    def answer(self, event: Frame | Message) -> list[Frame] | None:
        """The handler's frames for ``event``; ``None`` (and a note) if it failed."""
        try:
            out = self.respond(event)
        except Exception as exc:
            self._note(f"respond({_event_text(event)}) {describe_exception(exc)}")
            return None
        frames = [] if out is None else [out] if isinstance(out, Frame) else out
        if not isinstance(frames, (list, tuple)) or not all(isinstance(f, Frame)
                                                            for f in frames):
            self._note(f"respond({_event_text(event)}) returned {type(out).__name__}, not a "
                       f"list of Frame")
            return None
        return list(frames)

    def _note(self, text: str) -> None:
        if len(self.errors) < 3:
            self.errors.append(text)



def _event_text(event: Frame | Message) -> str:
    if isinstance(event, Message):
        return f"Message(opcode={Opcode(event.opcode).name}, {len(event.payload)} bytes)"
    return f"Frame({Opcode(event.opcode).name}, {len(event.payload)} bytes)"


def _kosoku() -> str | None:
    """The kosoku command: on PATH, or beside this Python (a venv not activated)."""
    found = shutil.which("kosoku")
    beside = Path(sys.executable).with_name("kosoku")
    return found or (str(beside) if beside.exists() else None)


def run_autobahn(respond: Callable[[Any], Any], cases: tuple[str, ...] = AUTOBAHN_CASES
                 ) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """Run Autobahn ``cases`` against ``respond``, with kosoku as a command.

    kosoku runs in a process of its own, as ``make conformance`` and the Autobahn test run
    it, so nothing it imports lands in the caller's interpreter (a notebook's kernel).

    Returns:
        ``(failed, errors)``: each failed case as ``(case, behavior, closing, what it
        sends)``, and what went wrong inside ``respond``.
    Raises:
        FileNotFoundError: kosoku is not installed.
        subprocess.TimeoutExpired: the run took more than :data:`AUTOBAHN_TIMEOUT` seconds.
        RuntimeError: kosoku wrote no report.
    """
    kosoku = _kosoku()
    if kosoku is None:
        raise FileNotFoundError("kosoku")
    with tempfile.TemporaryDirectory(prefix="wslab-autobahn-") as folder, \
            HandlerServer(respond, max_size=2**20) as srv:
        command = [kosoku, f"{srv.host}:{srv.port}", "-p", "2", "-o", folder]
        for case in cases:
            command += ["-i", case]
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=AUTOBAHN_TIMEOUT)
        index = Path(folder) / "index.json"
        if not index.exists():
            raise RuntimeError(f"kosoku wrote no report (exit {done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-300:]}")
        results: dict[str, dict[str, Any]] = next(iter(json.loads(index.read_text()).values()))
        failed = []
        for case in sorted(results, key=lambda c: [int(p) for p in c.split(".")]):
            entry = results[case]
            behavior, close = str(entry["behavior"]), str(entry["behaviorClose"])
            if behavior in PASSING and close in PASSING:
                continue
            report = Path(folder) / str(entry.get("reportfile", ""))
            about = ""
            if report.is_file():
                about = str(json.loads(report.read_text()).get("description", ""))
            failed.append((case, behavior, close, about.split("<br>")[0][:90]))
        errors = list(srv.errors)
    return failed, errors


def _check_echo(answer: Any) -> CheckResult:
    eid = "06.echo_handler"
    if is_placeholder(answer):
        return not_answered(eid, "write the body of respond(event) in the cell above")
    if not callable(answer):
        return CheckResult(eid, False, message=f"check expects the function respond itself, "
                                               f"not a {type(answer).__name__}")
    try:
        failed, errors = run_autobahn(answer)
    except FileNotFoundError:
        return CheckResult(eid, False, message="not checked: this check needs kosoku "
                                               "(pip install kosoku)")
    except Exception as exc:  # kosoku gave up on the answers it got
        return CheckResult(eid, False, cases=len(AUTOBAHN_CASES), message=(
            f"the Autobahn run did not finish ({type(exc).__name__}: {exc}): your server's "
            f"answers left the test client stuck. Does every close get a close back?"))
    total = len(AUTOBAHN_CASES)
    failures = [Failure(f"Autobahn case {case}", "OK (behavior and closing)",
                        f"behavior {behavior}, closing {close}", "", about)
                for case, behavior, close, about in failed]
    details = [f"Autobahn|Testsuite cases {', '.join(AUTOBAHN_CASES)} (kosoku), against your "
               f"respond() in the scratch server on 127.0.0.1", *errors]
    return summarise(eid, total, total - len(failed), failures, details)


ECHO_HANDLER = Exercise(
    "06.echo_handler", "An echo handler that passes Autobahn", Kind.CODE,
    f"""The scratch server reads frames and checks every rule ({s("5")}); what it *answers* is
up to you. Write `respond(event)`: `event` is either a whole data message (a
`wslab.codec.Message`, with `.opcode` TEXT or BINARY and `.payload`) or a control frame (a
`wslab.codec.Frame`, with `.opcode` PING, PONG or CLOSE, `.payload` and
`.close_payload`). Return the list of `Frame`s to send back (unmasked: a server never masks,
{s("5.1")}):

- a message: the same message back, same opcode, same payload;
- a ping: a pong with the same payload ({s("5.5.2")}, {s("5.5.3")});
- a pong: nothing ({s("5.5.3")});
- a close: a close frame with the same status code, or an empty one if it had none
  ({s("5.5.1")}).

The check runs 20 Autobahn|Testsuite cases against your function (with `kosoku`, a few
seconds).""",
    ["Frame(opcode, payload) builds a frame; wslab.codec.Opcode names the opcodes. A Message "
     "has opcode and payload too.",
     "Decide on event.opcode: the data opcodes first, then PING, PONG, CLOSE.",
     "For a close, event.close_payload is None for an empty payload, else it has .code; "
     "Frame.close(code) builds the answer (Frame.close(None) is an empty close)."],
    "respond", "def respond(event):\n    ...  # your code here", _check_echo, slow=True,
    points=2)


def _check_fail_code(answer: Any) -> CheckResult:
    cases = [Case((rule.id,), int(close_code_for(Violation(0, rule, ""))))
             for rule in Rules.all() if rule is not Rules.FRAME_AFTER_CLOSE]
    return check_function("06.fail_code", "fail_code", answer, cases, returns=int)


FAIL_CODE = Exercise(
    "06.fail_code", "Which code fails the connection?", Kind.CODE,
    f"""When a client breaks a rule, the server *fails the connection* ({s("7.1.7")}) with a
close code that names the kind of problem ({s("7.4.1")}). Write `fail_code(rule_id)`:
`rule_id` is the id of a `wslab.codec.Rules` entry (`[r.id for r in Rules.all()]`); return
the code the scratch server sends: **1007** for data that is not consistent with the type of
the message ({s("8.1")}: text that is not UTF-8), **1009** for a message too big to process
({s("10.4")}), and **1002**, the protocol error, for everything else. Mind the close reason
that is not UTF-8: 1007 too ({s("5.5.1")}); and a compressed message that does not inflate
(RFC 7692 §7.2.2 leaves the code open): 1007, wslab's choice (the `websockets` library sends
1002 there).""",
    ["Print Rules.all(): each rule has an id, the RFC section, and a sentence.",
     "Only a few rules are about the data rather than the framing: the UTF-8 of a text "
     "message, the UTF-8 of a close reason, data that does not inflate; one is about size.",
     "A set of ids for 1007, one for 1009, and 1002 by default."],
    "fail_code", "def fail_code(rule_id):\n    ...  # your code here", _check_fail_code)


# (fragments, the first bad one, why): worked out by hand from RFC 3629's table of valid
# byte sequences (§4), not by a decoder, so that a decoder's bug cannot hide in both the
# answer and the expected value; tests check the table against Python's decoder as well.
_FRAGMENTS: list[tuple[list[bytes], int | None, str]] = [
    ([b"Hello"], None, "one fragment, ASCII"),
    (["héllo".encode()[:2], "héllo".encode()[2:]], None, "é split across two fragments: fine"),
    ([b"caf", b"\xc3"], 1, "the message ends inside a character"),
    ([b"ok", b"\xff", b"more"], 1, "0xff never occurs in UTF-8"),
    ([b"\xed", b"\xa0\x80"], 1, "a surrogate (U+D800): invalid as soon as its second byte"),
    ([b"", b"\xf0\x9f", b"\x98\x80", b""], None,
     "an emoji in two halves, empty fragments around"),
    ([b"\xf4\x90", b"\x80\x80"], 0, "above U+10FFFF: invalid at its second byte"),
    ([b"a" * 10, b"\xe2\x82", b"\xac", b"\x80"], 3, "€, then a stray continuation byte"),
    ([b"\xc0\xaf"], 0, "an overlong encoding"),
    ([], None, "no fragment at all (an empty message)"),
]


def _check_utf8(answer: Any) -> CheckResult:
    cases = [Case((list(frags),), bad, label) for frags, bad, label in _FRAGMENTS]
    return check_function("06.utf8_fragments", "first_bad_fragment", answer, cases,
                          returns=(int, type(None)))


UTF8_FRAGMENTS = Exercise(
    "06.utf8_fragments", "UTF-8 across fragments", Kind.CODE,
    f"""A text message may arrive in fragments ({s("5.4")}), and a character may be split
between two of them. {s("8.1")} lets a receiver fail the connection as soon as the text can
no longer be valid UTF-8, without waiting for the end of the message. Write
`first_bad_fragment(fragments)`: `fragments` is a list of `bytes`, the payloads of one text
message in order; return the index of the first fragment after which the text received so
far cannot be the start of valid UTF-8 (for the last fragment: after which the whole text is
not valid UTF-8, a character left unfinished included), or `None` if the message is valid.
Python's `codecs.getincrementaldecoder` may help; decoding each fragment on its own does
not.""",
    ["Keep state between fragments: the bytes of a character that is not finished yet.",
     "codecs.getincrementaldecoder('utf-8')() returns a decoder whose decode(data, final) "
     "keeps an unfinished character for the next call and raises UnicodeDecodeError on "
     "invalid bytes.",
     "Only the last fragment is 'final': an unfinished character is fine in the middle of a "
     "message, not at its end."],
    "first_bad_fragment", "def first_bad_fragment(fragments):\n    ...  # your code here",
    _check_utf8)

EXERCISES = (FAIL_CODE, UTF8_FRAGMENTS, ECHO_HANDLER)
