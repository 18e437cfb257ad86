"""Report rendering: hostile text stays inert, the text summary fits an 80-column mail client."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from analyzer.charts import bars, nice_ticks, timeline
from analyzer.frame import to_frame
from analyzer.pipeline import read_frame
from analyzer.processes import forked
from analyzer.records import Accounting, Record, Tally
from analyzer.report import charts, render_html, render_text, summarize, write_json

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "evil\u202etxt.exe\x1b[31m\x07",
    "mark\u061cand\u2066isolate\u00adsoft\U000e0041tag",
]
#: invisible format characters the outputs must show as escapes (bidi marks and isolates, soft hyphen, tags)
INVISIBLE = ("\u202e", "\u061c", "\u2066", "\u00ad", "\U000e0041", "\x1b", "\x07")


def record(status: str, diagnostic: str, recipient: str, **extra: object) -> Record:
    values: dict = dict(
        time=datetime(2026, 11, 28, 3, 0), host="mx", queue_id="ABC123", sender="a@example.org",
        recipient=recipient, domain=recipient.rpartition("@")[2], status=status, smtp_code="550",
        enhanced_code="5.1.1", code_class="5", diagnostic=diagnostic, remote_mta="mx.example.net",
        reason="userunknown", hard=True, source="test:1",
    )
    values.update(extra)
    return Record(**values)


def hostile_summary() -> dict:
    records = [record("bounced", f"550 5.1.1 {text}", f"{text}@{text}.example") for text in HOSTILE]
    records.append(record("sent", "250 ok", "ok@example.net", smtp_code="250", enhanced_code="2.0.0",
                          code_class="2", reason="delivered", hard=False))
    accounting = Accounting([Tally(source="<script>x</script>.log", kind="postfix-log", read=5, used=5,
                                   records=5)])
    accounting.tallies[0].add_unparsed("<script>", "<img src=x onerror=alert(2)>")
    return summarize(to_frame(records), accounting, top=50)


def test_html_escapes_hostile_text() -> None:
    html = render_html(hostile_summary())
    assert "<script>alert" not in html and "<img src=x" not in html and "<script>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html and not any(c in html for c in INVISIBLE)
    assert html.count("<script") == 1  # only the report's own inline script (sort/filter tables)
    assert "script-src 'sha256-" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_text_summary_is_plain_and_fits_80_columns() -> None:
    text = render_text(hostile_summary())
    assert not any(c in text for c in INVISIBLE)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)


def test_sample_summary_fits_80_columns(tmp_path: Path) -> None:
    from analyzer.pipeline import read_frame

    root = Path(__file__).resolve().parents[1]
    accounting = Accounting()
    summary = summarize(read_frame([str(root / "samples")], accounting), accounting)
    text = render_text(summary)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    write_json(tmp_path / "s.json", summary)
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["accounting"]["lines"]["read"] == summary["accounting"]["lines"]["read"]


def test_top_bounds_every_table_and_the_report_stays_small(generate) -> None:
    from analyzer.pipeline import read_frame

    log, _ = generate("--lines", "100000", "--seed", "9")
    accounting = Accounting()
    df = read_frame([str(log)], accounting, jobs=1)
    summary = summarize(df, accounting, top=7)
    for key in ("enhanced_codes", "reply_codes", "domains", "providers", "blocklists", "unknowns", "diagnostics",
                "advice", "inbound"):
        assert len(summary[key]) <= 7, key
    html = render_html(summary)
    assert len(html.encode()) < 3_000_000
    assert html.count("<tr>") < 7 * 20


def test_blocklists_of_one_direction_only_render() -> None:
    ours = ("host mx.example.net[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host [198.51.100.9] "
            "blocked using zen.spamhaus.org")
    theirs = "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org"
    for status, text in (("bounced", ours), ("rejected", theirs)):
        summary = summarize(to_frame([record(status, text, "u@example.org")]), Accounting(), top=5)
        assert len(summary["blocklists"]) == 1
        assert "Spamhaus" in render_html(summary) and "Spamhaus" in render_text(summary)


def test_every_code_and_category_seen_has_a_hint() -> None:
    from analyzer.pipeline import read_frame

    root = Path(__file__).resolve().parents[1]
    accounting = Accounting()
    summary = summarize(read_frame([str(root / "samples")], accounting), accounting, top=200)
    assert summary["enhanced_codes"] and summary["reply_codes"]
    assert all(row["hint"] for row in summary["enhanced_codes"]), summary["enhanced_codes"]
    assert all(row["hint"] for row in summary["reply_codes"] if row["code"] != "none"), summary["reply_codes"]
    assert any(row["code"].startswith("(") for row in summary["reply_codes"])  # a connection category


def test_charts_are_svg_images_with_hostile_labels_escaped() -> None:
    images = charts(hostile_summary())
    assert images["domains"] and images["reasons"] and images["timeline"]
    svg = base64.b64decode(images["domains"].removeprefix("data:image/svg+xml;base64,")).decode()
    ElementTree.fromstring(svg)  # well-formed XML: every label was escaped
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "\u202e" not in svg  # bidi overrides shown as escapes, as in the tables


def test_timeline_geometry_stacks_outcomes_and_scales_to_round_ticks() -> None:
    rows = [{"time": "2026-03-02T08:00:00", "sent": 90, "bounced": 10},
            {"time": "2026-03-02T09:00:00", "sent": 240, "deferred": 25}]
    chart = timeline(rows, ["sent", "deferred", "bounced"])
    assert chart is not None
    assert [t["label"] for t in chart["yticks"]] == ["0", "100", "200", "300"]
    assert [item["label"] for item in chart["legend"]] == ["sent", "deferred", "bounced"]
    assert [t["label"] for t in chart["xticks"]] == ["08:00", "09:00"]
    top_of_sent = {float(point.split(",")[1]) for point in chart["layers"][0]["points"].split()[:4]}
    bottom = chart["bottom"]
    plot = bottom - chart["top"]
    assert top_of_sent == {round(bottom - 90 * plot / 300, 1), round(bottom - 240 * plot / 300, 1)}
    assert nice_ticks(7) == [0, 2, 4, 6, 8] and nice_ticks(0) == [0, 1]
    assert timeline([], ["sent"]) is None and bars([], [], "none") is None


def test_summary_made_with_a_helper_process_equals_the_one_made_here(generate) -> None:
    log, _ = generate("--lines", "6000", "--seed", "5")
    accounting = Accounting()
    df = read_frame([str(log)], accounting, jobs=1)
    here = summarize(df, accounting, top=7, jobs=1)
    helped = summarize(df, accounting, top=7, jobs=2)
    here.pop("generated"), helped.pop("generated")
    assert list(here) == list(helped) and here == helped
    assert here["blocklists"] and here["diagnostics"] and here["advice"]


def test_a_helper_process_hands_back_its_error() -> None:
    def fails() -> None:
        raise ValueError("no such table")

    with pytest.raises(ValueError, match="no such table"):
        forked(fails)()
    assert forked(lambda: 6 * 7)() == 42
