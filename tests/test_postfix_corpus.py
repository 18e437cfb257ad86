"""The real Postfix logs in ../shared/corpus/postfix: no crash, every line accounted for, every delivery
status line of a delivery agent turned into a record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SHARED, shared_path

from analyzer.formats.postfix_log import DELIVERY_AGENTS
from analyzer.pipeline import read_records
from analyzer.records import Accounting

CORPUS = SHARED / "corpus" / "postfix"
LOGS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".jsonl")) \
    if CORPUS.exists() else []
DELIVERY_LINE = re.compile(r" [\w.-]+/(?:[\w.-]+/)*(\w+)\[\d+\]: [0-9A-Za-z]+: to=.* status=(sent|deferred|bounced)")


@pytest.mark.parametrize("log", LOGS, ids=[str(p.relative_to(CORPUS)) for p in LOGS])
def test_real_log(log: Path) -> None:
    accounting = Accounting()
    records = list(read_records([str(log)], accounting))
    lines = accounting.to_dict()["lines"]
    raw = log.read_text(errors="replace").splitlines()
    assert lines["read"] == len(raw)
    assert lines["used"] + lines["noise"] + lines["unparsed"] == lines["read"]
    expected = {f"{log}:{n}" for n, line in enumerate(raw, 1)
                if (m := DELIVERY_LINE.search(line)) and m.group(1) in DELIVERY_AGENTS}
    delivered = {r.source for r in records if r.status in ("sent", "deferred", "bounced")}
    assert expected <= delivered
    assert lines["unparsed"] == 0, accounting.tallies[0].examples


def test_corpus_is_present_or_skipped() -> None:
    shared_path("corpus", "postfix")
    assert LOGS


PROGRAMS = {"POSTFIX_SMTP": "smtp", "POSTFIX_LMTP": "lmtp", "POSTFIX_LOCAL": "local", "POSTFIX_PIPE": "pipe",
            "POSTFIX_VIRTUAL": "virtual", "POSTFIX_ERROR": "error", "POSTFIX_DISCARD": "discard",
            "POSTFIX_QMGR": "qmgr", "POSTFIX_SMTPD": "smtpd", "POSTFIX_POSTSCREEN": "postscreen",
            "POSTFIX_CLEANUP": "cleanup", "POSTFIX_BOUNCE": "bounce", "POSTFIX_RELAY": "smtp"}


def test_grok_messages(tmp_path: Path) -> None:
    """Message bodies from a grok pattern suite, given a syslog header of the daemon they belong to."""
    source = shared_path("corpus", "postfix", "whyscream", "grok-test-messages.jsonl")
    cases = [json.loads(line) for line in source.read_text().splitlines()]
    log = tmp_path / "grok.log"
    lines = []
    for case in cases:
        program = PROGRAMS.get(case["grok_pattern"], "anvil")
        message = " ".join(case["message"].splitlines())
        lines.append(f"Mar  1 00:00:00 mx postfix/{program}[1]: {message}")
    log.write_text("\n".join(lines) + "\n")
    accounting = Accounting()
    records = list(read_records([str(log)], accounting))
    tally = accounting.tallies[0]
    assert tally.read == len(cases)
    assert tally.unparsed == 0, tally.examples
    statuses = [re.search(r" status=([a-z]+)[ ,]", c["message"]) for c in cases
                if PROGRAMS.get(c["grok_pattern"], "") in DELIVERY_AGENTS and " to=" in c["message"]]
    outcomes = [m.group(1) for m in statuses if m and m.group(1) in ("sent", "deferred", "bounced")]
    assert sorted(r.status for r in records if r.status in ("sent", "deferred", "bounced")) == sorted(outcomes)
    assert any(r.status == "expired" for r in records)
    assert any(r.status == "rejected" for r in records)
