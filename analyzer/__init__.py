"""Bounce-mail and Postfix log analyzer: records, reasons, groupings and reports.

>>> import analyzer
>>> df = analyzer.load("samples/maillog")          # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Iterable

import pandas as pd

from .classify import Classifier
from .frame import to_frame
from .pipeline import read_frame, read_records
from .records import Accounting, Record
from .report import render_html, render_text, summarize
from .sources import InputError

__all__ = [
    "Accounting", "Classifier", "InputError", "Record", "load", "read_frame", "read_records", "render_html",
    "render_text", "summarize", "to_frame",
]


def load(inputs: str | Iterable[str], accounting: Accounting | None = None) -> pd.DataFrame:
    """Read logs and bounce messages into a DataFrame of records (one row per attempt or recipient)."""
    return read_frame(inputs, accounting)
