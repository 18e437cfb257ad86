"""Bounce-mail and Postfix log analyzer: records, reasons, groupings and reports.

>>> import analyzer
>>> df = analyzer.load("samples/maillog")          # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Iterable  # noqa: E402

import pandas as pd  # noqa: E402

from .classify import Classifier  # noqa: E402
from .frame import to_frame  # noqa: E402
from .pipeline import read_records  # noqa: E402
from .records import Accounting, Record  # noqa: E402
from .report import render_html, render_text, summarize  # noqa: E402
from .sources import InputError  # noqa: E402

__all__ = [
    "Accounting", "Classifier", "InputError", "Record", "load", "read_records", "render_html",
    "render_text", "summarize", "to_frame",
]


def load(inputs: str | Iterable[str], accounting: Accounting | None = None) -> pd.DataFrame:
    """Read logs and bounce messages into a DataFrame of records (one row per attempt or recipient)."""
    return to_frame(read_records(inputs, accounting))
