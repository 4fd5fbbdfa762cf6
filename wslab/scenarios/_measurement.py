"""What every timing experiment returns shares one face: a table, notes, text and HTML.

A result (``PingRtts``, ``SizeSweep``...) is a dataclass with its raw samples; it says
what to show through :meth:`Measurement.table` (column heads with units, formatted rows)
and :meth:`Measurement.notes`, and gets ``str()`` and ``_repr_html_`` (the card of
:func:`wslab.view.measurement_html`) from here. Figures are :mod:`wslab.notebook`'s
business (``wslab.notebook.plot(result)``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..view import measurement_html, measurement_text


class Measurement:
    """The mixin of experiment results: ``title``, ``interrupted`` and a table."""

    title: str = ""
    interrupted: bool = False
    remarks: Sequence[str] = ()

    def table(self) -> tuple[list[str], list[list[str]]]:
        """``(heads, rows)``: the summary as a table, units in the heads."""
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Sentences under the table: what it shows, calibration, interruption."""
        return list(self.remarks) + (
            ["interrupted: these are the samples measured before the interrupt"]
            if self.interrupted else [])

    def _repr_html_(self) -> str:
        heads, rows = self.table()
        role = "measurement-" + type(self).__name__.lower()
        return measurement_html(self.title, heads, rows, self.notes(), role=role)

    def __str__(self) -> str:
        heads, rows = self.table()
        return measurement_text(self.title, heads, rows, self.notes())
