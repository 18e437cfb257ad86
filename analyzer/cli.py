"""The ``analyze`` command: a thin click layer over the library; errors become one line and exit 2."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, sources
from .classify import Classifier, load_rules, merge_rules
from .hints import LANGUAGES, Hints
from .pipeline import read_frame
from .processes import jobs_available
from .records import Accounting
from .sources import Found, InputError, expand

if TYPE_CHECKING:
    from .alerts import Alert
    from .engine.dask import Dask
    from .store import Store

EXIT_USAGE = 2
#: at least one --fail-on alert holds
EXIT_ALERT = 1
CONTEXT = {"help_option_names": ["-h", "--help"]}


class UsageFailure(click.ClickException):
    """An unreadable input or unwritable output: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE


def _knowledge(lang: str, hints_file: str | None) -> tuple[Hints, Classifier | None]:
    """The hints in ``lang`` and, with a user file, a classifier that includes its rules."""
    if hints_file is None:
        return Hints.load(lang), None
    try:
        user_rules = load_rules(Path(hints_file))
        return Hints.load(lang, Path(hints_file)), Classifier(merge_rules(load_rules(), user_rules))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, re.error) as error:
        raise UsageFailure(f"{hints_file}: not a usable hints file: {error}") from None


class Moment(click.ParamType):
    """A point in time: ``today``, ``yesterday`` (midnight), ``now``, a span back from now (``24h``, ``7d``,
    ``90min``) or a timestamp (``2026-12-01``, ``2026-12-01 06:00``, ``2026-12-01T06:00:00+01:00``);
    read by pandas (naive times are this machine's local time)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import pandas as pd

        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        today = pd.Timestamp.now().normalize()
        if text in ("today", "yesterday"):
            return today - pd.Timedelta(days=text == "yesterday")
        try:
            return pd.Timestamp.now() - pd.Timedelta(text)
        except ValueError:
            pass
        try:
            moment = pd.Timestamp(value.strip())
        except ValueError:
            moment = pd.NaT
        if moment is pd.NaT:
            self.fail(f"{value!r} is not a time (today, yesterday, 24h, 7d, 2026-12-01, 2026-12-01 06:00)",
                      param, ctx)
        return moment


def _stop(number: int, _frame: object) -> None:
    raise SystemExit(128 + number)


def _check_outputs(inputs: tuple[str, ...], outputs: dict[str, str | None]) -> None:
    """Refuse an empty output path, two outputs to one file, and an output that is one of the inputs."""
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        if not path.strip():
            raise UsageFailure(f"{option}: empty file name")
        if path == "-" and option == "--state":
            raise UsageFailure("--state -: the store must be a file")
        real = os.path.realpath(path)
        if real in seen:
            raise UsageFailure(f"{option} {path}: the same file as {seen[real]}")
        seen[real] = f"{option} {path}"
    if not seen:
        return
    try:
        named = {os.path.realpath(item.path if isinstance(item, Found) else item)
                 for item in expand(list(inputs)) if item != "-"}
    except InputError as error:
        raise UsageFailure(str(error)) from None
    for real, where in seen.items():
        if real in named:
            raise UsageFailure(f"{where}: is one of the inputs; refusing to overwrite it")


def _prepare_report(lang: str, html: bool, text: bool) -> None:
    """Load pandas and the report's modules and the templates the run writes with (while worker
    processes parse)."""
    from . import report

    report.prepare(lang, html=html, text=text)


class _AnalysisByDefault(click.Group):
    """A group whose first argument, when it names no command, starts ``analyze run``.

    So ``analyze INPUT...`` keeps working beside ``analyze COMMAND ...``; an input file that has a
    command's name is given as ``./NAME`` or after ``run``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in (*ctx.help_option_names, "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write("Usage: analyze [OPTIONS] INPUT...   (analyze run)\n"
                        "   or: analyze COMMAND [ARGS]...\n")


@click.group(cls=_AnalysisByDefault, context_settings=CONTEXT, no_args_is_help=True)
@click.version_option(__version__, "--version", prog_name="analyze", message="%(prog)s %(version)s")
def main() -> None:
    """Analyze Postfix logs and bounce messages and report what bounced, why, and what to do.

    `analyze INPUT...` runs the analysis (see `analyze run --help` for its options).
    """


@main.command("run", context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Write the self-contained HTML report to this file.")
@click.option("--text", "text_path", type=click.Path(dir_okay=False),
              help="Write the plain-text summary to this file instead of stdout.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write every record, one row each, as CSV.")
@click.option("--csv-raw", "csv_raw", is_flag=True,
              help="Keep text that starts with = + - @ as it is in --csv (default: a leading ' so that "
                   "spreadsheets do not run it as a formula).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Write the summary tables and the input accounting as JSON.")
@click.option("--parquet", "parquet_path", type=click.Path(dir_okay=False),
              help="Write every record as Parquet, for notebooks.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="Rows in each table of the report.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the hints and verdict.")
@click.option("--hints", "hints_file", type=click.Path(dir_okay=False, exists=True),
              help="Your own TOML file of hints and reason rules, added to or overriding the bundled ones.")
@click.option("--redact", "redact_addresses", is_flag=True,
              help="Mask the local parts of addresses (keep domains) in every output.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Processes for parsing large plain log files (default: all CPU cores).")
@click.option("--max-expand", type=click.IntRange(0), default=sources.MAX_EXPAND, show_default=True,
              help="Stop reading a compressed input that expands more than this many times its size "
                   "(0: no limit).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where large plain inputs are parsed: local processes, or a Dask cluster (needs the "
                   "'dask' extra; inputs at the same path on every worker).")
@click.option("--scheduler", metavar="ADDRESS",
              help="The Dask scheduler to use (tcp://host:8786); without it --engine dask starts a local "
                   "cluster of --jobs workers.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False),
              help="An SQLite state store (created when missing): read only what earlier runs with "
                   "this store have not read, and remember what this run read (see the README).")
@click.option("--since", type=Moment(), help="Report only records from this time on (today, yesterday, "
              "24h, 7d, 2026-12-01 06:00).")
@click.option("--until", type=Moment(), help="Report only records before this time (same forms as --since).")
@click.option("--suppress", "suppress_path", type=click.Path(dir_okay=False),
              help="Write the addresses to stop mailing as CSV: hard recipient-side failures at once, soft "
                   "ones that repeat over several nights (needs --state for those; see the README).")
@click.option("--fail-on", "fail_on", multiple=True, metavar="EXPR",
              help="Exit with status 1, one line on stderr, when this holds (repeatable): bounce_rate>0.05, "
                   "deferred>=100, provider:google.bounce_rate>2%, domain:example.com.deferred>100, "
                   "blocklisted, new_reason:authfailure, bounce_rate>2x7d (see the README).")
@click.option("--no-compact", "full_records", is_flag=True,
              help="Hold every record in memory, as --csv, --parquet, --since and --until do; by default "
                   "successful deliveries are added up per hour as they are read (the report is the same).")
@click.option("--quiet", "-q", is_flag=True, help="Print no summary on stdout.")
def run(inputs: tuple[str, ...], html_path: str | None, text_path: str | None, csv_path: str | None,
         csv_raw: bool, json_path: str | None, parquet_path: str | None, top: int, lang: str,
         hints_file: str | None, redact_addresses: bool, jobs: int | None, max_expand: int,
         engine: str, scheduler: str | None, state_path: str | None, since: Any, until: Any,
         suppress_path: str | None, fail_on: tuple[str, ...], full_records: bool, quiet: bool) -> None:
    """Analyze logs and bounces (the default command: `analyze INPUT...`).

    INPUT is a file, a directory (its files; a Maildir as a whole), a glob or - for stdin;
    .gz, .bz2 and .xz files are read by content, whatever their name. An output FILE of - is
    stdout (then the summary is not printed there).
    """
    sources.MAX_EXPAND = max_expand
    # SIGTERM (and SIGHUP) unwind like an exception: worker pools end, spool folders and temporary
    # output files are removed; the exit status is the usual 128 + signal number
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)
    _check_outputs(inputs, {"--html": html_path, "--text": text_path, "--csv": csv_path, "--json": json_path,
                            "--parquet": parquet_path, "--suppress": suppress_path, "--state": state_path})
    if suppress_path and redact_addresses:
        raise UsageFailure("--suppress with --redact: a suppression list needs the whole addresses")
    alerts = _alerts(fail_on, state_path)
    hints, classifier = _knowledge(lang, hints_file)
    with ExitStack() as stack:
        store = None if state_path is None else stack.enter_context(_opened_store(state_path))
        cluster = None if engine == "local" and scheduler is None else stack.enter_context(
            _dask_engine(scheduler, jobs))
        fired = _analyze(inputs, store, _Outputs(html_path, text_path, csv_path, csv_raw, json_path,
                                                 parquet_path, suppress_path),
                         hints, classifier, top=top, lang=lang, redact_addresses=redact_addresses, jobs=jobs,
                         since=since, until=until, quiet=quiet, alerts=alerts, engine=cluster,
                         compact=not (full_records or csv_path or parquet_path or since or until))
    for line in fired:
        click.echo(f"analyze: ALERT {line}", err=True)
    if fired:
        raise SystemExit(EXIT_ALERT)


def _alerts(expressions: tuple[str, ...], state_path: str | None) -> list[Alert]:
    """The --fail-on expressions parsed, or a usage error naming the bad one."""
    if not expressions:
        return []
    from .alerts import AlertError, parse

    try:
        alerts = [parse(text) for text in expressions]
    except AlertError as error:
        raise UsageFailure(f"--fail-on {error}") from None
    for alert in alerts:
        if alert.needs_history and state_path is None:
            raise UsageFailure(f"--fail-on {alert.text!r}: compares with earlier runs, which needs --state")
    return alerts


@dataclass
class _Outputs:
    html: str | None
    text: str | None
    csv: str | None
    csv_raw: bool
    json: str | None
    parquet: str | None
    suppress: str | None

    def to_stdout(self) -> bool:
        """Whether one of the outputs is ``-``, standard output (the summary then stays off it)."""
        return "-" in (self.html, self.text, self.csv, self.json, self.parquet, self.suppress)


@contextmanager
def _dask_engine(scheduler: str | None, jobs: int | None) -> Iterator[Dask]:
    """A Dask engine for the run, closed at its end; a missing Dask or scheduler is a usage error."""
    try:
        from .engine.dask import Dask
    except ImportError as error:
        raise UsageFailure(f"--engine dask: {error}") from None
    try:
        engine = Dask(scheduler, workers=jobs)
    except InputError as error:
        raise UsageFailure(str(error)) from None
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def _opened_store(path: str) -> Iterator[Store]:
    from .store import StoreError, open_store

    try:
        with open_store(path) as store:
            yield store
    except StoreError as error:
        raise UsageFailure(str(error)) from None


def _analyze(inputs: tuple[str, ...], store: Store | None, out: _Outputs, hints: Hints,
             classifier: Classifier | None, *, top: int, lang: str, redact_addresses: bool, jobs: int | None,
             since: Any, until: Any, quiet: bool, alerts: list[Alert], engine: Dask | None = None,
             compact: bool = False) -> list[str]:
    """Read, summarise, write every output, then commit the store (a run killed before leaves it
    as the last complete run did); the alerts that hold.  With ``compact``, successful deliveries
    are collapsed into weighted rows as they are read (:mod:`analyzer.compact`)."""
    accounting = Accounting()
    show_text = bool(out.text) or not (quiet or out.to_stdout())
    try:
        df = read_frame(list(inputs), accounting, classifier=classifier, jobs=jobs,
                        while_parsing=lambda: _prepare_report(lang, bool(out.html), show_text),
                        store=store, engine=engine,
                        progress=not quiet, compact=compact)
    except InputError as error:
        raise UsageFailure(str(error)) from None
    from .compact import weights
    from .frame import redact, within
    from .report import (
        render_html,
        render_text,
        summarize,
        write_csv,
        write_json,
        write_parquet,
        write_rows,
        write_text,
    )
    from .suppress import COLUMNS as SUPPRESSION_COLUMNS
    from .suppress import listed as suppression_rows
    from .suppress import update

    if since is not None or until is not None:
        kept = within(df, since, until)
        accounting.outside_window = len(df) - len(kept)
        df = kept
    if store is not None and store.dropped_in_flight:
        accounting.warnings.append(store.dropped_warning())
    side = accounting.compacted.side if accounting.compacted is not None else None
    if redact_addresses:
        df = redact(df)
        if side is not None:
            side.redact()
    for warning in accounting.warnings:
        click.echo(f"analyze: warning: {warning}", err=True)
    summary = summarize(df, accounting, top=top, hints=hints, redacted=redact_addresses,
                        jobs=jobs or jobs_available())
    from .alerts import History, check
    from .trends import daily_rows, days_before, trends

    run_day = _run_day(df)
    history = None
    if store is not None:  # this run's aggregates join the history (committed with the rest below)
        history = History(store.daily_rows(), run_day)
        store.add_daily(daily_rows(df, run_day))
        store.add_listings(run_day, _our_listings(df))
        summary["trends"] = trends(store.daily_rows(since_day=days_before(run_day, 60)), run_day, top=top)
        summary["trends"]["new_listings"] = store.new_listings(run_day)
    try:
        if out.html:
            write_text(out.html, render_html(summary))
        if out.csv:
            write_csv(out.csv, df, formulas=out.csv_raw)
        if out.parquet:
            write_parquet(out.parquet, df)
        if out.json:
            write_json(out.json, summary)
        if out.suppress:
            entries = update(store.suppression() if store is not None else {}, df, run_day, side)
            write_rows(out.suppress, SUPPRESSION_COLUMNS, suppression_rows(entries))
            if store is not None:
                store.keep_suppression(entries)
        if show_text:
            text = render_text(summary)
            if out.text:
                write_text(out.text, text)
            else:
                click.echo(text, nl=False)
    except OSError as error:
        raise UsageFailure(f"cannot write {error.filename}: {error.strerror or error}") from None
    lists = [str(row["list"]) for row in summary["blocklists"] if row["direction"] == "outbound"]
    fired = check(alerts, df, lists, history)
    if store is not None:
        store.finish(list(inputs), accounting.total("lines", "read"), accounting.total("messages", "read"),
                     int(weights(df).sum()))
    return fired


def _our_listings(df: Any) -> list[tuple[str, str, int]]:
    """(list, item, count) of the blocklistings in refusals of our mail."""
    from .blocklists import listings

    table = listings(df)
    ours = table.loc[table["direction"] == "outbound"]
    return [(str(name), item if isinstance(item, str) else "", int(count))
            for name, item, count in zip(ours["list"], ours["item"], ours["count"], strict=True)]


def _run_day(df: Any) -> str:
    """The day a run reports on: that of its latest record (today without any)."""
    from datetime import date

    from .compact import last_times

    times = last_times(df).dropna()
    if times.empty:
        return date.today().isoformat()
    latest = times.max()
    if latest.tzinfo is not None:
        latest = latest.tz_convert("UTC")
    return latest.strftime("%Y-%m-%d")


@main.command("state", context_settings=CONTEXT)
@click.argument("state_path", metavar="STORE", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print what the store holds as JSON.")
@click.option("--reset", is_flag=True,
              help="Delete the store: the next run reads every input from the start.")
def state(state_path: str, as_json: bool, reset: bool) -> None:
    """Show what a --state store holds: the files read and up to where, the last runs."""
    from .store import StoreError, describe

    if reset:
        try:
            describe(state_path)  # refuses what is not a store (never deletes another file)
            os.unlink(state_path)
        except (StoreError, OSError) as error:
            raise UsageFailure(str(error)) from None
        click.echo(f"analyze: {state_path}: deleted; the next run with --state reads everything again")
        return
    try:
        held = describe(state_path)
    except StoreError as error:
        raise UsageFailure(str(error)) from None
    if as_json:
        click.echo(json.dumps(held, indent=2))
        return
    click.echo(f"{held['store']}: schema {held['schema_version']}, {held['runs']} runs, "
               f"{held['in_flight']} queue ids in flight, {held['messages_seen']} bounce messages seen")
    for run_row in held["last_runs"][:5]:
        click.echo(f"  run {run_row['started']}: {run_row['lines']} lines, {run_row['messages']} messages, "
                   f"{run_row['records']} records, {run_row['seconds']:.1f} s (analyze {run_row['version']})")
    for row in held["files"]:
        kind = "compressed" if row["compressed"] else "plain"
        click.echo(f"  {row['path']} ({kind}): read to byte {row['offset']:,} ({row['units']:,} lines), "
                   f"last read {row['last_read']}")


@main.command("explain", context_settings=CONTEXT)
@click.argument("words", nargs=-1, required=True, metavar="TEXT...")
@click.option("--status", type=click.Choice(["sent", "deferred", "bounced", "expired", "rejected"]),
              help="The status the reply came with (default: by its code, 5xx bounced, 4xx deferred).")
@click.option("--command", "smtp_command", metavar="COMMAND",
              help="The SMTP command the reply answered (RCPT, DATA, ...) when the text does not say.")
@click.option("--domain", metavar="DOMAIN",
              help="The recipient's domain (or address): it selects a provider's own wording, as in a run.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the hint.")
@click.option("--hints", "hints_file", type=click.Path(dir_okay=False, exists=True),
              help="Your own TOML file of hints and reason rules, added to or overriding the bundled ones.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain(words: tuple[str, ...], status: str | None, smtp_command: str | None, domain: str | None,
            lang: str, hints_file: str | None, as_json: bool) -> None:
    """Explain one reply text: its reason, hard or soft, the rule that decided, a blocklist, the hint.

    TEXT is the reply or Postfix status text (its words may be given unquoted); - reads one text
    per line from stdin.
    """
    from .explainer import explain as explain_text

    hints, classifier = _knowledge(lang, hints_file)
    texts = sys.stdin.read().splitlines() if words == ("-",) else [" ".join(words)]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise UsageFailure("nothing to explain: the text is empty")
    explained = [explain_text(text, status=status, command=smtp_command, domain=domain, hints=hints,
                                classifier=classifier)
                 for text in texts]
    if as_json:
        data = [e.to_dict() for e in explained]
        click.echo(json.dumps(data[0] if words != ("-",) else data, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(str(e) for e in explained), nl=False)


@main.command("history", context_settings=CONTEXT)
@click.argument("state_path", metavar="STORE", type=click.Path(dir_okay=False, exists=True))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660),
              help="Days the history covers, up to the last day in the store.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the history as HTML.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the history as JSON.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Rows of each kind in the comparison table.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the texts.")
def history(state_path: str, days: int, html_path: str | None, json_path: str | None, top: int,
            lang: str) -> None:
    """Trends from a --state store alone, without reading logs: per day, against the 7 and 30 days
    before, and what is new on the last day."""
    from datetime import datetime

    from .report import render_history, write_json, write_text
    from .store import StoreError, open_store
    from .trends import days_before, trends

    _check_outputs((), {"--html": html_path, "--json": json_path})
    try:
        with open_store(state_path) as store:
            last = store.last_day()
            rows = store.daily_rows(since_day=days_before(last, days + 31)) if last else []
            listings = store.new_listings(last) if last else []
    except StoreError as error:
        raise UsageFailure(str(error)) from None
    data = {"store": state_path, "lang": lang, "version": __version__,
            "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
            "trends": {**trends(rows, last or datetime.now().date().isoformat(), days=days, top=top),
                       "new_listings": listings}}
    try:
        if html_path:
            write_text(html_path, render_history(data, html=True))
        if json_path:
            write_json(json_path, data)
    except OSError as error:
        raise UsageFailure(f"cannot write {error.filename}: {error.strerror or error}") from None
    click.echo(render_history(data, html=False), nl=False)
