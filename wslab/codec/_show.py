"""How codec objects show themselves, decided one layer up.

Frames, dissections, handshakes and transcripts are data; how they look is the business
of :mod:`wslab.view`. Their ``str()`` and their notebook display (``_repr_html_``) ask
:func:`text_of` and :func:`html_of`, two :func:`functools.singledispatch` functions on
which :mod:`wslab.view` registers one rendering per type. ``import wslab`` (which any
``import wslab.<anything>`` runs first) loads :mod:`wslab.view`, so the renderings are
always there; a type with none falls back to ``repr()`` and to no HTML (a notebook then
shows the text).
"""

from __future__ import annotations

from functools import singledispatch


@singledispatch
def text_of(obj: object) -> str:
    """``obj`` as plain text (``str()`` of a codec object); ``repr()`` if none is registered."""
    return repr(obj)


@singledispatch
def html_of(obj: object) -> str | None:
    """``obj`` as self-contained HTML for a notebook; ``None`` if none is registered."""
    return None


class Shown:
    """Mixin: ``str()`` and ``_repr_html_()`` through :func:`text_of` and :func:`html_of`.

    A class that has its own ``__str__`` (a short canonical form, e.g. a header value)
    keeps it and takes only the HTML from here.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return text_of(self)

    def _repr_html_(self) -> str | None:
        return html_of(self)
