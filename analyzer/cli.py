"""The ``analyze`` command: a thin click layer over the library; errors become one line and exit 2."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import sys
import tomllib
from pathlib import Path

import click
import pyarrow as pa

from . import __version__, sources
from .classify import Classifier, load_rules, merge_rules
from .hints import LANGUAGES, Hints
from .pipeline import read_frame
from .processes import gc_paused, jobs_available
from .records import Accounting
from .sources import InputError, expand

EXIT_USAGE = 2
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
        real = os.path.realpath(path)
        if real in seen:
            raise UsageFailure(f"{option} {path}: the same file as {seen[real]}")
        seen[real] = f"{option} {path}"
    if not seen:
        return
    try:
        named = {os.path.realpath(getattr(item, "path", item))
                 for item in expand(list(inputs)) if item != "-"}
    except InputError as error:
        raise UsageFailure(str(error)) from None
    for real, where in seen.items():
        if real in named:
            raise UsageFailure(f"{where}: is one of the inputs; refusing to overwrite it")


def _prepare_report(lang: str) -> None:
    """Load pandas and the report's modules and templates (while worker processes parse).

    Imports make no garbage worth collecting: without the collector they take 15 % less time.
    """
    with gc_paused():
        from . import report

        report.prepare(lang)


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
@click.option("--quiet", "-q", is_flag=True, help="Print no summary on stdout.")
def run(inputs: tuple[str, ...], html_path: str | None, text_path: str | None, csv_path: str | None,
         csv_raw: bool, json_path: str | None, parquet_path: str | None, top: int, lang: str,
         hints_file: str | None, redact_addresses: bool, jobs: int | None, max_expand: int,
         quiet: bool) -> None:
    """Analyze logs and bounces (the default command: `analyze INPUT...`).

    INPUT is a file, a directory (its files; a Maildir as a whole), a glob or - for stdin;
    .gz, .bz2 and .xz files are read by content, whatever their name.
    """
    sources.MAX_EXPAND = max_expand
    # SIGTERM (and SIGHUP) unwind like an exception: worker pools end, spool folders and temporary
    # output files are removed; the exit status is the usual 128 + signal number
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)
    _check_outputs(inputs, {"--html": html_path, "--text": text_path, "--csv": csv_path, "--json": json_path,
                            "--parquet": parquet_path})
    # Arrow's default allocator (mimalloc) made this short-lived process 3 % slower, measured on a
    # 1M-line log: most of its Arrow memory is written once and freed at exit.
    pa.set_memory_pool(pa.system_memory_pool())
    hints, classifier = _knowledge(lang, hints_file)
    accounting = Accounting()
    try:
        df = read_frame(list(inputs), accounting, classifier=classifier, jobs=jobs,
                        while_parsing=lambda: _prepare_report(lang))
    except InputError as error:
        raise UsageFailure(str(error)) from None
    from .frame import redact
    from .report import render_html, render_text, summarize, write_csv, write_json, write_parquet, write_text

    if redact_addresses:
        df = redact(df)
    for warning in accounting.warnings:
        click.echo(f"analyze: warning: {warning}", err=True)
    gc.freeze()  # what exists now lives until the end: the collections while summarising skip it
    summary = summarize(df, accounting, top=top, hints=hints, redacted=redact_addresses,
                        jobs=jobs or jobs_available())
    try:
        if html_path:
            write_text(html_path, render_html(summary))
        if csv_path:
            write_csv(csv_path, df, formulas=csv_raw)
        if parquet_path:
            write_parquet(parquet_path, df)
        if json_path:
            write_json(json_path, summary)
        text = render_text(summary)
        if text_path:
            write_text(text_path, text)
        elif not quiet:
            click.echo(text, nl=False)
    except OSError as error:
        raise UsageFailure(f"cannot write {error.filename}: {error.strerror or error}") from None
    # The process ends next: its last garbage collection need not walk every object it made
    # (a tenth of a second after a large log).
    gc.freeze()


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
