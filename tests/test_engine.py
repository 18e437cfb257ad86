"""The engine: one plan of work units for every input, run here or in processes, reduced in order."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.engine import Processes, Progress, plan, read_frame
from analyzer.formats import postfix_log
from analyzer.records import Accounting

COLUMNS = ["time", "host", "queue_id", "sender", "recipient", "status", "enhanced_code", "reason", "rule",
           "source", "diagnostic", "size", "delay", "delays"]


def test_many_hosts_logs_are_split_and_parsed_together_like_one_by_one(generate, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Several hosts' logs, plain and compressed: ranges of all of them go to the pool together, and
    the result equals reading them one after the other in this process."""
    logs = []
    for number, host in enumerate(("mx1", "mx2", "mx3")):
        log, _ = generate("--lines", "8000", "--seed", str(30 + number), "--hostname", host)
        logs.append(log)
    packed = tmp_path / "mx3.log.gz"
    packed.write_bytes(gzip.compress(logs[2].read_bytes()))
    inputs = [str(logs[0]), str(logs[1]), str(packed)]
    one, many = Accounting(), Accounting()
    sequential = read_frame(inputs, one, jobs=1)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 100_000)
    submitted: list[str] = []
    original = Processes.submit

    def counted(self, unit, classifier):
        submitted.append(unit.source.name)
        return original(self, unit, classifier)

    monkeypatch.setattr(Processes, "submit", counted)
    split = read_frame(inputs, many, jobs=2)
    pd.testing.assert_frame_equal(sequential[COLUMNS].astype(str), split[COLUMNS].astype(str))
    assert one.to_dict()["lines"] == many.to_dict()["lines"]
    assert [t.source for t in many.tallies] == inputs
    assert set(submitted) == set(inputs)  # the compressed one too, from its spooled copy
    assert sorted(set(split["host"].astype(str))) == ["mx1", "mx2", "mx3"]


def test_a_unit_per_input_when_splitting_does_not_pay(generate) -> None:
    log, _ = generate("--lines", "2000", "--seed", "5")
    from analyzer.formats import sniff
    from analyzer.sources import open_inputs

    source = next(open_inputs([str(log)], sniff))
    assert not plan.worth_splitting(source)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_show_on_a_terminal_only() -> None:
    for stream, shown in ((_Terminal(), True), (io.StringIO(), False)):
        with Progress(stream=stream, delay=0) as bar:
            bar.planned(2_000_000)
            bar.reading("/var/log/mail.log", 2_000_000)
            bar.advance(1_000_000)
            bar.advance(1_000_000)
        text = stream.getvalue()
        assert ("all inputs" in text and "mail.log" in text) is shown, text
        assert (text == "") is not shown


def test_the_command_prints_no_progress_into_cron_mail(generate) -> None:
    log, _ = generate("--lines", "2000", "--seed", "5")
    result = CliRunner().invoke(main, [str(log)])
    assert result.exit_code == 0, result.output
    assert "all inputs" not in result.output and "\r" not in result.output
