"""Objects that show themselves in a notebook: the summary of a records frame and the report's charts.

Both are drawn by the report's own code (:func:`analyzer.report.summarize`,
:func:`~analyzer.report.chart_svg`) and its autoescaping templates; in a terminal they print as text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import report
from .hints import Hints
from .records import Accounting


class Summary(dict[str, Any]):
    """The report's tables as plain data (the dict :func:`analyzer.report.summarize` makes, which
    ``render_html``, ``render_text`` and ``--json`` take), shown as the report's headline, actions and
    tables in a notebook and as the cron mail's text summary in a terminal."""

    def __str__(self) -> str:
        return report.render_text(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return report.render("notebook/summary.html.j2", self)


def summarize(df: pd.DataFrame, accounting: Accounting | None = None, top: int = 20,
              hints: Hints | None = None, redacted: bool = False, jobs: int = 1, lang: str = "en") -> Summary:
    """The summary of a records frame (:func:`analyzer.report.summarize`) as a :class:`Summary`.

    ``accounting`` defaults to the one ``analyzer.load()`` left in ``df.attrs["accounting"]`` (else
    nothing is accounted for); ``hints`` to the bundled ones in ``lang``.
    """
    if accounting is None:
        kept = df.attrs.get("accounting")
        accounting = Accounting.from_dict(kept) if isinstance(kept, dict) else Accounting()
    return Summary(report.summarize(df, accounting, top=top, hints=hints or Hints.load(lang),
                                    redacted=redacted, jobs=jobs))


@dataclass(frozen=True, slots=True)
class Chart:
    """One of the report's charts as SVG (None when there is nothing to draw)."""

    name: str
    svg: str | None

    @classmethod
    def of(cls, name: str, table: list[dict[str, Any]], lang: str = "en") -> Chart:
        """Chart ``name`` of :data:`analyzer.report.CHARTS` drawn from the rows of its table."""
        return cls(name, report.chart_svg(name, table, lang))

    def _repr_svg_(self) -> str | None:
        return self.svg

    def __repr__(self) -> str:
        return f"Chart({self.name!r}, {'empty' if self.svg is None else f'{len(self.svg):,} bytes of SVG'})"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the SVG to ``path`` (atomically, like the report)."""
        if self.svg is None:
            raise ValueError(f"chart {self.name!r}: nothing to draw, no file written")
        report.write_text(path, self.svg)
