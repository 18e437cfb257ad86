"""The ``analyze`` command: a thin click layer over the library; errors become one line and exit 2."""

from __future__ import annotations

import click

from . import __version__
from .hints import Hints
from .pipeline import read_frame
from .records import Accounting
from .report import render_html, render_text, summarize, write_csv, write_json, write_text
from .sources import InputError

EXIT_USAGE = 2


class UsageFailure(click.ClickException):
    """An unreadable input or unwritable output: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the self-contained HTML report to this file.")
@click.option("--text", "text_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the plain-text summary to this file instead of stdout.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, writable=True),
              help="Write every record, one row each, as CSV.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the summary tables and the input accounting as JSON.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="Rows in each table of the report.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Processes for parsing large plain log files (default: all CPU cores).")
@click.option("--quiet", "-q", is_flag=True, help="Print no summary on stdout.")
@click.version_option(__version__, "--version", prog_name="analyze", message="%(prog)s %(version)s")
def main(inputs: tuple[str, ...], html_path: str | None, text_path: str | None, csv_path: str | None,
         json_path: str | None, top: int, jobs: int | None, quiet: bool) -> None:
    """Analyze Postfix logs and bounce messages and report what bounced, why, and what to do.

    INPUT is a file, a directory (its files), a glob or - for stdin; .gz, .bz2 and .xz
    files are read by content, whatever their name.
    """
    accounting = Accounting()
    try:
        df = read_frame(list(inputs), accounting, jobs=jobs)
    except InputError as error:
        raise UsageFailure(str(error)) from None
    for warning in accounting.warnings:
        click.echo(f"analyze: warning: {warning}", err=True)
    summary = summarize(df, accounting, top=top, hints=Hints.load())
    try:
        if html_path:
            write_text(html_path, render_html(summary))
        if csv_path:
            write_csv(csv_path, df)
        if json_path:
            write_json(json_path, summary)
        text = render_text(summary)
        if text_path:
            write_text(text_path, text)
        elif not quiet:
            click.echo(text, nl=False)
    except OSError as error:
        raise UsageFailure(f"cannot write {error.filename}: {error.strerror}") from None
