"""Bounce-mail and Postfix log analyzer: records, reasons, groupings and reports.

>>> import analyzer
>>> df = analyzer.load("samples/maillog")          # doctest: +SKIP

The names below are loaded on first use, so that ``analyzer.cli`` can start parsing before
pandas is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .classify import Classifier
    from .explainer import Explanation, explain
    from .frame import to_frame
    from .pipeline import read_frame, read_records
    from .records import Accounting, Record
    from .report import render_html, render_text, summarize
    from .sources import InputError

#: Where each public name lives (imported on first use).
_HOMES = {
    "Accounting": "records", "Classifier": "classify", "Explanation": "explainer", "InputError": "sources",
    "Record": "records", "explain": "explainer", "read_frame": "pipeline", "read_records": "pipeline",
    "render_html": "report", "render_text": "report", "summarize": "report", "to_frame": "frame",
}
__all__ = [
    "Accounting", "Classifier", "Explanation", "InputError", "Record", "explain", "load", "read_frame",
    "read_records", "render_html", "render_text", "summarize", "to_frame",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(inputs: str | Iterable[str], accounting: Accounting | None = None) -> pd.DataFrame:
    """Read logs and bounce messages into a DataFrame of records (one row per attempt or recipient)."""
    from .pipeline import read_frame

    return read_frame(inputs, accounting)
