"""Nights with a state store: the trend section, ``analyze history``, and the suppression list's decay."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from analyzer.cli import main

REPLIES = {
    "userunknown": ("bounced", "5.1.1", "550 5.1.1 <{a}>: Recipient address rejected: User unknown in local "
                                        "recipient table (in reply to RCPT TO command)"),
    "mailboxfull": ("deferred", "4.2.2", "452 4.2.2 <{a}>: Mailbox full (in reply to RCPT TO command)"),
    "blocked": ("bounced", "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
                                    "zen.spamhaus.org (in reply to RCPT TO command)"),
    "sent": ("sent", "2.0.0", "250 2.0.0 Ok: queued as 12345"),
}


def line(day: int, n: int, address: str, kind: str) -> str:
    status, dsn, reply = REPLIES[kind]
    said = reply.format(a=address) if kind == "sent" else f"host mx.example.org[192.0.2.9] said: {reply.format(a=address)}"
    return (f"2026-11-{day:02d}T10:{n // 60 % 60:02d}:{n % 60:02d}+00:00 mx postfix/smtp[9]: D{day:02d}Q{n:05d}: "
            f"to=<{address}>, relay=mx.example.org[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn={dsn}, "
            f"status={status} ({said})\n")


def night(tmp_path: Path, day: int, deliveries: list[tuple[str, str]], *options: str) -> CliRunner:
    log = tmp_path / f"night{day}.log"
    log.write_text("".join(line(day, n, address, kind) for n, (address, kind) in enumerate(deliveries)))
    result = CliRunner().invoke(main, [str(log), "-q", *options])
    assert result.exit_code == 0, result.output
    return result


def suppressed(path: Path) -> dict[str, dict]:
    with open(path, newline="") as handle:
        return {row["address"]: row for row in csv.DictReader(handle)}


def test_the_suppression_list_lists_hard_failures_at_once_and_repeated_soft_ones_that_decay(tmp_path: Path) -> None:
    state, out = str(tmp_path / "state.db"), tmp_path / "suppress.csv"
    plan = {  # day -> deliveries
        1: [("gone@example.org", "userunknown"), ("full@example.org", "mailboxfull"),
            ("rare@example.org", "mailboxfull"), ("ours@example.org", "blocked"), ("back@example.org", "userunknown")],
        2: [("full@example.org", "mailboxfull"), ("ours@example.org", "blocked")],
        3: [("full@example.org", "mailboxfull"), ("ours@example.org", "blocked"), ("back@example.org", "sent")],
        16: [("rare@example.org", "mailboxfull"), ("ours@example.org", "blocked")],
        30: [("rare@example.org", "mailboxfull"), ("ours@example.org", "blocked")],
    }
    listed = {}
    for day, deliveries in plan.items():
        night(tmp_path, day, deliveries, "--state", state, "--suppress", str(out))
        listed[day] = suppressed(out)
    assert set(listed[1]) == {"gone@example.org", "back@example.org"}  # hard, recipient side
    assert listed[1]["gone@example.org"]["reason"] == "userunknown"
    assert "full@example.org" not in listed[2]  # two soft nights: score 1.9
    assert "full@example.org" in listed[3] and float(listed[3]["full@example.org"]["score"]) >= 2.5
    assert "back@example.org" not in listed[3]  # delivered again: off the list
    assert "rare@example.org" not in listed[30]  # three soft nights a fortnight apart fade
    assert all("ours@example.org" not in rows for rows in listed.values())  # our blocklisting, never theirs


def test_without_a_store_the_list_holds_this_runs_hard_failures(tmp_path: Path) -> None:
    out = tmp_path / "suppress.csv"
    night(tmp_path, 1, [("gone@example.org", "userunknown"), ("full@example.org", "mailboxfull")],
          "--suppress", str(out))
    assert set(suppressed(out)) == {"gone@example.org"}
    refused = CliRunner().invoke(main, [str(tmp_path / "night1.log"), "--suppress", str(out), "--redact", "-q"])
    assert refused.exit_code == 2 and "whole addresses" in refused.output


def test_the_trend_section_compares_today_with_the_nights_before(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    for day in range(1, 8):
        night(tmp_path, day, [(f"u{n}@example.org", "userunknown") for n in range(2)]
              + [(f"s{n}@example.org", "sent") for n in range(20)], "--state", state)
    text = tmp_path / "summary.txt"
    html = tmp_path / "report.html"
    js = tmp_path / "r.json"
    night(tmp_path, 8, [(f"u{n}@example.org", "userunknown") for n in range(6)]
          + [("x@example.org", "mailboxfull"), ("y@example.org", "blocked")], "--state", state, "--text", str(text), "--html", str(html),
          "--json", str(js))
    trends = json.loads(js.read_text())["trends"]
    assert trends["nights"] == 8 and trends["day"] == "2026-11-08"
    reason = {r["key"]: r for r in trends["comparison"] if r["kind"] == "reason"}
    assert (reason["userunknown"]["today"], reason["userunknown"]["yesterday"]) == (6, 2)
    assert reason["userunknown"]["avg7"] == 2.0 and reason["userunknown"]["change7"] == 3.0
    assert trends["new_reasons"] == ["blocked", "mailboxfull"]
    assert len(trends["new_listings"]) == 1 and "Spamhaus" in trends["new_listings"][0]
    assert trends["per_day"][-1]["bounced"] == 7 and trends["per_day"][-2]["sent"] == 20  # 6 unknown, 1 blocked
    summary = text.read_text()
    assert "Trend: 8 days in the state store since 2026-11-01" in summary
    assert "New reasons today: blocked, mailboxfull" in summary and "New blocklistings today" in summary
    assert max(len(row) for row in summary.splitlines()) <= 80
    assert 'id="trends"' in html.read_text()


def test_history_renders_trends_from_the_store_alone(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    for day in (1, 2, 3):
        night(tmp_path, day, [("u@example.org", "userunknown"), ("s@example.org", "sent")], "--state", str(state))
    html, js = tmp_path / "history.html", tmp_path / "history.json"
    shown = CliRunner().invoke(main, ["history", str(state), "--days", "7", "--html", str(html), "--json", str(js)])
    assert shown.exit_code == 0, shown.output
    data = json.loads(js.read_text())["trends"]
    assert len(data["per_day"]) == 7 and sum(d["sent"] for d in data["per_day"]) == 3
    assert "2026-11-03" in shown.output and "<img" in html.read_text()
    not_a_store = CliRunner().invoke(main, ["history", str(tmp_path / "night1.log")])
    assert not_a_store.exit_code == 2 and "state store" in not_a_store.output
