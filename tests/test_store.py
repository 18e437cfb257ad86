"""The state store of nightly runs (``--state``): each rotation case, bounce mailboxes, in-flight senders,
locking, a killed run, refused stores, and nights whose records together equal one run over everything."""

from __future__ import annotations

import bz2
import csv
import gzip
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import store as store_module
from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LOG = ROOT / "samples" / "maillog"
SAMPLE_MBOX = ROOT / "samples" / "bounces.mbox"


def night(*args: str) -> dict:
    """One run with ``--state`` (args include it); its --json summary."""
    result = CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def run_json(tmp_path: Path, *inputs: Path | str, state: Path) -> dict:
    js = tmp_path / "night.json"
    night(*map(str, inputs), "--state", str(state), "--json", str(js))
    return json.loads(js.read_text())["accounting"]


def run_csv(tmp_path: Path, *inputs: Path | str, state: Path | None, name: str) -> list[tuple]:
    """The records of one run, as CSV rows (time, host, queue id, sender, recipient, status, diagnostic,
    size)."""
    out = tmp_path / f"{name}.csv"
    extra = ["--state", str(state)] if state is not None else []
    night(*map(str, inputs), *extra, "--csv", str(out))
    with open(out, newline="") as handle:
        return [(r["time"], r["host"], r["queue_id"], r["sender"], r["recipient"], r["status"], r["diagnostic"],
                 r["size"]) for r in csv.DictReader(handle)]


@pytest.fixture
def lines() -> list[bytes]:
    return SAMPLE_LOG.read_bytes().splitlines(keepends=True)


def test_a_log_that_did_not_change_is_not_read_again(tmp_path: Path, lines: list[bytes]) -> None:
    log, state = tmp_path / "mail.log", tmp_path / "state.db"
    log.write_bytes(b"".join(lines))
    first = run_json(tmp_path, log, state=state)
    again = run_json(tmp_path, log, state=state)
    assert first["lines"]["read"] == len(lines) and first["records"] > 0
    assert again["lines"]["read"] == 0 and again["records"] == 0 and again["lines"]["earlier"] == len(lines)


def test_appended_lines_are_read_once_and_a_line_being_written_waits(tmp_path: Path, lines: list[bytes]) -> None:
    log, state = tmp_path / "mail.log", tmp_path / "state.db"
    half = len(lines) // 2
    log.write_bytes(b"".join(lines[:half]) + lines[half][:20])  # the last line is not finished
    first = run_csv(tmp_path, log, state=state, name="1")
    with open(log, "ab") as out:
        out.write(lines[half][20:] + b"".join(lines[half + 1:]))
    second = run_csv(tmp_path, log, state=state, name="2")
    whole = run_csv(tmp_path, log, state=None, name="whole")
    assert sorted(first + second) == sorted(whole)
    assert first and second


def test_rename_then_compression_is_recognised_by_content(tmp_path: Path, lines: list[bytes]) -> None:
    """mail.log -> mail.log.1 (with lines added before rotation) -> mail.log.2.gz: each line read once."""
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    third = len(lines) // 3
    (folder / "mail.log").write_bytes(b"".join(lines[:third]))
    nights = [run_csv(tmp_path, folder, state=state, name="1")]
    with open(folder / "mail.log", "ab") as out:  # written before the rotation, after the first run
        out.write(b"".join(lines[third:2 * third]))
    os.rename(folder / "mail.log", folder / "mail.log.1")
    (folder / "mail.log").write_bytes(b"".join(lines[2 * third:]))
    nights.append(run_csv(tmp_path, folder, state=state, name="2"))
    rotated = folder / "mail.log.1"
    (folder / "mail.log.2.gz").write_bytes(gzip.compress(rotated.read_bytes()))
    rotated.unlink()
    os.rename(folder / "mail.log", folder / "mail.log.1")
    (folder / "mail.log").write_bytes(b"")
    nights.append(run_csv(tmp_path, folder, state=state, name="3"))
    assert nights[2] == []  # everything was read before
    whole = tmp_path / "whole.log"
    whole.write_bytes(b"".join(lines))
    assert sorted(nights[0] + nights[1]) == sorted(run_csv(tmp_path, whole, state=None, name="whole"))


def test_lines_added_to_a_file_compressed_later_are_read_from_the_compressed_file(
        tmp_path: Path, lines: list[bytes]) -> None:
    state = tmp_path / "state.db"
    log = tmp_path / "mail.log"
    log.write_bytes(b"".join(lines[:1000]))
    run_csv(tmp_path, log, state=state, name="1")
    packed = tmp_path / "mail.log.1.bz2"
    packed.write_bytes(bz2.compress(b"".join(lines[:1500])))  # 500 more lines before it was rotated
    log.unlink()
    accounting = run_json(tmp_path, packed, state=state)
    assert accounting["lines"]["read"] == 500 and accounting["lines"]["earlier"] == 1000


def test_copytruncate_and_a_new_file_under_an_old_name(tmp_path: Path, lines: list[bytes]) -> None:
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    log = folder / "mail.log"
    log.write_bytes(b"".join(lines[:1000]))
    run_json(tmp_path, folder, state=state)
    with open(log, "ab") as out:
        out.write(b"".join(lines[1000:1200]))
    (folder / "mail.log.1").write_bytes(log.read_bytes())  # copytruncate: copy, then truncate in place
    inode = log.stat().st_ino
    with open(log, "r+b") as out:
        out.truncate(0)
        out.write(b"".join(lines[1200:1500]))
    assert log.stat().st_ino == inode
    accounting = run_json(tmp_path, folder, state=state)
    by_source = {Path(t["source"]).name: t for t in accounting["inputs"]}
    assert by_source["mail.log.1"]["read"] == 200 and by_source["mail.log.1"]["earlier"] == 1000
    assert by_source["mail.log"]["read"] == 300 and by_source["mail.log"]["earlier"] == 0
    # replaced by another file under the same name: read whole
    log.write_bytes(b"".join(lines[2000:2400]))
    accounting = run_json(tmp_path, log, state=state)
    assert accounting["lines"]["read"] == 400 and accounting["lines"]["earlier"] == 0


def test_dated_rotations(tmp_path: Path, lines: list[bytes]) -> None:
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    (folder / "mail.log").write_bytes(b"".join(lines[:800]))
    run_json(tmp_path, folder, state=state)
    os.rename(folder / "mail.log", folder / "mail.log-20261201")
    (folder / "mail.log").write_bytes(b"".join(lines[800:1000]))
    accounting = run_json(tmp_path, folder, state=state)
    assert accounting["lines"]["read"] == 200 and accounting["lines"]["earlier"] == 800


def test_senders_in_flight_cross_nights(tmp_path: Path, generate) -> None:
    """A generated log cut into nights: every night's records together equal one run over all of it,
    senders of queue ids whose qmgr line was in an earlier night included."""
    log_path, _ = generate("--lines", "6000", "--seed", "21")
    lines = log_path.read_bytes().splitlines(keepends=True)
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    log = folder / "mail.log"
    log.write_bytes(b"")
    nights = []
    cuts = [0, 1500, 2600, 4100, 6000]
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        with open(log, "ab") as out:
            out.write(b"".join(lines[start:end]))
        nights += run_csv(tmp_path, folder, state=state, name=str(number))
        if number == 1:
            os.rename(log, folder / "mail.log.1")
            log.write_bytes(b"")
    whole = run_csv(tmp_path, log_path, state=None, name="whole")
    assert sorted(nights) == sorted(whole)
    assert sum(1 for row in nights if row[3]) == sum(1 for row in whole if row[3])
    assert sum(1 for row in nights if row[7]) == sum(1 for row in whole if row[7]) > 0  # sizes too
    in_flight = sqlite3.connect(state).execute("SELECT count(*) FROM in_flight").fetchone()[0]
    assert in_flight > 0  # some messages were still queued at the end


def test_old_in_flight_ids_are_dropped_and_counted(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    log = tmp_path / "mail.log"
    log.write_bytes(b"Mar  1 00:00:01 mx postfix/qmgr[2]: ABC123: from=<a@example.org>, size=10, nrcpt=1 "
                    b"(queue active)\n")
    run_json(tmp_path, log, state=state)
    db = sqlite3.connect(state)
    assert db.execute("SELECT count(*) FROM in_flight").fetchone()[0] == 1
    db.execute("UPDATE in_flight SET since = '2020-01-01T00:00:00+00:00'")
    db.commit()
    db.close()
    accounting = run_json(tmp_path, log, state=state)
    assert any("1 Postfix queue ids in flight" in w for w in accounting["warnings"])
    assert sqlite3.connect(state).execute("SELECT count(*) FROM in_flight").fetchone()[0] == 0


def test_bounce_messages_already_seen_are_not_counted_again(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    mbox = tmp_path / "bounces.mbox"
    data = SAMPLE_MBOX.read_bytes()
    mbox.write_bytes(data)
    first = run_json(tmp_path, mbox, state=state)
    messages = first["messages"]["read"]
    assert messages > 0
    extra = (b"From MAILER-DAEMON Tue Dec  1 00:00:00 2026\nFrom: MAILER-DAEMON@example.net\n"
             b"To: alice@example.org\nSubject: Undelivered Mail Returned to Sender\n"
             b"Message-ID: <new-bounce-1@example.net>\n\n"
             b"<carol@example.com>: host mx.example.com[192.0.2.7] said: 550 5.1.1 <carol@example.com>: "
             b"Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)\n")
    mbox.write_bytes(data + b"\n" + extra)
    second = run_json(tmp_path, mbox, state=state)
    assert second["messages"]["read"] == 1 and second["messages"]["earlier"] == messages
    assert second["records"] == 1


def test_since_and_until_select_a_window(tmp_path: Path) -> None:
    js = tmp_path / "w.json"
    night(str(SAMPLE_LOG), "--json", str(js))
    whole = json.loads(js.read_text())
    first, last = (datetime.fromisoformat(whole["period"][end]) for end in ("first", "last"))
    night(str(SAMPLE_LOG), "--json", str(js), "--since", (first + (last - first) / 2).isoformat(),
          "--until", "2100-01-01")
    part = json.loads(js.read_text())
    assert 0 < part["headline"]["records"] < whole["headline"]["records"]
    assert part["accounting"]["outside_window"] == whole["headline"]["records"] - part["headline"]["records"]
    for bad in ("--since", "--until"):
        result = CliRunner().invoke(main, [str(SAMPLE_LOG), bad, "the day after never", "-q"])
        assert result.exit_code == 2 and "not a time" in result.output


def test_a_second_run_on_a_busy_store_waits_then_exits_2(tmp_path: Path, monkeypatch) -> None:
    state = tmp_path / "state.db"
    run_json(tmp_path, SAMPLE_LOG, state=state)
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(store_module, "LOCK_WAIT", 0.2)
    result = CliRunner().invoke(main, [str(SAMPLE_LOG), "--state", str(state), "-q"])
    holder.execute("ROLLBACK")
    assert result.exit_code == 2 and "another run is using this state store" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_corrupt_or_foreign_stores_are_refused(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "state.db"
    if content:
        state.write_bytes(content)
    else:
        sqlite3.connect(state).execute("CREATE TABLE other (x)").connection.commit()
    before = state.read_bytes()
    result = CliRunner().invoke(main, [str(SAMPLE_LOG), "--state", str(state), "-q"])
    assert result.exit_code == 2 and "state store" in result.output
    assert state.read_bytes() == before  # never replaced


def test_a_store_of_another_version_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    run_json(tmp_path, SAMPLE_LOG, state=state)
    db = sqlite3.connect(state)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    result = CliRunner().invoke(main, [str(SAMPLE_LOG), "--state", str(state), "-q"])
    assert result.exit_code == 2 and "schema version 99" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_run_killed_half_way_leaves_the_store_and_outputs_as_they_were(tmp_path: Path,
                                                                         lines: list[bytes]) -> None:
    log, state, js = tmp_path / "mail.log", tmp_path / "state.db", tmp_path / "r.json"
    log.write_bytes(b"".join(lines[:1000]))
    run_json(tmp_path, log, state=state)
    night(str(log), "--state", str(state), "--json", str(js))
    before = js.read_bytes()
    with open(log, "ab") as out:
        out.write(b"".join(lines[1000:]))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # the run reads the grown log (its new lines go into the store's open transaction), then waits on
    # the FIFO; it is killed there
    process = subprocess.Popen([sys.executable, "-m", "analyzer", str(log), str(fifo), "--state", str(state),
                                "--json", str(js), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writer = os.open(fifo, os.O_WRONLY)  # blocks until the run opens the FIFO
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    os.close(writer)
    assert js.read_bytes() == before
    accounting = run_json(tmp_path, log, state=state)
    assert accounting["lines"]["read"] == len(lines) - 1000 and accounting["lines"]["earlier"] == 1000


def test_thirty_nights_equal_the_generators_truth(tmp_path: Path, generate) -> None:
    """30 nights, each a generated day (``--start``), rotated as logrotate does (.1, then .2.gz ...):
    the records of all nights together equal the truths of all days."""
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    expected: Counter = Counter()
    counted: Counter = Counter()
    for day in range(1, 31):
        log, truth = generate("--lines", "1500", "--seed", str(day), "--start", f"2026-11-{day:02d}T00:00:00")
        expected.update(json.loads(truth.read_text())["delivery_attempts"]["by_status"])
        for number in range(4, 0, -1):  # mail.log.N.gz -> .N+1.gz; mail.log.1 -> .2.gz; keep four
            older = folder / (f"mail.log.{number}.gz" if number > 1 else "mail.log.1")
            if older.exists():
                target = folder / f"mail.log.{number + 1}.gz"
                if number == 1:
                    target.write_bytes(gzip.compress(older.read_bytes()))
                    older.unlink()
                elif number == 4:
                    older.unlink()
                else:
                    os.rename(older, target)
        if (folder / "mail.log").exists():
            os.rename(folder / "mail.log", folder / "mail.log.1")
        (folder / "mail.log").write_bytes(log.read_bytes())
        rows = run_csv(tmp_path, folder, state=state, name=f"night{day}")
        counted.update(row[5] for row in rows if row[5] in ("sent", "deferred", "bounced"))
    assert counted == expected
    runs = sqlite3.connect(state).execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs == 30


def test_the_state_command_shows_and_resets_a_store(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    run_json(tmp_path, SAMPLE_LOG, state=state)
    shown = CliRunner().invoke(main, ["state", str(state)])
    assert shown.exit_code == 0 and "1 runs" in shown.output and "maillog (plain): read to byte" in shown.output
    held = json.loads(CliRunner().invoke(main, ["state", str(state), "--json"]).output)
    assert held["files"][0]["units"] == len(SAMPLE_LOG.read_bytes().splitlines())
    other = tmp_path / "notes.txt"
    other.write_text("not a store")
    refused = CliRunner().invoke(main, ["state", str(other), "--reset"])
    assert refused.exit_code == 2 and other.exists()
    assert CliRunner().invoke(main, ["state", str(state), "--reset"]).exit_code == 0 and not state.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_two_runs_at_once_the_second_exits_2_and_the_first_completes(tmp_path: Path, monkeypatch,
                                                                     lines: list[bytes]) -> None:
    log, state, js = tmp_path / "mail.log", tmp_path / "state.db", tmp_path / "first.json"
    log.write_bytes(b"".join(lines))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    first = subprocess.Popen([sys.executable, "-m", "analyzer", str(log), str(fifo), "--state", str(state),
                              "--json", str(js), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writer = os.open(fifo, os.O_WRONLY)  # the first run holds the store and waits on the FIFO
    monkeypatch.setattr(store_module, "LOCK_WAIT", 0.5)
    second = CliRunner().invoke(main, [str(log), "--state", str(state), "-q"])
    os.close(writer)  # the first run reads an empty pipe and completes
    assert first.wait(timeout=60) == 0, first.stderr.read()
    assert second.exit_code == 2 and "another run is using this state store" in second.output
    assert json.loads(js.read_text())["accounting"]["lines"]["read"] == len(lines)
    assert run_json(tmp_path, log, state=state)["lines"]["earlier"] == len(lines)


ADDITIVE = ("received", "delivered", "forwarded", "deferrals", "bounced", "rejected", "reject_warnings", "held",
            "discarded", "bytes_received", "bytes_delivered", "content_filter_hops")


def traffic_night(inputs: list[Path], state: Path | None, jobs: int) -> tuple[dict, object]:
    """One run through the library: its traffic summary and its merged Traffic."""
    from analyzer.pipeline import read_frame
    from analyzer.records import Accounting, traffic_of
    from analyzer.report import summarize

    accounting = Accounting()
    if state is None:
        df = read_frame([str(p) for p in inputs], accounting, jobs=jobs)
        return summarize(df, accounting, top=5)["traffic"], traffic_of(accounting.tallies)
    with store_module.open_store(state) as store:
        df = read_frame([str(p) for p in inputs], accounting, jobs=jobs, store=store)
        summary = summarize(df, accounting, top=5)["traffic"]
        store.finish([str(p) for p in inputs], 0, 0, len(df))
    return summary, traffic_of(accounting.tallies)


@pytest.mark.parametrize("jobs", [1, 2])
def test_traffic_of_two_nights_equals_one_run(tmp_path: Path, generate, monkeypatch, jobs: int) -> None:
    """A log cut into two nights right after smtpd's client= line of a message (its qmgr line, and so its
    sender and size, in the second night), inside open smtpd connections and TLS sessions: the nights'
    traffic figures add up to those of one run over the whole log, senders and their bytes included."""
    from analyzer.engine import plan
    from analyzer.formats import postfix_log

    if jobs > 1:
        monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 150_000)
    log_path, _ = generate("--lines", "8000", "--seed", "23")
    lines = log_path.read_bytes().splitlines(keepends=True)
    cut = next(n for n in range(4000, 8000) if b": client=" in lines[n - 1] and b"/smtpd[" in lines[n - 1])
    folder, state = tmp_path / "log", tmp_path / "state.db"
    folder.mkdir()
    log = folder / "mail.log"
    log.write_bytes(b"".join(lines[:cut]))
    first, first_traffic = traffic_night([folder], state, jobs)
    carried = dict(sqlite3.connect(state).execute("SELECT kind, count(*) FROM carried GROUP BY kind").fetchall())
    assert carried["arrived"] >= 1 and carried["connects"] >= 1 and carried["tls_sessions"] >= 1
    with open(log, "ab") as out:
        out.write(b"".join(lines[cut:]))
    second, second_traffic = traffic_night([folder], state, jobs)
    whole, whole_traffic = traffic_night([log_path], None, jobs)
    assert {k: first[k] + second[k] for k in ADDITIVE} == {k: whole[k] for k in ADDITIVE}
    for table in ("senders", "sending_domains"):
        nights = Counter()
        for traffic in (first_traffic, second_traffic):
            for key, (messages, size) in getattr(traffic, table).items():
                nights[(key, "messages")] += messages
                nights[(key, "bytes")] += size
        assert nights == Counter({(key, name): value for key, row in getattr(whole_traffic, table).items()
                                  for name, value in zip(("messages", "bytes"), row, strict=True)}), table
    for part in ("connections", "connects", "tls", "total_seconds"):
        assert first["smtpd"][part] + second["smtpd"][part] == whole["smtpd"][part], part
    assert Counter(first_traffic.tls_deliveries) + Counter(second_traffic.tls_deliveries) == Counter(
        whole_traffic.tls_deliveries)


def test_stores_made_before_the_carried_table_gain_it_and_old_entries_expire(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    log = tmp_path / "mail.log"
    log.write_bytes(b"Mar  1 00:00:01 mx postfix/smtpd[7]: connect from mail.example.net[192.0.2.7]\n"
                    b"Mar  1 00:00:02 mx postfix/smtpd[7]: 4F1A2B3C4D: client=mail.example.net[192.0.2.7]\n")
    run_json(tmp_path, log, state=state)
    db = sqlite3.connect(state)
    assert db.execute("SELECT kind, host, key FROM carried ORDER BY kind").fetchall() == [
        ("arrived", "mx", "4F1A2B3C4D"), ("connects", "mx", "postfix/smtpd[7]: ")]
    db.execute("DROP TABLE carried")  # as a store of schema version 1 made before the table was
    db.commit()
    run_json(tmp_path, log, state=state)
    assert db.execute("SELECT count(*) FROM carried").fetchone()[0] == 0  # there again, empty
    log.write_bytes(log.read_bytes() + b"Mar  1 00:00:03 mx postfix/smtpd[8]: connect from x.example.org[192.0.2.8]\n")
    run_json(tmp_path, log, state=state)
    db.execute("UPDATE carried SET since = '2020-01-01T00:00:00+00:00'")
    db.commit()
    run_json(tmp_path, log, state=state)
    assert db.execute("SELECT count(*) FROM carried").fetchone()[0] == 0
