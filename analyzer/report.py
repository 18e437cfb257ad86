"""DataFrame groupings -> plain data -> jinja2 templates (HTML, text) and exports; atomic writes."""

from __future__ import annotations

import base64
import errno
import glob
import hashlib
import json
import math
import os
import re
import stat
import sys
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import jinja2
import pandas as pd

from . import __version__, advice, blocklists, compact, frame, processes, providers, traffic_report, unknowns
from .hints import Hints
from .outcomes import rates
from .records import Accounting, traffic_of

#: What the per-hour traffic chart stacks.
HOURLY = ("delivered", "deferred", "bounced", "rejected")
#: The output path that means standard output.
STDOUT = "-"
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "reports" / "templates"


def template_dir() -> Path:
    """Templates shipped inside the package (wheel), else the source tree's ``reports/templates``."""
    packaged = Path(str(resources.files("analyzer"))) / "templates"
    return packaged if packaged.is_dir() else _REPO_TEMPLATES


@lru_cache(maxsize=4)
def _catalog(lang: str) -> dict[str, str]:
    """Report texts in ``lang`` keyed by their English text (``data/ui.toml``)."""
    data = tomllib.loads(resources.files("analyzer.data").joinpath("ui.toml").read_text("utf-8"))
    return data.get(lang, {})


@lru_cache(maxsize=4)
def _environment(lang: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(["html", "html.j2", "svg", "svg.j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    catalog = _catalog(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: catalog.get(text, text),
        lambda one, many, n: catalog.get(one if n == 1 else many, one if n == 1 else many),
        newstyle=True,
    )
    env.filters["pct"] = lambda x: f"{100 * float(x):.1f} %"
    env.filters["num"] = lambda x: f"{int(x):,}"
    env.filters["clip"] = lambda s, n=80: s if len(str(s)) <= n else str(s)[: n - 1] + "…"
    env.filters["safe_text"] = safe_text
    return env


class _Invisible(dict[int, str | int]):
    """``str.translate`` table: every control, format (bidi marks and overrides, zero-width, U+061C,
    soft hyphen, tags...) and line/paragraph-separator character becomes a ``\\uXXXX`` escape; tab and
    newline stay.  Built per character as it is met (the Unicode database is asked once per character)."""

    def __missing__(self, code: int) -> str | int:
        hidden = code not in (0x09, 0x0A) and unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp")
        value: str | int = (f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}") if hidden else code
        self[code] = value
        return value


_INVISIBLE = _Invisible()


def safe_text(value: object) -> str:
    """Text with control, zero-width, bidi and other invisible format characters shown as escapes."""
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


def summarize(df: pd.DataFrame, accounting: Accounting, top: int = 20, hints: Hints | None = None,
              redacted: bool = False, jobs: int = 1) -> dict[str, Any]:
    """Every table of the report as plain data (also the ``--json`` export).

    ``redacted`` only records that the caller masked addresses (see :func:`analyzer.frame.redact`).
    With ``jobs`` > 1 the tables of :func:`_failures` and the traffic tables are made in forked processes
    meanwhile.
    """
    hints = hints or Hints.load()
    def failures_here() -> dict[str, Any]:
        return _failures(df, top, hints)

    def traffic_here() -> dict[str, Any] | None:
        return traffic_report.summary(df, traffic_of(accounting.tallies), top, hints.lang,
                                      side=accounting.compacted.side if accounting.compacted else None)

    failures = processes.forked(failures_here) if jobs > 1 else failures_here
    traffic = processes.forked(traffic_here) if jobs > 1 else traffic_here
    status = frame.by_status(df)
    counts = dict(zip(status["status"], status["count"], strict=True))
    attempts = sum(counts.get(s, 0) for s in frame.ATTEMPT_STATUSES)
    timed = df["time"].dropna()
    last = compact.last_times(df).dropna()
    weight = compact.weights(df)
    from_logs = (frame.as_string(df["parser"]) == "postfix-log").fillna(False).astype(bool)
    headline = {
        "records": int(weight.sum()),
        "attempts": attempts,
        **{s: int(counts.get(s, 0)) for s in frame.OUTCOMES},
        **rates(counts),
        "hard": int(weight.loc[df["hard"].fillna(False).astype(bool)].sum()),
        "from_logs": int(weight.loc[from_logs].sum()),
        "from_messages": int(weight.loc[~from_logs].sum()),
    }
    domains = frame.by_domain(df)
    accounting_data = accounting.to_dict()
    if redacted:
        accounting_data = _redact_strings(accounting_data)
    summary = {
        "version": __version__,
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "lang": hints.lang,
        "top": top,
        "redacted": redacted,
        "period": {"first": _plain(timed.min()) if len(timed) else None,
                   "last": _plain(last.max()) if len(last) else None},
        "headline": headline,
        "verdict": advice.verdict(headline, hints.lang),
        "actions": [], "sides": [], "advice": [],  # below, with the tables of _failures
        "status": rows(status),
        "code_classes": rows(frame.by_code_class(df)),
        "enhanced_codes": _with_hints(rows(frame.by_enhanced_code(df).head(top)), hints, "enhanced_code"),
        "reply_codes": _with_hints(rows(frame.by_reply_code(df).head(top)), hints, "code"),
        "domains": rows(domains.head(top)),
        "providers": [],
        "reasons": rows(frame.by_reason(df)),
        "inbound": rows(frame.by_reason(df.loc[df["status"] == "rejected", ["status", "reason", "hard"]])
                        .head(top)),
        "blocklists": [], "unknowns": [], "diagnostics": [],
        "timeline": rows(frame.over_time(df)),
        "timeline_left_out": frame.outside_timeline(df),
        "timeline_classes": rows(frame.over_time(df, by="code_class")),
        "domain_sections": [],
        "messages": _messages(df, top),
        "traffic": None,  # below, from its process
        "accounting": accounting_data,
    }
    items = advice.advice(df, hints)
    failed = failures()
    summary["traffic"] = _redact_strings(traffic()) if redacted else traffic()  # its senders are not df's
    summary.update(
        failed,
        actions=advice.top_actions(items),
        sides=advice.sides(items, hints.lang),
        advice=items[:top],
        domain_sections=_domain_sections(domains, failed["diagnostics"], items, top),
    )
    return summary


def _failures(df: pd.DataFrame, top: int, hints: Hints) -> dict[str, Any]:
    """The tables that look up hints, providers and blocklists per distinct value: top diagnostics,
    providers, blocklists, unknowns."""
    diagnostics = rows(frame.top_diagnostics(df, per_domain=3, limit=top))
    for row in diagnostics:
        hint = advice.hint_for(hints, row["enhanced_code"], row["smtp_code"], row["category"], row["reason"],
                               row["rule"])
        row["hint"] = hint["title"] if hint else ""
    return {
        "diagnostics": diagnostics,
        "providers": rows(providers.by_provider(providers.with_provider(df)).head(top)),
        "blocklists": rows(_outbound_first(blocklists.listings(df)).head(top)),
        "unknowns": rows(unknowns.unknowns(df, limit=top)),
    }


def _with_hints(table: list[dict[str, Any]], hints: Hints, column: str) -> list[dict[str, Any]]:
    """Each row of a code table with the title and anchor of its code's hint: every code seen has one."""
    for row in table:
        code = str(row[column] or "")
        if code.startswith("("):  # "(111)": a connection-level category
            hint = hints.get("categories", code.strip("()"))
        elif "." in code:
            hint = hints.get("enhanced", code) or hints.get("enhanced", advice.generic_code(code))
        else:
            hint = hints.get("codes", code)
        row["hint"] = hint["title"] if hint else ""
    return table


def _messages(df: pd.DataFrame, top: int) -> dict[str, Any] | None:
    """Records from bounce messages on their own: statuses, reasons with the hard/soft split, domains."""
    from_messages = df.loc[frame.as_string(df["parser"]) != "postfix-log",
                           ["status", "reason", "hard", "domain", "source", "code_class"]]
    if from_messages.empty:
        return None
    reasons = frame.by_reason(from_messages)
    hard = int(from_messages["hard"].fillna(False).sum())
    domains = (from_messages.assign(domain=from_messages["domain"].fillna("(none)"))
               .groupby("domain").agg(records=("status", "size"), hard=("hard", "sum"))
               .sort_values(["records", "hard"], ascending=False).head(top).reset_index())
    return {
        "records": len(from_messages),
        "hard": hard,
        "soft": int((from_messages["status"] == "bounced").sum()) - hard,
        "status": rows(frame.by_status(from_messages)),
        "reasons": rows(reasons.head(top)),
        "domains": rows(domains.assign(hard=domains["hard"].astype("int64"))),
    }


def _domain_sections(domains: pd.DataFrame, diagnostics: list[dict[str, Any]], items: list[dict[str, Any]],
                     top: int) -> list[dict[str, Any]]:
    """The domains with the most failures (of :func:`analyzer.frame.by_domain`), each with its figures,
    example diagnostics and hints."""
    table = domains.loc[domains["failures"] > 0].head(min(top, 10))
    sections = []
    for domain in rows(table):
        texts = [d for d in diagnostics if d["domain"] == domain["domain"]]
        hints = [{"title": i["title"], "id": i["id"], "count": i["domains"].get(domain["domain"], 0)}
                 for i in items if domain["domain"] in i.get("domains", {})]
        sections.append({**domain, "diagnostics": texts, "hints": hints})
    return sections


def _outbound_first(listings: pd.DataFrame) -> pd.DataFrame:
    """Listings of our own IPs (outbound) one row each, before the clients we refused (inbound),
    which are other people's IPs and shown as one row per list."""
    if listings.empty:
        return listings.assign(clients=pd.Series(dtype="Int64"))
    outbound = listings.loc[listings["direction"] == "outbound"].assign(clients=pd.NA)
    inbound = (
        listings.loc[listings["direction"] == "inbound"]
        .groupby("list", as_index=False)
        .agg(direction=("direction", "first"), clients=("item", "nunique"), count=("count", "sum"),
             first_seen=("first_seen", "min"), last_seen=("last_seen", "max"), domains=("domains", "sum"),
             example=("example", "first"), url=("url", "first"), how_en=("how_en", "first"),
             how_de=("how_de", "first"))
    )
    parts = [outbound.sort_values("count", ascending=False), inbound.sort_values("count", ascending=False)]
    return pd.concat(parts, ignore_index=True)


def _redact_strings(value: Any) -> Any:
    """Mask addresses in every string of a nested structure."""
    if isinstance(value, str):
        return frame.redact_text(value)
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_strings(v) for k, v in value.items()}
    return value


def _timeline_chart(table: list[dict[str, Any]], translate: Callable[[str], str]) -> dict[str, Any] | None:
    from . import charts as draw

    return draw.timeline(table, frame.TIMELINE_STATUSES, translate=translate)


def _classes_chart(table: list[dict[str, Any]], translate: Callable[[str], str]) -> dict[str, Any] | None:
    from . import charts as draw

    return draw.timeline(table, frame.CODE_CLASSES, height=190, translate=translate)


def _domains_chart(table: list[dict[str, Any]], translate: Callable[[str], str]) -> dict[str, Any] | None:
    from . import charts as draw

    domains = [d for d in table if d["failures"]][:10]
    return draw.bars([safe_text(d["domain"]) for d in domains], [d["failures"] for d in domains],
                     translate("Domains by failed attempts"))


def _providers_chart(table: list[dict[str, Any]], translate: Callable[[str], str]) -> dict[str, Any] | None:
    from . import charts as draw

    provider_rows = [p for p in table if p["failures"] and p["provider"] != "other"][:10]
    return draw.bars([safe_text(p["label"]) for p in provider_rows], [p["failures"] for p in provider_rows],
                     translate("Providers by failed attempts"))


def _reasons_chart(table: list[dict[str, Any]], translate: Callable[[str], str]) -> dict[str, Any] | None:
    from . import charts as draw

    reasons = table[:12]
    return draw.bars([r["reason"] for r in reasons], [r["count"] for r in reasons],
                     translate("Failures by reason"), color="#6d4c41")


def _hours_chart(traffic: dict[str, Any] | None, translate: Callable[[str], str]) -> dict[str, Any] | None:
    """The per-hour traffic of the last two weeks (of the traffic summary)."""
    from . import charts as draw

    rows = [{**row, "time": row["hour"]} for row in (traffic or {}).get("per_hour", [])[-14 * 24:]]
    return draw.timeline(rows, HOURLY, height=190, translate=translate)


def _trend_chart(trends: dict[str, Any] | None, translate: Callable[[str], str]) -> dict[str, Any] | None:
    """Records per day over the nights of the state store (``--state``)."""
    from . import charts as draw
    from .trends import CHART_STATUSES

    return draw.timeline((trends or {}).get("per_day", []), CHART_STATUSES, height=190, translate=translate)


#: Each chart of the report: its template, the summary table it draws, and its geometry.
CHARTS: dict[str, tuple[str, str, Callable[..., dict[str, Any] | None]]] = {
    "timeline": ("timeline", "timeline", _timeline_chart),
    "classes": ("timeline", "timeline_classes", _classes_chart),
    "domains": ("bars", "domains", _domains_chart),
    "providers": ("bars", "providers", _providers_chart),
    "reasons": ("bars", "reasons", _reasons_chart),
    "hours": ("timeline", "traffic", _hours_chart),
    "trend": ("timeline", "trends", _trend_chart),
}


def chart_svg(name: str, table: Any, lang: str = "en") -> str | None:
    """One chart of :data:`CHARTS` as SVG, from the rows of its summary table; None with nothing to draw."""
    kind, _, geometry = CHARTS[name]
    catalog = _catalog(lang)
    chart = geometry(table, lambda text: catalog.get(text, text))
    return _environment(lang).get_template(f"charts/{kind}.svg.j2").render(c=chart) if chart else None


def charts(summary: dict[str, Any]) -> dict[str, str | None]:
    """The report's charts as SVG data URIs (HTML only; not part of the JSON export)."""
    lang = summary.get("lang", "en")
    drawn = {name: chart_svg(name, summary.get(table), lang) for name, (_, table, _) in CHARTS.items()}
    return {name: _svg_uri(svg) if svg else None for name, svg in drawn.items()}




def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


#: The templates each output renders with.
HTML_TEMPLATES = ("report.html.j2", "partials/traffic.html.j2", "charts/bars.svg.j2",
                  "charts/timeline.svg.j2")
TEXT_TEMPLATES = ("summary.txt.j2",)


def prepare(lang: str = "en", html: bool = True, text: bool = True) -> None:
    """Compile ahead of rendering the templates of the outputs asked for (the HTML report's take
    about a third of a second)."""
    environment = _environment(lang)
    for name in (*(HTML_TEMPLATES if html else ()), *(TEXT_TEMPLATES if text else ())):
        environment.get_template(name)


def render(template: str, summary: dict[str, Any], **extra: Any) -> str:
    """One template rendered with the summary."""
    return _environment(summary.get("lang", "en")).get_template(template).render(s=summary, **extra)


def render_html(summary: dict[str, Any]) -> str:
    """The self-contained HTML report (charts drawn here; the summary stays plain data)."""
    script = _environment().get_template("partials/table.js").render()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return render("report.html.j2", summary, charts=charts(summary), script=script,
                  script_hash=f"sha256-{digest}")


def render_history(history: dict[str, Any], html: bool) -> str:
    """The history of a state store (``analyze history``): its trend section alone, HTML or text."""
    if not html:
        return render("history.txt.j2", history)
    svg = chart_svg("trend", history["trends"], history.get("lang", "en"))
    return render("history.html.j2", history, charts={"trend": _svg_uri(svg) if svg else None})


def render_text(summary: dict[str, Any]) -> str:
    """The plain-text summary for cron mail."""
    return render("summary.txt.j2", summary)


def write_atomic(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], object], binary: bool = False
) -> None:
    """Write through a temporary file in the same directory, then rename it into place.

    A symlink is followed (its target is replaced); a device or FIFO (``/dev/stdout``) is written as a
    stream, never replaced, and so is ``-``, standard output.  A new file gets the mode the umask allows,
    an existing one keeps its mode.  Any failure is an ``OSError`` that names ``path``.
    """
    if os.fspath(path) == STDOUT:
        stream = sys.stdout.buffer if binary else sys.stdout
        try:
            write(stream)
            stream.flush()
        except OSError as error:  # a reader that stopped early (| head): no second error at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise OSError(error.errno, error.strerror, "standard output") from None
        return
    options: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
    mode = "wb" if binary else "w"
    target = Path(os.path.realpath(path))
    try:
        if target.exists() and not target.is_file():
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            with open(target, mode, **options) as out:  # a device or FIFO: a stream
                write(out)
            return
        keep = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
        _remove_stale_temporaries(target)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=target.parent)
    except OSError as error:
        raise OSError(error.errno, error.strerror, os.fspath(path)) from None
    try:
        with os.fdopen(handle, mode, **options) as out:
            write(out)
        os.chmod(temp, keep)
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, os.fspath(path)) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files of ``target`` that a killed run left (its process id is gone)."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = stale.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not processes.alive(int(pid)):
            stale.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (reading it means setting it: set it back at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Atomically write ``text``."""
    write_atomic(path, lambda out: out.write(text))


#: A cell a spreadsheet would run as a formula (OWASP's CSV injection list): =, +, -, @, tab, CR.
_FORMULA = r"^[=+\-@\t\r]"


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that starts like a formula prefixed with ``'`` (shown, not run)."""
    changed = {}
    for name, dtype in df.dtypes.items():
        if dtype == frame.STRING or isinstance(dtype, pd.CategoricalDtype):
            text = frame.as_string(df[name])
            risky = text.str.contains(_FORMULA, regex=True).fillna(False).astype(bool)
            if risky.any():
                changed[name] = text.where(~risky, "'" + text)
    return df.assign(**changed) if changed else df


def write_csv(path: str | os.PathLike[str], df: pd.DataFrame, formulas: bool = False) -> None:
    """Every record, one row each, export columns first; text that starts like a spreadsheet formula
    gets a leading ``'`` unless ``formulas`` (for machine readers)."""
    out_df = df if formulas else neutralise_formulas(df)
    write_atomic(path, lambda out: out_df.to_csv(out, index=False))


def write_rows(path: str | os.PathLike[str], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows as CSV with a header (the suppression list); cells that start like a formula are
    neutralised as in ``--csv``."""
    import csv

    def write(out: IO[Any]) -> None:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([_neutral(cell) for cell in row] for row in rows)

    write_atomic(path, write)


def _neutral(cell: object) -> object:
    return "'" + cell if isinstance(cell, str) and re.match(_FORMULA, cell) else cell


def write_json(path: str | os.PathLike[str], summary: dict[str, Any]) -> None:
    """The summary tables and the accounting as JSON."""
    write_text(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def write_parquet(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Every record as Parquet (through pyarrow), for notebooks."""
    write_atomic(path, lambda out: df.to_parquet(out, index=False), binary=True)
