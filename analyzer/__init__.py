"""Bounce-mail and Postfix log analyzer: records, reasons, groupings and reports.

>>> import analyzer
>>> df = analyzer.load("samples/maillog")          # doctest: +SKIP
>>> df.bounces.by_domain()                         # doctest: +SKIP
>>> analyzer.explain("550 5.1.1 user unknown")     # doctest: +SKIP

The names below are loaded on first use, so that ``analyzer.cli`` can start parsing before
pandas is imported; ``df.bounces`` is registered on pandas as soon as pandas is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys
from collections.abc import Iterable
from importlib import import_module, util
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from .classify import Classifier
    from .explainer import Explanation, explain
    from .frame import to_frame
    from .notebook import Chart, Summary, summarize
    from .pipeline import read_frame, read_records
    from .records import Accounting, Record
    from .report import render_html, render_text
    from .schema import SCHEMA, Schema
    from .sources import InputError

#: Where each public name lives (imported on first use).
_HOMES = {
    "SCHEMA": "schema", "Accounting": "records", "Chart": "notebook", "Classifier": "classify",
    "Explanation": "explainer", "InputError": "sources", "Record": "records", "Schema": "schema",
    "Summary": "notebook", "explain": "explainer", "read_frame": "pipeline", "read_records": "pipeline",
    "render_html": "report", "render_text": "report", "summarize": "notebook", "to_frame": "frame",
}
__all__ = [
    "SCHEMA", "Accounting", "Chart", "Classifier", "Explanation", "InputError", "Record", "Schema", "Summary",
    "explain", "load", "read_frame", "read_records", "render_html", "render_text", "summarize", "to_frame",
]


def __dir__() -> Sequence[str]:
    return sorted([*__all__, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(inputs: str | Iterable[str], accounting: Accounting | None = None) -> pd.DataFrame:
    """Read logs and bounce messages into a DataFrame of records (one row per attempt or recipient).

    Its columns are :data:`SCHEMA`'s; ``df.attrs`` holds the accounting of the inputs (as plain data,
    ``"accounting"``) and ``"schema_version"``.
    """
    from .pipeline import read_frame
    from .records import Accounting
    from .schema import SCHEMA

    accounting = accounting if accounting is not None else Accounting()
    df = read_frame(inputs, accounting)
    df.attrs.update(accounting=accounting.to_dict(), schema_version=SCHEMA.version)
    return df


# Why an import hook.  ``df.bounces`` must exist after ``import analyzer`` whichever of analyzer and
# pandas comes first (tests/test_accessor.py), and ``analyzer.cli`` must not import pandas before it
# starts parsing (tests/test_parallel.py), yet importing ``analyzer.cli`` runs this file first.  The
# plainer shapes each lose one of the two: importing pandas here puts pandas' import (longer than the
# rest of the command's together) before every command's first line is parsed; registering in
# load() or read_frame() misses the frames a user builds; pandas reads no entry point for accessors,
# and Python has no post-import hook.  So pandas' own loader is wrapped, once, to import
# analyzer.accessor right after pandas has run; nothing else about the import changes.
class _AfterPandas(MetaPathFinder):
    """Registers ``df.bounces`` (:mod:`analyzer.accessor`) right after pandas is imported."""

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if name != "pandas":
            return None
        sys.meta_path.remove(self)  # once, and out of the way of the search below
        spec = util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            import_module(".accessor", __name__)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this one loader object, on purpose
        return spec


if "pandas" in sys.modules:
    import_module(".accessor", __name__)
else:
    sys.meta_path.insert(0, _AfterPandas())
