"""Chart geometry for the HTML report: plain numbers that ``reports/templates/charts/*.svg.j2`` draw.

The report embeds each chart as an SVG inside ``<img src="data:...">``: such an image cannot run
script, and the templates autoescape every label taken from bounces (domain names, reasons).
Drawing five small charts this way takes milliseconds, where a plotting library took a third of
a second on every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

COLORS = {"sent": "#2e7d32", "deferred": "#ef8f00", "bounced": "#c62828", "expired": "#8e0000",
          "rejected": "#6a1b9a", "failures": "#c62828", "2": "#2e7d32", "4": "#ef8f00", "5": "#c62828",
          "none": "#90a4ae", "delivered": "#2e7d32", "received": "#1565c0"}
LABELS = {"2": "2xx", "4": "4xx", "5": "5xx", "none": "no code"}
CHAR_WIDTH = 6.6  # px per character at the charts' 11 px sans-serif, for laying out label columns
MAX_LABEL = 32


def nice_ticks(top: float, most: int = 5) -> list[int]:
    """Round axis values 0, step, 2·step, ... covering ``top``, step 1, 2 or 5 × 10^k.

    >>> nice_ticks(1234)
    [0, 500, 1000, 1500]
    """
    if top <= 0:
        return [0, 1]
    raw = top / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = int(step)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def timeline(rows: Sequence[dict[str, Any]], statuses: Sequence[str], height: int = 250,
             translate: Callable[[str], str] = str) -> dict[str, Any] | None:
    """Stacked steps of records per time bucket and outcome (or code class).

    Each outcome is one filled outline (a polygon along its stacked top and bottom), so a long
    timeline stays one shape per outcome rather than hundreds of rectangles.
    """
    if not rows:
        return None
    width, left, right, top, bottom = 900, 56, 12, 30, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    step_w = plot_w / len(rows)
    totals = [sum(int(r.get(s) or 0) for s in statuses) for r in rows]
    ticks = nice_ticks(max(totals))
    scale = plot_h / ticks[-1]

    def y(value: float) -> float:
        return round(top + plot_h - value * scale, 1)

    def x(index: int) -> float:
        return round(left + index * step_w, 1)

    layers, legend = [], []
    base = [0] * len(rows)
    for status in statuses:
        values = [int(r.get(status) or 0) for r in rows]
        if not any(values):
            continue
        upper = [b + v for b, v in zip(base, values, strict=True)]
        outline = [(x(i + side), y(upper[i])) for i in range(len(rows)) for side in (0, 1)]
        outline += [(x(i + side), y(base[i])) for i in reversed(range(len(rows))) for side in (1, 0)]
        color = COLORS.get(status, "#90a4ae")
        layers.append({"color": color, "points": " ".join(f"{px},{py}" for px, py in outline)})
        legend.append({"color": color, "label": translate(LABELS.get(status, status))})
        base = upper
    labels = _time_labels([str(r["time"])[:16].replace("T", " ") for r in rows])
    every = max(1, math.ceil(len(labels) / 12))
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top,
        "bottom": top + plot_h, "layers": layers,
        "legend": [{**item, "x": left + i * 110} for i, item in enumerate(legend)],
        "yticks": [{"y": y(t), "label": f"{t:,}"} for t in ticks],
        "xticks": [{"x": round(x(i) + step_w / 2, 1), "label": labels[i]}
                   for i in range(0, len(labels), every)],
        "ylabel": translate("records"),
    }


def _time_labels(stamps: list[str]) -> list[str]:
    """The shortest labels that stay unambiguous: hours within one day, dates for daily buckets."""
    days = {s[:10] for s in stamps}
    if all(s.endswith("00:00") for s in stamps) and len(stamps) > 1:
        return [s[:10] for s in stamps]
    return [s[11:] for s in stamps] if len(days) == 1 else [s[5:] for s in stamps]


def bars(labels: Sequence[str], values: Sequence[int], title: str, color: str = "#c62828"
         ) -> dict[str, Any] | None:
    """Horizontal bars, largest at the top, each with its label and value."""
    if not labels:
        return None
    shown = [label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…" for label in labels]
    width, row_h, top = 440, 20, 30
    label_w = round(min(MAX_LABEL, max(map(len, shown))) * CHAR_WIDTH) + 12
    value_w = round(len(f"{max(values):,}") * CHAR_WIDTH) + 10
    bar_w = width - label_w - value_w
    scale = bar_w / max(max(values), 1)
    return {
        "width": width, "height": top + row_h * len(labels) + 6, "title": title, "color": color,
        "label_x": label_w - 6, "bar_x": label_w,
        "rows": [
            {"label": label, "value": f"{value:,}", "y": top + i * row_h, "text_y": top + i * row_h + 14,
             "width": round(max(value * scale, 1 if value else 0), 1),
             "value_x": round(label_w + value * scale + 4, 1)}
            for i, (label, value) in enumerate(zip(shown, values, strict=True))
        ],
    }
