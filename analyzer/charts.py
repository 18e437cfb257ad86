"""Charts for the HTML report: matplotlib figures from plain summary data, as SVG data URIs.

An SVG inside ``<img src="data:...">`` cannot run script, so labels taken from bounces (domain
names, reasons) stay inert even if matplotlib's escaping missed something.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from typing import Any

COLORS = {"sent": "#2e7d32", "deferred": "#ef8f00", "bounced": "#c62828", "expired": "#8e0000",
          "rejected": "#6a1b9a", "failures": "#c62828", "2": "#2e7d32", "4": "#ef8f00", "5": "#c62828",
          "none": "#90a4ae"}
LABELS = {"2": "2xx", "4": "4xx", "5": "5xx", "none": "no code"}


def preload() -> None:
    """Import matplotlib ahead of time (the CLI does this in a thread while the logs are parsed)."""
    import matplotlib.figure  # noqa: F401


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "analyzer", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _data_uri(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def timeline(rows: Sequence[dict[str, Any]], statuses: Sequence[str], height: float = 2.6,
             translate: Callable[[str], str] = str) -> str | None:
    """Stacked bars of records per time bucket and outcome (or code class); ``translate`` for labels.

    Each outcome is one filled step outline (``stairs``), so a long timeline stays one shape per
    outcome rather than hundreds of rectangles.
    """
    if not rows:
        return None
    figure = _figure(9, height)
    axes = figure.subplots()
    labels = _time_labels([str(r["time"])[:16].replace("T", " ") for r in rows])
    edges = [i - 0.45 for i in range(len(rows))] + [len(rows) - 0.55]
    bottom = [0] * len(rows)
    for status in statuses:
        values = [int(r.get(status) or 0) for r in rows]
        if any(values):
            top = [b + v for b, v in zip(bottom, values, strict=True)]
            axes.stairs(top, edges, baseline=bottom, fill=True, color=COLORS.get(status, "#90a4ae"),
                        label=translate(LABELS.get(status, status)))
            bottom = top
    step = max(1, len(labels) // 12)
    axes.set_xticks(list(range(len(rows)))[::step], labels[::step], rotation=30, ha="right")
    axes.set_ylabel(translate("records"))
    axes.legend(ncols=len(statuses), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8)
    return _data_uri(figure)


def _time_labels(stamps: list[str]) -> list[str]:
    """The shortest labels that stay unambiguous: hours within one day, dates for daily buckets."""
    days = {s[:10] for s in stamps}
    if all(s.endswith("00:00") for s in stamps) and len(stamps) > 1:
        return [s[:10] for s in stamps]
    return [s[11:] for s in stamps] if len(days) == 1 else [s[5:] for s in stamps]


def bars(labels: Sequence[str], values: Sequence[int], title: str, color: str = "#c62828") -> str | None:
    """Horizontal bars, largest at the top."""
    if not labels:
        return None
    figure = _figure(4.4, 0.28 * len(labels) + 0.8)
    axes = figure.subplots()
    shown = [label if len(label) <= 32 else label[:31] + "…" for label in labels]
    axes.barh(range(len(labels)), values, color=color)
    axes.set_yticks(range(len(labels)), shown)
    axes.invert_yaxis()
    axes.set_title(title, loc="left", fontsize=10)
    for index, value in enumerate(values):
        axes.annotate(f"{value:,}", (value, index), xytext=(3, 0), textcoords="offset points", va="center",
                      fontsize=8)
    return _data_uri(figure)
