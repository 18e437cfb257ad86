"""Exact counts against gen-postfix-log's ground truth, for several seeds, formats and syslog names."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from analyzer.pipeline import read_records
from analyzer.records import Accounting

CASES = [
    ("1", "syslog", "postfix,postfix-out"),
    ("2", "rfc3339", "postfix,postfix-out"),
    ("3", "maillog", "postfix,postfix-out"),
    ("4", "syslog", "postfix"),
    ("5", "rfc3339", "postfix"),
    ("6", "maillog", "postfix"),
]


@pytest.fixture(params=CASES, ids=["-".join(c) for c in CASES])
def generated(request, generate):
    seed, fmt, names = request.param
    log, truth_path = generate("--lines", "40000", "--seed", seed, "--format", fmt, "--syslog-names", names)
    accounting = Accounting()
    records = list(read_records([str(log)], accounting))
    return records, accounting, json.loads(truth_path.read_text())


def test_attempts_by_status(generated) -> None:
    records, _, truth = generated
    by_status = Counter(r.status for r in records if r.status in ("sent", "deferred", "bounced"))
    assert dict(by_status) == truth["delivery_attempts"]["by_status"]


def test_attempts_by_status_and_dsn(generated) -> None:
    records, _, truth = generated
    by_class: dict[str, Counter] = {}
    by_dsn: dict[str, Counter] = {}
    for r in records:
        if r.status in ("sent", "deferred", "bounced"):
            by_class.setdefault(r.status, Counter())[r.enhanced_code[0]] += 1
            by_dsn.setdefault(r.status, Counter())[r.enhanced_code] += 1
    assert {k: dict(v) for k, v in by_class.items()} == truth["delivery_attempts"]["by_status_dsn_class"]
    assert {k: dict(v) for k, v in by_dsn.items()} == truth["delivery_attempts"]["by_status_dsn"]


def test_attempts_by_domain_and_status(generated) -> None:
    records, _, truth = generated
    table: dict[str, Counter] = {}
    for r in records:
        if r.status in ("sent", "deferred", "bounced"):
            table.setdefault(r.domain, Counter())[r.status] += 1
    assert {k: dict(v) for k, v in table.items()} == truth["delivery_attempts"]["by_domain_status"]


def test_reply_codes_and_transports(generated) -> None:
    records, _, truth = generated
    attempts = [r for r in records if r.status in ("sent", "deferred", "bounced")]
    assert dict(Counter(r.smtp_code or "none" for r in attempts)) == truth["delivery_attempts"]["by_reply_code"]
    transports: dict[str, Counter] = {}
    for r in attempts:
        transports.setdefault(r.transport, Counter())[r.status] += 1
    assert {k: dict(v) for k, v in transports.items()} == truth["delivery_attempts"]["by_transport_status"]


def test_ndr_attempts_have_the_null_sender(generated) -> None:
    records, _, truth = generated
    ndr = sum(1 for r in records if r.status in ("sent", "deferred", "bounced") and r.sender == "")
    assert ndr == truth["delivery_attempts"]["ndr"]["total"]


def test_rejects_and_expiries(generated) -> None:
    records, _, truth = generated
    rejects = truth["rejects"]
    statuses = Counter(r.status for r in records)
    assert statuses["rejected"] == rejects["smtpd_noqueue"]["total"] + rejects["postscreen"] + rejects["milter"]
    assert statuses["expired"] == truth["messages"]["expired"]
    noqueue = Counter(f"{r.smtp_code} {r.enhanced_code}" for r in records
                      if r.status == "rejected" and r.transport == "smtpd")
    assert dict(noqueue) == rejects["smtpd_noqueue"]["by_code"]


def test_every_line_is_accounted_for(generated) -> None:
    records, accounting, truth = generated
    lines = accounting.to_dict()["lines"]
    assert lines["read"] == truth["lines_total"]
    assert lines["used"] + lines["noise"] + lines["unparsed"] == lines["read"]
    assert lines["unparsed"] == 0
    assert lines["records"] == len(records)
    assert lines["used"] == lines["records"] + accounting.to_dict()["events"]  # warnings, reject warnings, ...
    assert not accounting.warnings
