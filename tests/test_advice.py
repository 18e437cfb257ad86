"""What to do: one hint per failure, sender-side first, and the verdict thresholds."""

from __future__ import annotations

from datetime import datetime

from analyzer import advice
from analyzer.frame import to_frame
from analyzer.hints import Hints
from analyzer.records import Record


def rec(status: str, enhanced: str | None, reason: str, rule: str, category: str | None = None,
        domain: str = "example.net") -> Record:
    return Record(time=datetime(2026, 3, 2, 9), host="mx", queue_id="Q", sender="a@example.org",
                  recipient=f"b@{domain}", domain=domain, status=status, smtp_code=None, enhanced_code=enhanced,
                  code_class=(enhanced or "5")[0], diagnostic=f"{enhanced} text for {reason}", remote_mta="mx",
                  reason=reason, hard=reason == "userunknown", source="t:1", category=category, rule=rule)


def test_hint_precedence() -> None:
    hints = Hints.load()
    assert advice.hint_for(hints, "4.4.1", None, "111", "networkerror", "phrase:networkerror")["key"] == "111"
    assert advice.hint_for(hints, "5.7.1", "554", None, "blocked", "phrase:blocked")["key"] == "blocked"
    assert advice.hint_for(hints, "5.1.1", "550", None, "userunknown", "code:5.1.1")["key"] == "5.1.1"
    assert advice.hint_for(hints, "5.7.999", None, None, None, None)["key"] == "5.7.0"


def test_sender_side_comes_first_and_counts_add_up() -> None:
    records = [rec("bounced", "5.1.1", "userunknown", "code:5.1.1") for _ in range(5)]
    records += [rec("bounced", "5.7.1", "blocked", "phrase:blocked", domain="example.com") for _ in range(2)]
    records.append(rec("rejected", "5.7.1", "blocked", "phrase:blocked"))  # inbound: not ours to fix
    items = advice.advice(to_frame(records), Hints.load())
    assert [(i["key"], i["side"], i["count"]) for i in items] == [("blocked", "sender", 2),
                                                                  ("5.1.1", "recipient", 5)]
    assert items[0]["domains"] == {"example.com": 2}
    sides = {s["side"]: s["count"] for s in advice.sides(items, "en")}
    assert sides == {"sender": 2, "transport": 0, "recipient": 5}
    assert [a["title"] for a in advice.top_actions(items, 1)] == [items[0]["title"]]


def test_verdict_levels() -> None:
    def headline(bounce: float, deferral: float, attempts: int = 100) -> dict:
        return {"bounce_rate": bounce, "deferral_rate": deferral, "attempts": attempts}

    assert advice.verdict(headline(0.01, 0.01), "en")["level"] == "ok"
    assert advice.verdict(headline(0.03, 0.01), "en")["level"] == "warn"
    assert advice.verdict(headline(0.01, 0.20), "de") == {"level": "bad", "label": "Problem"}
    assert advice.verdict(headline(0.5, 0.5, attempts=0), "en")["level"] == "ok"
