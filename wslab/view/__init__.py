"""The view: how codec objects look, as plain text and as self-contained HTML.

Pure string building (no IPython, no sockets), on one theme: one palette, one table
style, cards that read the same in light and dark notebook themes. Importing this package
registers each rendering with :func:`wslab.codec.text_of` and :func:`wslab.codec.html_of`,
so ``print(frame)`` shows its dissection and a notebook shows frames, dissections,
handshakes, close codes and transcripts as annotated HTML. ``import wslab`` does that
import, so the renderings are always in place.

Measurements (rows of numbers: the timing experiments) show with
:func:`measurement_html` and :func:`measurement_text`. The renderings can also be called
directly, e.g. ``dissection_html(d, compact=True)``;
:mod:`wslab.view.theme` holds the palette, the fonts, and the card and table styles that
everything wslab draws (figures included) takes its colours from.
"""

from ..codec import (
    AcceptSteps,
    CloseCodeInfo,
    Dissection,
    Frame,
    FrameDissection,
    HandshakeExplanation,
    RegistryTable,
    Request,
    Response,
    Transcript,
    html_of,
    text_of,
)
from . import theme
from ._close import close_code_html, registry_html, registry_text
from ._frames import (
    dissection_html,
    dissection_text,
    frame_dissection_html,
    frame_dissection_text,
    frame_html,
    frame_text,
    hexdump_html,
    hexdump_text,
)
from ._handshake import (
    accept_steps_html,
    accept_steps_text,
    explanation_html,
    explanation_text,
    message_html,
)
from ._measurement import measurement_html, measurement_text
from ._transcript import clip, entry_group, entry_label, sequence_diagram, transcript_html

__all__ = [
    "accept_steps_html", "accept_steps_text", "clip", "close_code_html", "dissection_html",
    "dissection_text", "entry_group", "entry_label", "explanation_html", "explanation_text",
    "frame_dissection_html", "frame_dissection_text", "frame_html", "frame_text",
    "hexdump_html", "hexdump_text", "measurement_html", "measurement_text", "message_html",
    "registry_html", "registry_text",
    "sequence_diagram", "theme", "transcript_html",
]

for _type, _text, _html in (
    (Frame, frame_text, frame_html),
    (FrameDissection, frame_dissection_text, frame_dissection_html),
    (Dissection, dissection_text, dissection_html),
    (AcceptSteps, accept_steps_text, accept_steps_html),
    (HandshakeExplanation, explanation_text, explanation_html),
    (Request, None, message_html),
    (Response, None, message_html),
    (CloseCodeInfo, None, close_code_html),
    (RegistryTable, registry_text, registry_html),
    (Transcript, sequence_diagram, transcript_html),
):
    if _text is not None:
        text_of.register(_type, _text)
    html_of.register(_type, _html)
del _type, _text, _html
