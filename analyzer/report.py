"""DataFrame groupings -> plain data -> jinja2 templates (HTML, text) and exports; atomic writes."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

import jinja2
import pandas as pd

from . import __version__, frame
from .hints import Hints
from .records import Accounting

_REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "reports" / "templates"


def template_dir() -> Path:
    """Templates shipped inside the package (wheel), else the source tree's ``reports/templates``."""
    packaged = Path(str(resources.files("analyzer"))) / "templates"
    return packaged if packaged.is_dir() else _REPO_TEMPLATES


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: f"{100 * float(x):.1f} %"
    env.filters["num"] = lambda x: f"{int(x):,}"
    env.filters["clip"] = lambda s, n=80: s if len(str(s)) <= n else str(s)[: n - 1] + "…"
    env.filters["safe_text"] = safe_text
    return env


_INVISIBLE = {
    code: f"\\u{code:04x}"
    for code in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), *range(0x200B, 0x2010),
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
}


def safe_text(value: object) -> str:
    """Text with control, zero-width and bidi-override characters shown as ``\\uXXXX`` escapes."""
    return "" if value is None else str(value).translate(_INVISIBLE)


def _plain(value: Any) -> Any:
    """JSON-ready scalars: timestamps as ISO 8601, NA as None, numpy numbers as Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of plain dicts."""
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def summarize(df: pd.DataFrame, accounting: Accounting, top: int = 20, hints: Hints | None = None
              ) -> dict[str, Any]:
    """Every table of the report as plain data (also the ``--json`` export)."""
    hints = hints or Hints.load()
    status = frame.by_status(df)
    counts = dict(zip(status["status"], status["count"], strict=True))
    attempts = sum(counts.get(s, 0) for s in frame.ATTEMPT_STATUSES)
    final = counts.get("sent", 0) + counts.get("bounced", 0) + counts.get("expired", 0)
    timed = df["time"].dropna()
    diagnostics = frame.top_diagnostics(df, per_domain=3, limit=top)
    diag_rows = rows(diagnostics)
    failed = df.loc[~df["status"].isin(("sent",))]
    for row, (_, diag) in zip(diag_rows, diagnostics.iterrows(), strict=True):
        match = failed.loc[failed["diagnostic"] == diag["example"]].head(1)
        first = match.iloc[0] if len(match) else None
        hint = hints.best(*(_plain(first[c]) if first is not None else None
                            for c in ("enhanced_code", "smtp_code", "category", "reason")))
        row["hint"] = hint["title"] if hint else ""
        row["hint_key"] = f"{hint['group']}:{hint['key']}" if hint else ""
    return {
        "version": __version__,
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "period": {"first": _plain(timed.min()) if len(timed) else None,
                   "last": _plain(timed.max()) if len(timed) else None},
        "headline": {
            "records": len(df),
            "attempts": attempts,
            **{s: int(counts.get(s, 0)) for s in frame.OUTCOMES},
            "delivery_rate": counts.get("sent", 0) / final if final else 0.0,
            "bounce_rate": (counts.get("bounced", 0) + counts.get("expired", 0)) / final if final else 0.0,
            "deferral_rate": counts.get("deferred", 0) / attempts if attempts else 0.0,
            "hard": int(df["hard"].fillna(False).sum()),
            "from_logs": int((df["parser"].astype("string") == "postfix-log").sum()),
            "from_messages": int((df["parser"].astype("string") != "postfix-log").sum()),
        },
        "status": rows(status),
        "code_classes": rows(frame.by_code_class(df)),
        "enhanced_codes": rows(frame.by_enhanced_code(df).head(top)),
        "reply_codes": rows(frame.by_reply_code(df).head(top)),
        "domains": rows(frame.by_domain(df).head(top)),
        "reasons": rows(frame.by_reason(df)),
        "diagnostics": diag_rows,
        "timeline": rows(frame.over_time(df)),
        "hints": _hints_seen(failed, hints),
        "accounting": accounting.to_dict(),
    }


def _hints_seen(failed: pd.DataFrame, hints: Hints) -> list[dict[str, Any]]:
    """One hint for each enhanced code, reply code and category among the failures, by frequency."""
    seen: list[dict[str, Any]] = []
    for group, column in (("enhanced", "enhanced_code"), ("codes", "smtp_code"), ("categories", "category")):
        counts = failed[column].astype("string").dropna().value_counts()
        for key, count in counts.items():
            hint = hints.get(group, str(key))
            if group == "enhanced" and hint is None:
                hint = hints.get("enhanced", _generic_enhanced(str(key)))
            if hint is not None:
                seen.append({**hint, "seen": str(key), "count": int(count)})
    return sorted(seen, key=lambda h: -h["count"])


def _generic_enhanced(code: str) -> str:
    """``5.7.999`` -> ``5.7.0``: the subject's generic code when the detail is unknown."""
    parts = code.split(".")
    return f"{parts[0]}.{parts[1]}.0" if len(parts) == 3 else code


def render(template: str, summary: dict[str, Any], **extra: Any) -> str:
    """One template rendered with the summary."""
    return _environment().get_template(template).render(s=summary, **extra)


def render_html(summary: dict[str, Any]) -> str:
    """The self-contained HTML report."""
    return render("report.html.j2", summary)


def render_text(summary: dict[str, Any]) -> str:
    """The plain-text summary for cron mail."""
    return render("summary.txt.j2", summary)


def write_atomic(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], None], binary: bool = False
) -> None:
    """Write through a temporary file in the same directory, then rename it into place."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8",
                                                                                "newline": ""})) as out:
            write(out)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Atomically write ``text``."""
    write_atomic(path, lambda out: out.write(text))


def write_csv(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Every record, one row each, export columns first."""
    write_atomic(path, lambda out: df.to_csv(out, index=False))


def write_json(path: str | os.PathLike[str], summary: dict[str, Any]) -> None:
    """The summary tables and the accounting as JSON."""
    write_text(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
