"""--engine dask: the same ranges on a Dask LocalCluster of 2 workers give the local engine's records
and report data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.engine import plan
from analyzer.formats import postfix_log
from analyzer.pipeline import read_frame
from analyzer.records import Accounting

pytest.importorskip("distributed")

COLUMNS = ["time", "host", "queue_id", "sender", "recipient", "status", "enhanced_code", "reason", "hard",
           "rule", "source", "diagnostic", "size", "delay"]


def test_a_local_cluster_of_two_workers_gives_the_local_result(generate, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.engine.dask import Dask

    log, _ = generate("--lines", "20000", "--seed", "4")
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)
    local_accounting, dask_accounting = Accounting(), Accounting()
    local = read_frame([str(log)], local_accounting, jobs=2)
    engine = Dask(workers=2)
    try:
        assert engine.cores == 2
        on_dask = read_frame([str(log)], dask_accounting, engine=engine)
    finally:
        engine.close()
    pd.testing.assert_frame_equal(local[COLUMNS], on_dask[COLUMNS])
    assert local_accounting.to_dict()["lines"] == dask_accounting.to_dict()["lines"]
    assert dask_accounting.tallies[0].traffic.events == local_accounting.tallies[0].traffic.events


def test_the_command_reports_the_same_on_dask(generate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, _ = generate("--lines", "20000", "--seed", "4")
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)  # ranges, on both engines
    ran: list[int] = []
    from analyzer.engine.dask import Dask

    original = Dask.submit

    def counted(self, unit, classifier):
        ran.append(1)
        return original(self, unit, classifier)

    monkeypatch.setattr(Dask, "submit", counted)
    reports = {}
    for engine in ("local", "dask"):
        js = tmp_path / f"{engine}.json"
        result = CliRunner().invoke(main, [str(log), "--engine", engine, "-j", "2", "--json", str(js), "-q"])
        assert result.exit_code == 0, result.output
        data = json.loads(js.read_text())
        reports[engine] = {k: data[k] for k in ("headline", "reasons", "domains", "traffic")}
    assert reports["local"] == reports["dask"]
    assert len(ran) >= 2  # the ranges were parsed by the cluster's workers


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("x\n")
    result = CliRunner().invoke(main, [str(log), "--scheduler", "tcp://127.0.0.1:9", "-q"])
    assert result.exit_code == 2 and "Dask scheduler" in result.output and "Traceback" not in result.output
