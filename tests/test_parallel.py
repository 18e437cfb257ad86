"""Parsing in byte ranges on several processes gives exactly the sequential result."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from analyzer import processes
from analyzer.engine import plan, work
from analyzer.formats import mailbox, postfix_log
from analyzer.pipeline import read_frame
from analyzer.records import Accounting

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["time", "host", "queue_id", "sender", "recipient", "status", "enhanced_code", "smtp_code", "reason",
           "hard", "rule", "source", "diagnostic", "size", "delay", "delays"]


def both(path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    sequential, split = Accounting(), Accounting()
    one = read_frame([str(path)], sequential, jobs=1)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, chunk)
    monkeypatch.setitem(plan.CHUNK_BYTES, mailbox.NAME, chunk)
    many = read_frame([str(path)], split, jobs=2)
    return one, many, sequential.to_dict(), split.to_dict()


def test_log_ranges_join_senders_across_ranges(generate, monkeypatch: pytest.MonkeyPatch) -> None:
    log, _ = generate("--lines", "20000", "--seed", "21")
    one, many, acc_one, acc_many = both(log, monkeypatch, chunk=200_000)
    assert len(list(plan.ranges(parallel_input(log)))) > 5
    pd.testing.assert_frame_equal(one[COLUMNS].astype(str), many[COLUMNS].astype(str))
    assert acc_one["lines"] == acc_many["lines"]


def test_mbox_ranges_number_messages_like_the_sequential_reader(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    sample = (ROOT / "samples" / "bounces.mbox").read_bytes()
    mbox = tmp_path / "many.mbox"
    mbox.write_bytes(sample.rstrip(b"\n") + b"\n\n" + sample.rstrip(b"\n") + b"\n\n" + sample)
    one, many, acc_one, acc_many = both(mbox, monkeypatch, chunk=3_000)
    assert plan.worth_splitting(parallel_input(mbox))
    pd.testing.assert_frame_equal(one[COLUMNS].astype(str), many[COLUMNS].astype(str))
    assert acc_one["messages"] == acc_many["messages"]
    numbers = many["source"].str.extract(r"#(\d+)$")[0].astype(int)
    assert numbers.max() >= 15 and numbers.is_monotonic_increasing


def parallel_input(path: Path):
    from analyzer.formats import sniff
    from analyzer.sources import open_inputs

    return next(open_inputs([str(path)], sniff))


def test_compressed_log_is_spooled_and_split(generate, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import gzip

    log, _ = generate("--lines", "20000", "--seed", "22")
    packed = tmp_path / "mail.log.1.gz"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)
    assert plan.worth_spooling(parallel_input(packed), 2)
    one, many = Accounting(), Accounting()
    sequential = read_frame([str(packed)], one, jobs=1)
    split = read_frame([str(packed)], many, jobs=2)
    pd.testing.assert_frame_equal(sequential[COLUMNS].astype(str), split[COLUMNS].astype(str))
    assert one.to_dict()["lines"] == many.to_dict()["lines"]
    assert split["source"].str.startswith(f"{packed}:").all()


def test_the_command_opens_its_inputs_before_it_imports_pandas() -> None:
    """Importing the command does not load pandas (start-up stays short), and a run opens its inputs
    first; pandas then loads once, before worker processes are forked (they inherit it)."""
    probe = "import sys, analyzer.cli, analyzer.pipeline, analyzer.engine; print('pandas' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
    # and a run, with the options that parse before reading (--fail-on), opens its inputs first
    run = ("import sys, analyzer.engine as p\nopen_inputs = p.open_inputs\n"
           "def first(*a, **k):\n    print('pandas' in sys.modules, file=sys.stderr)\n    return open_inputs(*a, **k)\n"
           "p.open_inputs = first\nfrom analyzer.cli import main\n"
           f"main(['{ROOT / 'samples' / 'maillog'}', '-q', '--fail-on', 'bounce_rate>0.99'])\n")
    started = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True)
    assert started.stderr.splitlines()[0] == "False", started.stderr


def test_ranges_are_equal_and_cover_the_file(generate) -> None:
    log, _ = generate("--lines", "20000", "--seed", "3")
    source = parallel_input(log)
    tasks = list(plan.ranges(source, 2))
    assert len(tasks) == plan.range_count(source, 2) or len(tasks) == plan.range_count(source, 2) - 1
    assert tasks[0].start == 0 and tasks[-1].end == log.stat().st_size
    assert all(a.end == b.start for a, b in pairwise(tasks))
    lines = log.read_bytes().count(b"\n")
    assert [t.first for t in tasks][1:] == [1 + log.read_bytes()[: t.start].count(b"\n") for t in tasks[1:]]
    assert tasks[-1].first <= lines


def test_no_room_for_the_ranges_tables_sends_them_through_the_pipe(generate, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    log, _ = generate("--lines", "20000", "--seed", "8")
    expected = read_frame([str(log)], Accounting(), jobs=1)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)
    full = tmp_path / "full"
    full.mkdir()
    full.chmod(0o500)  # the ranges' tables cannot be written there (as on a full disk)
    monkeypatch.setattr(tempfile, "tempdir", str(full))
    if os.access(full, os.W_OK):  # running as root: make the writing fail instead
        monkeypatch.setattr(work, "write_table", _no_room)
    accounting = Accounting()
    got = read_frame([str(log)], accounting, jobs=2)
    pd.testing.assert_frame_equal(expected[COLUMNS].astype(str), got[COLUMNS].astype(str))
    assert accounting.to_dict()["lines"]["read"] == 20000


def _no_room(*_: object) -> None:
    raise OSError(28, "No space left on device")


def test_a_helper_that_cannot_start_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork(self: object) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(processes.multiprocessing.get_context("fork").Process, "start", no_fork)
    assert processes.forked(lambda: "here")() == "here"


def test_a_file_mixing_offset_and_local_stamps_reads_the_same_in_ranges(generate, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The first half carries UTC offsets, the second half classic stamps (a syslog change mid-file)."""
    log, _ = generate("--lines", "20000", "--seed", "12", "--format", "rfc3339", "--tz", "+02:00")
    lines = log.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    classic = [re.sub(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)\S*",
                      lambda m: f"{MONTHS[int(m[2]) - 1]} {int(m[3]):2d} {m[4]}", line) for line in lines[half:]]
    mixed = tmp_path / "mixed.log"
    mixed.write_text("".join(lines[:half] + classic))
    one, many, _, _ = both(mixed, monkeypatch, chunk=200_000)
    assert one["time"].dt.tz is None  # mixed: the wall clock as written
    pd.testing.assert_frame_equal(one[COLUMNS].astype(str), many[COLUMNS].astype(str))


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _processes_reading(path: Path) -> list[int]:
    """Process ids whose command line names ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_a_terminated_run_leaves_no_workers_spools_or_tracebacks(tmp_path: Path, generate) -> None:
    import signal
    import time

    log, _ = generate("--lines", "400000", "--seed", "21")
    copy = tmp_path / "big.log"
    copy.write_bytes(log.read_bytes())
    spool = tmp_path / "tmp"
    spool.mkdir()
    (spool / "analyzer-ranges-999999999-stale").mkdir()  # left by a killed run whose process is gone
    env = {**os.environ, "TMPDIR": str(spool)}
    run = subprocess.Popen([sys.executable, "-m", "analyzer", str(copy), "-j", "2", "--html", str(tmp_path / "r.html")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(spool.glob("analyzer-ranges-*-*/*.arrow")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the workers are writing their first ranges
    assert not (spool / "analyzer-ranges-999999999-stale").exists()
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM, stderr
    assert b"Traceback" not in stderr, stderr.decode()[-2000:]
    time.sleep(0.5)
    assert _processes_reading(copy) == []
    assert list(spool.iterdir()) == [] and not (tmp_path / "r.html").exists()


def test_the_unread_part_of_a_log_is_parsed_in_ranges_like_in_one_process(generate, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """--state: the second night reads only the lines added, in byte ranges, with the senders in flight."""
    from analyzer.store import open_store

    source, _ = generate("--lines", "30000", "--seed", "8")
    lines = source.read_bytes().splitlines(keepends=True)
    results = {}
    for jobs in (1, 2):
        log, state = tmp_path / f"mail{jobs}.log", tmp_path / f"state{jobs}.db"
        log.write_bytes(b"".join(lines[:9000]))
        with open_store(state) as store:
            read_frame([str(log)], Accounting(), jobs=jobs, store=store)
            store.finish([str(log)], 0, 0, 0)
        log.write_bytes(b"".join(lines))
        if jobs == 2:
            monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)
        accounting = Accounting()
        with open_store(state) as store:
            results[jobs] = read_frame([str(log)], accounting, jobs=jobs, store=store)
            store.finish([str(log)], 0, 0, 0)
        assert accounting.total("lines", "read") == len(lines) - 9000
        assert accounting.total("lines", "earlier") == 9000
    one, many = (results[j][COLUMNS].reset_index(drop=True) for j in (1, 2))
    for frame in (one, many):  # the line numbers, not the two files' names
        frame["source"] = frame["source"].astype(str).str.rsplit(":", n=1).str[1]
    pd.testing.assert_frame_equal(one, many)
    assert one["sender"].notna().sum() > 0
