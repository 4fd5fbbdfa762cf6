"""Links to RFC sections, as the prompts cite them."""

from __future__ import annotations

RFC6455 = "https://www.rfc-editor.org/rfc/rfc6455"


def s(section: str, rfc: str = RFC6455) -> str:
    """A Markdown link to a section of RFC 6455, e.g. ``s("5.2")`` -> ``[§5.2](...)``."""
    return f"[§{section}]({rfc}#section-{section})"
