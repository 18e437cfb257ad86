"""Compacted runs (successful deliveries added up into weighted rows, analyzer.compact) give the same
report data as runs that hold every record: summary JSON, text summary, daily store rows, alerts and
the suppression list."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from conftest import shared_path

from analyzer import compact
from analyzer.cli import main
from analyzer.engine import plan
from analyzer.formats import postfix_log
from analyzer.records import Record
from analyzer.table import to_table

ROOT = Path(__file__).resolve().parents[1]
#: Alerts whose counts read every status (some hold, some do not).
ALERTS = ("deferred>=1", "sent>1000000", "bounce_rate>0.0001", "failures>=1", "provider:google.sent>=1",
          "domain:example.com.deferred>=1", "hard>=1")


def outputs(tmp_path: Path, inputs: list[str], *options: str, full: bool) -> dict:
    """What one run reports, read back from its outputs; ``full`` holds every record (--no-compact)."""
    out = tmp_path / ("full" if full else "compact")
    out.mkdir()
    listed = "--redact" not in options  # a suppression list needs the whole addresses
    args = [*inputs, "--json", str(out / "summary.json"), "--text", str(out / "summary.txt"),
            "--state", str(out / "state.db"), *(("--suppress", str(out / "suppress.csv")) if listed else ()),
            *(item for alert in ALERTS for item in ("--fail-on", alert)), *options]
    result = CliRunner().invoke(main, [*args, "--no-compact"] if full else args)
    assert result.exit_code in (0, 1) and isinstance(result.exception, SystemExit | None), result.output
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("generated")
    with sqlite3.connect(out / "state.db") as db:
        daily = sorted(db.execute("SELECT * FROM daily").fetchall(), key=repr)
        listings = sorted(db.execute("SELECT * FROM listings").fetchall(), key=repr)
    return {"summary": summary, "text": (out / "summary.txt").read_text(), "daily": daily,
            "listings": listings, "suppress": (out / "suppress.csv").read_text() if listed else "",
            "alerts": [line for line in result.output.splitlines() if "ALERT" in line],
            "exit": result.exit_code}


def assert_same(tmp_path: Path, inputs: list[str], *options: str) -> dict:
    """The full and the compacted run report the same; the compacted one's outputs."""
    full = outputs(tmp_path, inputs, *options, full=True)
    compacted = outputs(tmp_path, inputs, *options, full=False)
    for name in full:
        assert compacted[name] == full[name], name
    return compacted


def rows_of(inputs: list[str]) -> tuple[int, int]:
    """(records, rows) of a compacted read."""
    from analyzer.engine import read_frame
    from analyzer.records import Accounting

    accounting = Accounting()
    df = read_frame(inputs, accounting, jobs=1, compact=True)
    return int(df["weight"].sum()), len(df)


def test_samples_report_the_same(tmp_path: Path) -> None:
    compacted = assert_same(tmp_path, [str(ROOT / "samples")])
    assert compacted["summary"]["headline"]["sent"] > 0


def test_generated_hosts_with_offsets_gzipped_and_split_report_the_same(
        generate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = generate("-n", "60000", "-s", "5", "--hostname", "mx1")
    second, _ = generate("-n", "40000", "-s", "6", "--hostname", "mx2", "-f", "rfc3339", "--tz=+05:30")
    packed = tmp_path / "mx2.log.gz"
    with open(second, "rb") as raw, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(raw, out)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 1_500_000)  # ranges on 2 processes
    compacted = assert_same(tmp_path, [str(first), str(packed)], "-j", "2")
    lifecycle = compacted["summary"]["traffic"]["lifecycle"]
    assert lifecycle["sent"] > 0 and compacted["alerts"] and compacted["daily"]
    records, rows = rows_of([str(first)])
    assert rows < records * 0.8  # the sent rows were added up


def test_a_split_log_with_a_utc_offset_reports_the_same(generate, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    log, _ = generate("-n", "50000", "-s", "7", "-f", "rfc3339", "--tz=-03:00", "--rate", "5")
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 1_000_000)
    assert_same(tmp_path, [str(log)], "-j", "2", "--redact")


def test_dropping_the_deliveries_after_a_deferral_changes_the_report(
        generate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, _ = generate("-n", "30000", "-s", "8")
    full = outputs(tmp_path, [str(log)], full=True)
    collapse = compact.collapse
    monkeypatch.setattr(compact, "collapse", lambda table, deferred=None: collapse(table, None))
    mutated = outputs(tmp_path, [str(log)], full=False)
    assert mutated["summary"]["traffic"]["lifecycle"] != full["summary"]["traffic"]["lifecycle"]


@pytest.mark.parametrize("corpus", ["lightmeter", "vignemail1", "fail2ban"])
def test_real_logs_report_the_same(corpus: str, tmp_path: Path) -> None:
    assert_same(tmp_path, [str(shared_path("corpus", "postfix", corpus))])


def record(minute: int, status: str = "sent", queue_id: str = "Q1", recipient: str = "a@example.org",
           delay: float = 1.25, delays: str = "0.01/0/0.24/1") -> Record:
    return Record(time=datetime(2026, 3, 1, 10, 0) + timedelta(minutes=minute), host="mx", queue_id=queue_id,
                  sender="s@example.net", recipient=recipient, domain="example.org", status=status,
                  smtp_code="250" if status == "sent" else "450", enhanced_code=None, code_class=None,
                  diagnostic=f"250 2.0.0 Ok: queued as {queue_id}", remote_mta="mx.example.org", reason=None,
                  hard=None, source=f"mail.log:{minute}", parser="postfix-log", size=1000, delay=delay,
                  delays=delays)


def test_derive_counts_each_record_once_and_its_delays_in_microseconds() -> None:
    table = compact.derive(to_table([record(1), record(2, delays="bad")]))
    assert table["weight"].to_pylist() == [1, 1]
    assert table["delay_us"].to_pylist() == [1_250_000, 1_250_000]
    assert table["connection_us"].to_pylist() == [240_000, None]
    assert table["queued_as"].to_pylist() == [True, True]
    assert table["last_time"].to_pylist() == table["time"].to_pylist()


def test_collapse_adds_up_an_hour_of_deliveries_and_keeps_the_rest() -> None:
    records = [record(1, queue_id="Q1"), record(2, queue_id="Q2", recipient="b@example.org", delay=3.0),
               record(3, "deferred", queue_id="Q3"), record(4, queue_id="Q3"), record(70, queue_id="Q4")]
    table = compact.derive(to_table(records))
    deferred = compact._keys(table.filter(pa.array([r.status == "deferred" for r in records])))
    collapsed, recipients, delays = compact.collapse(table, deferred)
    rows = collapsed.to_pylist()
    assert [r["status"] for r in rows[:2]] == ["deferred", "sent"]  # kept: the deferral, the delivery after it
    assert rows[1]["queue_id"] == "Q3" and rows[1]["weight"] == 1
    grouped = {r["time"].hour: r for r in rows[2:]}
    assert grouped[10]["weight"] == 2 and grouped[10]["size"] == 2000 and grouped[10]["queue_id"] is None
    assert grouped[10]["delay_us"] == 4_250_000 and grouped[10]["delay_max"] == 3.0
    assert grouped[10]["last_time"] == datetime(2026, 3, 1, 10, 2) and grouped[10]["source"] == "mail.log"
    assert grouped[11]["weight"] == 1
    assert sorted(recipients.to_pylist(), key=repr) == [
        {"recipient": "a@example.org", "forwarded": False, "count": 2, "bytes": 2000},
        {"recipient": "b@example.org", "forwarded": False, "count": 1, "bytes": 1000}]
    assert dict(zip(delays["delay"].to_pylist(), delays["count"].to_pylist(), strict=True)) == {1.25: 2, 3.0: 1}


def test_a_delivery_only_the_fallback_classified_stays_a_record() -> None:
    unknown = record(5, queue_id="Q5").replace(reason="undefined")
    collapsed, _, _ = compact.collapse(to_table([record(1), unknown]))
    assert [(r["queue_id"], r["weight"]) for r in collapsed.to_pylist()] == [("Q5", 1), (None, 1)]


def test_the_weighted_quantile_is_that_of_the_values_one_by_one() -> None:
    import pandas as pd

    values = [0.5, 0.5, 1.0, 2.5, 2.5, 2.5, 9.0]
    counts = pd.Series(values).value_counts().sort_index()
    for q in (0.0, 0.1, 0.5, 0.95, 1.0):
        assert compact.quantile(counts, q) == pd.Series(values).quantile(q)


def test_a_frame_without_weights_counts_one_per_row() -> None:
    from analyzer.frame import by_status, to_frame

    df = to_frame([record(1), record(2, "deferred")])
    assert compact.weights(df).tolist() == [1, 1]
    assert by_status(df)["count"].tolist() == [1, 1]


def test_a_log_read_in_many_units_reports_as_read_in_one(generate, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each unit's tally and traffic figures are merged as the unit is reduced (engine.reduce.Reduction)
    and its compacted table is kept apart, concatenated and converted column by column: the report is
    that of one unit; a run that merges no unit's traffic figures shows the comparison can fail."""
    from analyzer.traffic import Traffic

    log, _ = generate("-n", "40000", "-s", "9")
    (tmp_path / "one").mkdir()
    whole = outputs(tmp_path / "one", [str(log)], full=False)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 400_000)  # about 16 units, on 2 processes
    (tmp_path / "many").mkdir()
    split = outputs(tmp_path / "many", [str(log)], "-j", "2", full=False)
    for name in whole:
        assert split[name] == whole[name], name
    monkeypatch.setattr(Traffic, "add", lambda self, other: None)
    (tmp_path / "mutated").mkdir()
    mutated = outputs(tmp_path / "mutated", [str(log)], "-j", "2", full=False)
    assert mutated["summary"]["traffic"] != whole["summary"]["traffic"]


def test_tables_are_concatenated_and_converted_column_by_column() -> None:
    from analyzer.frame import from_table
    from analyzer.table import concat_tables, kept_apart

    parts = [to_table([record(1), record(2, "deferred")]), to_table([record(3, recipient="b@example.org")])]
    expected = from_table(pa.concat_tables(parts).unify_dictionaries().combine_chunks())
    tables = [kept_apart(part) for part in parts]
    assert [t.to_pylist() for t in tables] == [t.to_pylist() for t in parts]
    combined = concat_tables(tables)
    assert combined.to_pylist() == pa.concat_tables(parts).to_pylist()
    assert from_table(combined).equals(expected)  # its chunks combined there, column by column
