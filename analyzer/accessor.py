"""``df.bounces``: the pandas stage's plain functions as methods of a records DataFrame.

Every method delegates to a public function (``df.bounces.by_domain()`` is
``frame.by_domain(df)``, which ``df.pipe(frame.by_domain)`` also gives) after checking that the
frame has the columns that function reads.  Registered when pandas and :mod:`analyzer` are both
imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .notebook import Chart

_STATUS = ("status",)
_FAILURE_TEXT = ("domain", "status", "reason", "diagnostic", "enhanced_code", "smtp_code", "category", "rule")
#: The columns each method's function reads.
NEEDS: dict[str, tuple[str, ...]] = {
    "by_status": _STATUS,
    "by_domain": ("domain", "status"),
    "by_provider": ("domain", "remote_mta", "status"),
    "by_reason": ("status", "reason", "hard", "source"),
    "by_code": ("status", "enhanced_code", "smtp_code", "category", "code_class"),
    "over_time": ("time", "status", "code_class"),
    "top_diagnostics": _FAILURE_TEXT,
    "blocklistings": ("time", "domain", "status", "diagnostic"),
    "unknowns": ("domain", "status", "diagnostic", "reason", "rule"),
    "failures": _STATUS,
    "hints": ("status", "enhanced_code", "smtp_code", "category", "reason", "rule", "domain", "diagnostic",
              "pattern"),
    "timeline": ("time", "status"),
    "domains": ("domain", "status"),
    "reasons": ("status", "reason", "hard", "source"),
    # the report: every grouping above, the parser for its bounce-message section, and the log
    # columns of its traffic section
    "report": ("time", "status", "hard", "parser", "code_class", "enhanced_code", "smtp_code", "category",
               "domain", "reason", "rule", "diagnostic", "pattern", "remote_mta", "source", "host",
               "queue_id", "sender", "recipient", "size", "delay", "delays", "remote_ip", "transport"),
}
#: ``by_code(kind)``: the grouping of each kind of code.
CODE_KINDS = ("enhanced", "reply", "class")


def require(df: pd.DataFrame, method: str) -> None:
    """Raise ``AttributeError`` naming the columns ``method`` needs that ``df`` lacks."""
    missing = [c for c in NEEDS[method] if c not in df.columns]
    if missing:
        raise AttributeError(f"df.bounces.{method}() needs the column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} of analyzer.SCHEMA, which this DataFrame lacks")


@pd.api.extensions.register_dataframe_accessor("bounces")
class BouncesAccessor:
    """Groupings, charts, hints and the report of a records DataFrame (``analyzer.load()``)."""

    def __init__(self, df: pd.DataFrame) -> None:
        require(df, "by_status")  # no records frame at all: say so on first use of df.bounces
        self._df = df

    def _needs(self, method: str) -> pd.DataFrame:
        require(self._df, method)
        return self._df

    def by_status(self) -> pd.DataFrame:
        """Records per status (:func:`analyzer.frame.by_status`)."""
        from .frame import by_status

        return by_status(self._needs("by_status"))

    def by_domain(self) -> pd.DataFrame:
        """Attempts, bounce and deferral rates per recipient domain (:func:`analyzer.frame.by_domain`)."""
        from .frame import by_domain

        return by_domain(self._needs("by_domain"))

    def by_provider(self) -> pd.DataFrame:
        """The same per mailbox provider (:func:`analyzer.providers.by_provider`)."""
        from .providers import by_provider, with_provider

        return by_provider(with_provider(self._needs("by_provider")))

    def by_reason(self) -> pd.DataFrame:
        """Failed records per reason with the hard count (:func:`analyzer.frame.by_reason`)."""
        from .frame import by_reason

        return by_reason(self._needs("by_reason"))

    def by_code(self, kind: str = "enhanced") -> pd.DataFrame:
        """Records per enhanced status code (``kind="enhanced"``), SMTP reply code (``"reply"``) or
        status and code class (``"class"``): :func:`analyzer.frame.by_enhanced_code`,
        :func:`~analyzer.frame.by_reply_code`, :func:`~analyzer.frame.by_code_class`."""
        from . import frame

        groupings = {"enhanced": frame.by_enhanced_code, "reply": frame.by_reply_code,
                     "class": frame.by_code_class}
        if kind not in groupings:
            raise ValueError(f"by_code(kind={kind!r}): kind is one of {', '.join(CODE_KINDS)}")
        return groupings[kind](self._needs("by_code"))

    def over_time(self, freq: str | None = None, by: str = "status") -> pd.DataFrame:
        """Records per time bucket and status or code class (:func:`analyzer.frame.over_time`)."""
        from .frame import over_time

        return over_time(self._needs("over_time"), freq=freq, by=by)

    def top_diagnostics(self, per_domain: int = 3, limit: int = 50) -> pd.DataFrame:
        """The most frequent failure texts per domain (:func:`analyzer.frame.top_diagnostics`)."""
        from .frame import top_diagnostics

        return top_diagnostics(self._needs("top_diagnostics"), per_domain=per_domain, limit=limit)

    def blocklistings(self) -> pd.DataFrame:
        """Block lists named in failures and refusals (:func:`analyzer.blocklists.listings`)."""
        from .blocklists import listings

        return listings(self._needs("blocklistings"))

    def unknowns(self, limit: int = 20) -> pd.DataFrame:
        """Unclassified diagnostics, clustered (:func:`analyzer.unknowns.unknowns`)."""
        from .unknowns import unknowns

        return unknowns(self._needs("unknowns"), limit=limit)

    def failures(self) -> pd.DataFrame:
        """Only the failed records (:func:`analyzer.frame.failures`)."""
        from .frame import failures

        return failures(self._needs("failures"))

    def hints(self, lang: str = "en") -> pd.DataFrame:
        """One row per hint that explains outbound failures, in ``lang``: who must act, the steps, how
        many, which domains (:func:`analyzer.advice.advice`, the report's "What to do")."""
        from .advice import advice
        from .hints import Hints

        items = advice(self._needs("hints"), Hints.load(lang))
        columns = ["id", "group", "key", "title", "side", "retry", "count", "meaning", "steps", "domains",
                   "examples"]
        return pd.DataFrame([{c: item.get(c) for c in columns} for item in items], columns=columns)

    @property
    def plot(self) -> Plots:
        """The report's charts of this frame: ``.timeline()``, ``.domains()``, ``.reasons()``."""
        return Plots(self._df)

    def report(self, path: str | Path | None = None, lang: str = "en", top: int = 20) -> str | Path:
        """The HTML report of this frame: written to ``path`` (returned), else returned as text.

        The input accounting is ``df.attrs["accounting"]`` where ``analyzer.load()`` put it.
        """
        from .notebook import summarize
        from .report import render_html, write_text

        html = render_html(summarize(self._needs("report"), top=top, lang=lang))
        if path is None:
            return html
        write_text(path, html)
        return Path(path)


class Plots:
    """``df.bounces.plot``: the report's charts, drawn by the report's own code, for a notebook."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def timeline(self, freq: str | None = None, by: str = "status", lang: str = "en") -> Chart:
        """Records per time bucket, stacked by outcome (``by="code_class"``: by 2xx/4xx/5xx)."""
        from .frame import over_time
        from .notebook import Chart
        from .report import rows

        require(self._df, "timeline" if by == "status" else "over_time")
        name = "timeline" if by == "status" else "classes"
        return Chart.of(name, rows(over_time(self._df, freq=freq, by=by)), lang)

    def domains(self, lang: str = "en") -> Chart:
        """The domains with the most failed attempts."""
        from .frame import by_domain
        from .notebook import Chart
        from .report import rows

        require(self._df, "domains")
        return Chart.of("domains", rows(by_domain(self._df)), lang)

    def reasons(self, lang: str = "en") -> Chart:
        """Failures by reason."""
        from .frame import by_reason
        from .notebook import Chart
        from .report import rows

        require(self._df, "reasons")
        return Chart.of("reasons", rows(by_reason(self._df)), lang)

