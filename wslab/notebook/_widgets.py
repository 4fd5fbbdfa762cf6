"""Interactive widgets for the notebooks: build, paste and derive, and watch every bit.

>>> from wslab.notebook import AcceptKeyExplorer, FrameBuilder, HexDissector
>>> FrameBuilder()          # switches for every header bit -> live dissection (RFC 6455 §5.2)
>>> HexDissector()          # paste hex -> live dissection (like `python -m wslab dissect`)
>>> AcceptKeyExplorer()     # Sec-WebSocket-Key -> Sec-WebSocket-Accept, step by step (§4.2.2)

The widgets only wire inputs to the codec (:mod:`wslab.codec`) and show its HTML
(:mod:`wslab.view`). Each is an
``ipywidgets.VBox`` whose inputs are attributes (``builder.fin``, ``builder.payload``, ...),
so code can drive it as a student's clicks do; its ``value`` trait holds the result
(the frame's hex, the Accept value) and ``error`` the message shown for unusable input,
so ``widget.observe(callback, "value")`` follows it. Callbacks never raise into the kernel:
any error is shown in the widget.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import ipywidgets as w
import traitlets

from ..codec import (
    DEFAULT_MAX_SIZE,
    Dissection,
    Frame,
    LengthEncoding,
    Opcode,
    Sender,
    accept_steps,
    close_code_for,
    describe,
    dissect,
    generate_key,
    key_problem,
    opcode_name,
    parse_hex,
)
from ..view import dissection_html
from ..view.theme import GREEN, MONO, RED, RED_BG

MAX_BYTES = DEFAULT_MAX_SIZE  # input bound (1 MiB): larger payloads or pastes are refused
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3 and §4.2.2
RFC_MASK = "37 fa 21 3d"  # RFC 6455 §5.7
_LENGTHS = [("minimal", 0), ("7-bit field", 7), ("16-bit extended", 16), ("64-bit extended", 64)]
_SENDERS = ["unknown", "client", "server"]


def _box(text: str, colour: str = RED, bg: str = RED_BG, role: str = "error") -> str:
    return (f'<div data-role="{role}" style="background:{bg};color:{colour};border:1px solid '
            f'{colour};border-left:5px solid {colour};border-radius:6px;padding:4px 10px;'
            f'margin:4px 0;font-weight:600">{html.escape(text)}</div>')


def verdict(d: Dissection) -> str:
    """One line: is this fine, and if not, which close code would a strict receiver send?"""
    if not d.violations:
        if d.incomplete is not None:
            return f"incomplete, no rule broken so far: {d.incomplete}"
        open_ = (" (the message is not finished: FIN=0, more fragments follow, §5.4)"
                 if d.frames and not d.frames[-1].frame.fin else "")
        if d.sender is None:
            return f"valid: no rule broken (sender unknown: masking not judged){open_}"
        return f"valid: a {d.sender} may send this, no rule broken{open_}"
    first = d.violations[0]  # in byte order: the receiver stops at the first
    code = close_code_for(first)
    name = describe(code).name.lower()
    peer = {"client": "server", "server": "client"}.get(d.sender or "", "receiver")
    return (f"a strict {peer} fails the connection (RFC 6455 §7.1.7) with close code {code} "
            f"({name}, §7.4.1). First problem, byte {first.offset}: {first.message} "
            f"[{first.rule.rfc}]")


def _verdict_html(d: Dissection) -> str:
    text = verdict(d)
    if text.startswith("valid"):
        return _box(text, GREEN, "#eefbf1", role="verdict")
    return _box(text, role="verdict")


class _Live(w.VBox):
    """A VBox that recomputes ``view`` and ``value`` after every input change, never raising.

    Subclasses define ``_compute() -> (html, value)``; a ``ValueError`` it raises is bad
    input, shown in the widget as a message (any other exception too, named as unexpected).
    """

    value = traitlets.Unicode("", help="the result as text ('' while the input is unusable)")
    error = traitlets.Unicode("", help="what is wrong with the input ('' if nothing)")

    def __init__(self) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self._held = False
        self.view = w.HTML()
        self.view.add_class("wslab-view")

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several inputs, then recompute once."""
        held, self._held = self._held, True
        try:
            yield
        finally:
            self._held = held
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the inputs (called on every change)."""
        if not self._held:
            self._guarded(self._render)

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except ValueError as exc:
            self._fail(str(exc))
        except Exception as exc:  # never into the kernel: the student sees it instead
            self._fail(f"unexpected {type(exc).__name__}: {exc}")

    def _watch(self, *inputs: w.Widget) -> None:
        for widget in inputs:
            widget.observe(lambda _change: self.refresh(), names="value")

    def _button(self, button: w.Button, action: Callable[[], None]) -> w.Button:
        button.on_click(lambda _button: self._guarded(action))
        return button

    def _render(self) -> None:
        self.view.value, value = self._compute()
        self.error, self.value = "", value

    def _compute(self) -> tuple[str, str]:
        raise NotImplementedError

    def _fail(self, message: str) -> None:
        self.view.value = _box(message)
        self.error, self.value = message, ""


def _toggle(name: str, value: bool, tip: str) -> w.ToggleButton:
    """A button for one header bit, labelled with its value ("FIN=1"), blue when set."""
    button = w.ToggleButton(value=value, tooltip=tip, layout=w.Layout(width="84px"))
    button.add_class(f"wslab-{name.lower()}")

    def label(_change: object = None) -> None:
        button.description = f"{name}={int(button.value)}"
        button.button_style = "info" if button.value else ""

    button.observe(label, names="value")
    label()
    return button


class FrameBuilder(_Live):
    """Build any frame bit by bit and watch its dissection (RFC 6455 §5.2).

    Inputs (widgets, settable from code): ``fin``, ``rsv1``, ``rsv2``, ``rsv3``, ``mask``
    (toggle buttons), ``opcode`` (0-15), ``payload`` (text), ``payload_mode`` ("text" or
    "hex"), ``repeat`` (the payload repeated n times, to reach 16- and 64-bit lengths),
    ``key`` (masking key in hex), ``random_key`` (button), ``length_encoding`` (0 minimal,
    7, 16 or 64), ``sender`` ("client"/"server", who sends it: clients mask, servers don't).
    Outputs: ``hex_line`` and ``view`` (HTML); ``value`` is the frame as hex.

    Args:
        frame: the frame to start from (default: ``Frame.text("Hello")``).
        sender: who sends it (default: "client" if ``frame`` is masked, else "server").
    """

    def __init__(self, frame: Frame | None = None, *, sender: Sender | None = None) -> None:
        super().__init__()
        self.add_class("wslab-frame-builder")
        frame = Frame.text("Hello") if frame is None else frame
        self.fin = _toggle("FIN", True, "FIN: the final fragment of a message (§5.2, §5.4)")
        self.rsv1, self.rsv2, self.rsv3 = (
            _toggle(f"RSV{i}", False, f"RSV{i}: reserved for extensions, 0 unless negotiated")
            for i in (1, 2, 3))
        self.mask = _toggle("MASK", False, "MASK: a 4-byte masking key follows (§5.3)")
        wide = {"description_width": "initial"}
        self.opcode = w.Dropdown(description="opcode", style=wide, layout=w.Layout(
            width="180px"), options=[(f"0x{i:X} {opcode_name(i)}", i) for i in range(16)])
        self.sender = w.ToggleButtons(options=["client", "server"], style={"button_width": "64px"},
                                      tooltips=["clients must mask (§5.1)",
                                                "servers must not mask (§5.1)"])
        self.key = w.Text(description="key (hex)", placeholder="4 bytes, e.g. " + RFC_MASK,
                          style=wide, layout=w.Layout(width="200px"))
        self.random_key = self._button(w.Button(description="random", layout=w.Layout(
            width="80px"), tooltip="a fresh random key (§5.3)"), self._randomize)
        self.payload_mode = w.ToggleButtons(options=["text", "hex"],
                                            style={"button_width": "48px"})
        self.payload = w.Textarea(placeholder="payload (unmasked)", rows=2,
                                  layout=w.Layout(flex="1 1 240px"))
        self.payload.add_class("wslab-payload")
        self.repeat = w.BoundedIntText(1, min=1, max=MAX_BYTES, description="× repeat",
                                       style=wide, layout=w.Layout(width="150px"))
        self.length_encoding = w.Dropdown(options=_LENGTHS, description="length", style=wide,
                                          layout=w.Layout(width="200px"))
        self.hex_line = w.HTML()
        self.hex_line.add_class("wslab-hex")
        self.notice = ""
        row = w.Layout(flex_flow="row wrap", align_items="center", grid_gap="4px 12px")
        self.children = [
            w.HBox([w.HBox([self.fin, self.rsv1, self.rsv2, self.rsv3]), self.opcode,
                    self.length_encoding], layout=row),
            w.HBox([w.HBox([self.mask, self.key, self.random_key]),
                    w.HBox([w.Label("sender"), self.sender])], layout=row),
            w.HBox([w.Label("payload"), self.payload_mode, self.payload, self.repeat],
                   layout=row),
            self.hex_line, self.view,
        ]
        self.payload_mode.observe(self._mode_changed, names="value")
        self.mask.observe(lambda c: setattr(self.key, "disabled", not c["new"]), names="value")
        self._watch(self.fin, self.rsv1, self.rsv2, self.rsv3, self.mask, self.opcode,
                    self.sender, self.key, self.payload, self.repeat, self.length_encoding)
        self.load(frame, sender=sender)

    def load(self, frame: Frame, *, sender: Sender | None = None) -> None:
        """Set every input from ``frame`` (and ``sender``), then refresh once."""
        text = None
        if frame.opcode in (Opcode.TEXT, Opcode.CONT):
            with suppress(UnicodeDecodeError):
                text = frame.payload.decode("utf-8")
        with self.hold():
            self.payload_mode.value = "hex" if text is None else "text"
            self.payload.value = frame.payload.hex(" ") if text is None else text
            self.repeat.value = 1
            for name in ("fin", "rsv1", "rsv2", "rsv3"):
                getattr(self, name).value = getattr(frame, name)
            self.mask.value = frame.masked
            self.key.value = frame.masking_key.hex(" ") if frame.masking_key else RFC_MASK
            self.key.disabled = not frame.masked
            self.opcode.value = int(frame.opcode)
            self.length_encoding.value = int(frame.length_encoding or 0)
            self.sender.value = sender or ("client" if frame.masked else "server")

    # -- reading the inputs ----------------------------------------------------------------

    def _payload_bytes(self, mode: str | None = None) -> bytes:
        if (mode or self.payload_mode.value) == "text":
            return self.payload.value.encode("utf-8")
        try:
            return parse_hex(self.payload.value)
        except ValueError as exc:
            raise ValueError(f"payload: {exc}") from None

    def _build(self) -> Frame:
        """The frame the inputs describe. Raises ValueError with a message for students."""
        unit = self._payload_bytes()
        if len(unit) * self.repeat.value > MAX_BYTES:  # checked before building it
            raise ValueError(f"payload: {len(unit) * self.repeat.value:,} bytes is more than "
                             f"this widget builds ({MAX_BYTES:,}); lower the repeat count")
        payload = unit * self.repeat.value
        key = None
        if self.mask.value:
            try:
                key = parse_hex(self.key.value)
            except ValueError as exc:
                raise ValueError(f"masking key: {exc}") from None
            if len(key) != 4:
                raise ValueError(f"masking key: a masking key is exactly 4 bytes (RFC 6455 "
                                 f"§5.2), not {len(key)}; press 'random' for a fresh one")
        bits = self.length_encoding.value
        encoding = LengthEncoding(bits) if bits else None
        frame = Frame(self.opcode.value, payload, fin=self.fin.value, rsv1=self.rsv1.value,
                      rsv2=self.rsv2.value, rsv3=self.rsv3.value, masking_key=key,
                      length_encoding=encoding)
        try:
            frame.header()
        except ValueError as exc:  # the length does not fit the chosen encoding
            raise ValueError(f"length: {exc} (RFC 6455 §5.2); pick a longer encoding") from None
        return frame

    @property
    def frame(self) -> Frame | None:
        """The current frame, or ``None`` while the input is unusable (see ``error``)."""
        try:
            return self._build()
        except ValueError:
            return None

    @property
    def hex(self) -> str:
        """The current frame as hex (``"81 05 48 65 6c 6c 6f"``), ``""`` while unusable."""
        return self.value

    @property
    def dissection(self) -> Dissection | None:
        """The current frame's dissection as the chosen sender's peer sees it."""
        frame = self.frame
        return None if frame is None else dissect(frame.serialize(), sender=self.sender.value)

    # -- reacting ----------------------------------------------------------------------------

    def _compute(self) -> tuple[str, str]:
        data = self._build().serialize()
        d = dissect(data, sender=self.sender.value)
        shown = data[:64].hex(" ") + (f" … ({len(data):,} bytes)" if len(data) > 64 else "")
        note, self.notice = self.notice, ""
        note = f'<div style="font-size:12px">{html.escape(note)}</div>' if note else ""
        self.hex_line.value = (f'<div data-role="hex-string" style="font-family:{MONO};'
                               f'font-size:14px;margin:6px 0">{html.escape(shown)}</div>'
                               f"{_verdict_html(d)}{note}")
        return dissection_html(d), data.hex(" ")

    def _fail(self, message: str) -> None:
        super()._fail(message)
        self.hex_line.value, self.view.value = self.view.value, ""

    def _randomize(self) -> None:
        with self.hold():
            self.key.value = os.urandom(4).hex(" ")
            self.mask.value = True

    def _mode_changed(self, change: dict[str, Any]) -> None:
        """Rewrite the payload in the new mode, so the bytes stay the same."""
        if self._held:  # set by code (load, or the revert below), which sets the payload too
            return
        try:
            data = self._payload_bytes(change["old"])
        except ValueError:  # unusable as it was: leave the text for the student to fix
            self.refresh()
            return
        with self.hold():
            if change["new"] == "hex":
                self.payload.value = data.hex(" ")
                return
            try:
                self.payload.value = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.notice = (f"payload byte {exc.start} (0x{data[exc.start]:02x}) is not "
                               "valid UTF-8, so the payload stays in hex")
                self.payload_mode.value = "hex"


class HexDissector(_Live):
    """Paste hex, see the dissection live (like ``python -m wslab dissect``).

    Inputs: ``text`` (hex), ``sender`` ("unknown", "client", "server"), ``deflate``
    (permessage-deflate negotiated, RFC 7692). Output: ``view`` (HTML); ``value`` is the
    normalized hex of the bytes dissected.

    Args:
        data: bytes or hex to start with.
        sender, deflate: as for :func:`wslab.codec.dissect`.
    """

    def __init__(self, data: bytes | str = "", *, sender: Sender | None = None,
                 deflate: bool = False) -> None:
        super().__init__()
        self.add_class("wslab-hex-dissector")
        start = data.hex(" ") if isinstance(data, (bytes, bytearray)) else data
        self.text = w.Textarea(start, placeholder="paste hex here, e.g. 81 05 48 65 6c 6c 6f",
                               rows=3, layout=w.Layout(width="100%"))
        self.text.add_class("wslab-hex-input")
        self.sender = w.Dropdown(options=_SENDERS, value=sender or "unknown",
                                 description="sender")
        self.deflate = w.Checkbox(deflate, description="permessage-deflate negotiated",
                                  indent=False)
        self.children = [self.text, w.HBox([self.sender, self.deflate]), self.view]
        self._watch(self.text, self.sender, self.deflate)
        self.refresh()

    @property
    def data(self) -> bytes | None:
        """The bytes pasted, or ``None`` while the text is not hex."""
        try:
            return parse_hex(self.text.value)
        except ValueError:
            return None

    @property
    def dissection(self) -> Dissection | None:
        data = self.data
        if data is None or len(data) > MAX_BYTES:
            return None
        return dissect(data, sender=self._sender(), deflate=self.deflate.value)

    def _sender(self) -> Sender | None:
        value = self.sender.value
        return value if value in ("client", "server") else None

    def _compute(self) -> tuple[str, str]:
        data = parse_hex(self.text.value)
        if not data:
            return _box("paste some hex above", "#59636e", "#f6f8fa", role="hint"), ""
        if len(data) > MAX_BYTES:
            raise ValueError(f"{len(data):,} bytes is more than this widget dissects "
                             f"({MAX_BYTES:,}); use `python -m wslab dissect` for large captures")
        d = dissect(data, sender=self._sender(), deflate=self.deflate.value)
        return _verdict_html(d) + dissection_html(d), data.hex(" ")


class AcceptKeyExplorer(_Live):
    """Type a Sec-WebSocket-Key, watch Sec-WebSocket-Accept being derived (RFC 6455 §4.2.2).

    Inputs: ``key`` (text), ``random_key`` (button). Output: ``view`` (HTML); ``value``
    is the Sec-WebSocket-Accept value.

    Args:
        key: the key to start with (default: the RFC's ``dGhlIHNhbXBsZSBub25jZQ==``).
    """

    def __init__(self, key: str = RFC_KEY) -> None:
        super().__init__()
        self.add_class("wslab-accept-explorer")
        self.key = w.Text(key, description="Sec-WebSocket-Key", layout=w.Layout(width="480px"),
                          style={"description_width": "auto"})
        self.key.add_class("wslab-key")
        self.random_key = self._button(w.Button(description="random key", tooltip=(
            "a fresh key, as generate_key() makes (§4.1)")), self._new_key)
        self.children = [w.HBox([self.key, self.random_key]), self.view]
        self._watch(self.key)
        self.refresh()

    def _new_key(self) -> None:
        self.key.value = generate_key()

    def _compute(self) -> tuple[str, str]:
        key = self.key.value
        steps = accept_steps(key)  # HandshakeError (a ValueError) for a non-ASCII key
        problem = key_problem(key)
        note = "" if problem is None else _box(
            f"not a valid key ({problem}): a client sends 16 random bytes in base64, 24 characters "
            "(RFC 6455 §4.1 item 7); a server answers such a request with 400 "
            "(§4.2.1). The hash below is computed anyway.", role="warning")
        return note + steps._repr_html_(), steps.accept
