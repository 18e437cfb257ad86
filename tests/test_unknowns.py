"""Unclassified diagnostics, clustered."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import shared_path

import analyzer
from analyzer import frame, unknowns
from analyzer.records import Record


def rec(status: str, diagnostic: str | None, minute: int, domain: str = "example.com",
        reason: str | None = "onhold", rule: str | None = "fallback:text") -> Record:
    return Record(time=datetime(2026, 3, 1) + timedelta(minutes=minute), host="mx", queue_id="Q",
                  sender="s@example.org", recipient=f"u{minute}@{domain}", domain=domain, status=status,
                  smtp_code=None, enhanced_code=None, code_class=None, diagnostic=diagnostic, remote_mta=None,
                  reason=reason, hard=None, source=f"log:{minute}", rule=rule)


GATEWAY = "host mx{n}.example.net[192.0.2.{n}] said: 550 Mail refused by gateway policy GW-{n}{n}{n} for <user{n}@example.net> (in reply to end of DATA command)"
LMTP = "lmtp(dovecot): Internal error occurred. Refer to server log for more information. [2026-03-01 00:0{n}:00]"

RECORDS = [
    # one cluster: different hosts, IPs, ids and addresses, mx01 vs mx02 merge after collapsing digits
    *[rec("bounced", GATEWAY.format(n=n), n, "example.net") for n in (1, 2, 3)],
    rec("deferred", GATEWAY.format(n=1), 4, "example.org"),
    # a second cluster, classified "undefined" by the rule "none"
    rec("deferred", LMTP.format(n=5), 5, "example.com", reason="undefined", rule="none"),
    rec("deferred", LMTP.format(n=6), 6, "example.com", reason="undefined", rule="none"),
    # a third, smaller one: upper/lower case differences merge
    rec("bounced", "550 REJECTED BY LOCAL POLICY", 7, reason="undefined", rule=None),
    rec("bounced", "550 Rejected by local policy", 8, reason="undefined", rule=None),
    rec("bounced", "550 rejected by local policy", 9, reason="undefined", rule=None),
    # not unknown: classified, or without a diagnostic
    rec("bounced", "550 5.1.1 user unknown", 10, reason="userunknown", rule="code:5.1.1"),
    rec("sent", "250 2.0.0 Ok", 11, reason="delivered", rule="status:sent"),
    rec("deferred", None, 12, reason="expired", rule="fallback:deferred"),
]


def test_unknowns_clusters() -> None:
    table = unknowns.unknowns(frame.to_frame(RECORDS))
    assert list(table.columns) == list(unknowns.COLUMNS)
    assert table["count"].tolist() == [4, 3, 2]
    first = table.iloc[0]
    assert "[<ip>]" in first["pattern"] and "<id> for <*>" in first["pattern"]
    assert first["example"] == GATEWAY.format(n=1)  # the most frequent raw text
    assert first["example_domain"] == "example.net" and first["domains"] == 2
    assert first["statuses"] == "bounced 3, deferred 1"
    assert table.iloc[1]["pattern"] == "550 REJECTED BY LOCAL POLICY"  # first seen wins a tie of variants
    assert table.iloc[2]["statuses"] == "deferred 2"


def test_unknowns_limit_and_empty() -> None:
    assert len(unknowns.unknowns(frame.to_frame(RECORDS), limit=1)) == 1
    empty = unknowns.unknowns(frame.to_frame(RECORDS[-3:]))
    assert empty.empty and list(empty.columns) == list(unknowns.COLUMNS)
    assert unknowns.unknowns(frame.to_frame([])).empty


def test_unknowns_over_bounce_corpus() -> None:
    df = analyzer.load(str(shared_path("corpus", "bounces", "bsd")))
    mask = unknowns.unclassified(df)
    table = unknowns.unknowns(df, limit=1000)
    assert mask.any()
    assert table["count"].sum() == int(mask.sum())
    assert table["count"].is_monotonic_decreasing


@pytest.mark.parametrize("seed", ["3"])
def test_unknowns_over_generated_log(generate, seed: str) -> None:
    log, _ = generate("--lines", "50000", "--seed", seed)
    df = analyzer.load(str(log))
    table = unknowns.unknowns(df)
    assert table["count"].sum() == int(unknowns.unclassified(df).sum())
