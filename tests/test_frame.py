"""The pandas stage: pure groupings from the records DataFrame."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from analyzer import frame
from analyzer.records import CORE_COLUMNS, Record
from analyzer.table import concat_tables, to_table


def rec(status: str, domain: str, diagnostic: str | None = None, minute: int = 0, **extra: object) -> Record:
    values: dict = dict(
        time=datetime(2026, 11, 28, 3) + timedelta(minutes=minute), host="mx", queue_id="Q1", sender="s@example.org",
        recipient=f"u{minute}@{domain}", domain=domain, status=status, smtp_code=None, enhanced_code=None,
        code_class=None, diagnostic=diagnostic, remote_mta=None, reason=None, hard=None, source=f"log:{minute}",
    )
    values.update(extra)
    return Record(**values)


RECORDS = [
    rec("sent", "example.com", "250 ok", 1, smtp_code="250", enhanced_code="2.0.0", code_class="2",
        reason="delivered", hard=False),
    rec("sent", "example.com", "250 ok", 2, code_class="2", reason="delivered", hard=False),
    rec("bounced", "example.com", "550 5.1.1 <u3@example.com>: user unknown", 3, smtp_code="550",
        enhanced_code="5.1.1", code_class="5", reason="userunknown", hard=True),
    rec("bounced", "example.com", "550 5.1.1 <u4@example.com>: user unknown", 4, smtp_code="550",
        enhanced_code="5.1.1", code_class="5", reason="userunknown", hard=True),
    rec("deferred", "example.net", "connect to mx[192.0.2.1]:25: Connection refused", 65,
        enhanced_code="4.4.1", code_class="4", category="111", reason="networkerror", hard=False),
    rec("rejected", "example.org", "554 5.7.1 blocked", 70, smtp_code="554", enhanced_code="5.7.1",
        code_class="5", reason="blocked", hard=False),
]


def df() -> pd.DataFrame:
    return frame.to_frame(RECORDS)


def test_columns_and_dtypes() -> None:
    data = df()
    assert list(data.columns[:15]) == list(CORE_COLUMNS)
    assert data["recipient"].dtype == pd.StringDtype("pyarrow")
    assert isinstance(data["status"].dtype, pd.CategoricalDtype)
    assert str(data["hard"].dtype) == "boolean"


def test_by_status_and_code_class() -> None:
    assert frame.by_status(df()).to_dict("list") == {
        "status": ["sent", "deferred", "bounced", "rejected"], "count": [2, 1, 2, 1]}
    classes = frame.by_code_class(df())
    assert classes.loc[classes["status"] == "bounced", "code_class"].tolist() == ["5"]


def test_by_domain_rates() -> None:
    table = frame.by_domain(df()).set_index("domain")
    assert table.loc["example.com", ["sent", "bounced", "total"]].tolist() == [2, 2, 4]
    assert table.loc["example.com", "bounce_rate"] == 0.5
    assert table.loc["example.net", "deferral_rate"] == 1.0
    assert "example.org" not in table.index  # inbound refusals are not delivery attempts


def test_top_diagnostics_groups_one_error_from_many_recipients() -> None:
    top = frame.top_diagnostics(df())
    first = top.iloc[0]
    assert (first["domain"], first["count"], first["pattern"]) == ("example.com", 2, "550 5.1.1 <*>: user unknown")


def test_by_reason_and_reply_code() -> None:
    reasons = frame.by_reason(df()).set_index("reason")
    assert reasons.loc["userunknown", "count"] == 2 and reasons.loc["userunknown", "hard"] == 2
    codes = frame.by_reply_code(df()).set_index("code")["count"].to_dict()
    assert codes == {"550": 2, "250": 1, "554": 1, "(111)": 1, "none": 1}


def test_over_time_hourly() -> None:
    timeline = frame.over_time(df())
    assert timeline["time"].tolist() == [pd.Timestamp("2026-11-28 03:00"), pd.Timestamp("2026-11-28 04:00")]
    assert timeline["total"].tolist() == [4, 2]


def test_timezone_aware_times_stay_aware() -> None:
    tz = timezone(timedelta(hours=1))
    data = frame.to_frame([rec("sent", "example.com", minute=1, time=datetime(2026, 1, 1, 1, 0, tzinfo=tz))])
    assert str(data["time"].dt.tz) == "UTC"
    assert data["time"].iloc[0] == pd.Timestamp("2026-01-01 00:00", tz="UTC")


def test_empty_frame_groupings() -> None:
    empty = frame.to_frame([])
    assert frame.by_status(empty).empty and frame.top_diagnostics(empty).empty and frame.over_time(empty).empty


def test_arrow_table_round_trip_keeps_values_and_dtypes() -> None:
    records = [*RECORDS, rec("bounced", "example.net", None, 9, hard=None)]
    table = to_table(records)
    assert table.column_names == [*frame.to_frame(records).columns, "utc_offset"]
    assert pa.types.is_dictionary(table.schema.field("status").type)
    again = frame.from_table(table)
    for column in ("recipient", "domain", "status", "enhanced_code", "diagnostic", "source"):
        assert again[column].astype(object).where(again[column].notna(), None).tolist() == [
            getattr(r, column) for r in records], column
    assert again["time"].tolist() == [pd.Timestamp(r.time) for r in records]
    assert again["hard"].tolist()[-1] is pd.NA and again["hard"].tolist()[0] is False
    assert again["message_id"].isna().all() and str(again["hard"].dtype) == "boolean"
    assert frame.from_table(to_table([])).empty


def test_times_become_utc_only_when_every_stamp_of_the_joined_tables_has_an_offset() -> None:
    tz = timezone(timedelta(hours=2))
    aware = to_table([rec("sent", "example.com", minute=1, time=datetime(2026, 1, 1, 3, 0, tzinfo=tz))])
    naive = to_table([rec("sent", "example.com", minute=2)])
    also_aware = to_table([rec("sent", "example.com", minute=3, time=datetime(2026, 1, 1, 3, 5, tzinfo=UTC))])
    utc = frame.from_table(concat_tables([aware, also_aware]))["time"]
    assert str(utc.dt.tz) == "UTC"
    assert utc.tolist() == [pd.Timestamp("2026-01-01 01:00", tz="UTC"), pd.Timestamp("2026-01-01 03:05", tz="UTC")]
    mixed = concat_tables([aware, naive])
    assert mixed.num_rows == 2 and len({str(chunk.dictionary) for chunk in mixed["status"].chunks}) == 1
    wall = frame.from_table(mixed)["time"]  # as one process reads a file that mixes them: wall clock
    assert wall.dt.tz is None and wall.tolist() == [pd.Timestamp("2026-01-01 03:00"), pd.Timestamp(
        "2026-11-28 03:02")]
    assert frame.from_table(mixed).equals(frame.to_frame([
        rec("sent", "example.com", minute=1, time=datetime(2026, 1, 1, 3, 0, tzinfo=tz)),
        rec("sent", "example.com", minute=2)]))


@pytest.mark.parametrize("others", [
    ["empty.log"], ["noise.log"], ["plain.eml"], ["classic.log"], ["empty.log", "classic.log", "plain.eml"],
])
def test_inputs_read_together_keep_a_datetime_column(tmp_path: Path, others: list[str]) -> None:
    """Offset stamps (a bounce's Date, RFC 3339 lines) beside inputs with naive stamps or no record at
    all: the time column stays datetime and the timeline is drawn (this crashed in frame.over_time)."""
    from analyzer.pipeline import read_frame

    files = {
        "aware.log": "2026-03-01T00:00:01.5+01:00 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, "
                     "relay=a[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (host a[192.0.2.1] "
                     "said: 550 5.1.1 User unknown (in reply to RCPT TO command))\n",
        "classic.log": "Mar  1 00:00:02 mx postfix/smtp[1]: 9F9AD90ED9: to=<h@example.org>, relay=a[192.0.2.1]:25, "
                       "delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n",
        "empty.log": "",
        "noise.log": "Mar  1 00:00:03 mx postfix/anvil[2]: statistics: max connection rate 1/60s\n",
        "plain.eml": "From: a@example.org\nTo: b@example.org\nSubject: hello\n\nJust mail.\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    df = read_frame([str(tmp_path / "aware.log"), *(str(tmp_path / n) for n in others)], jobs=1)
    assert pd.api.types.is_datetime64_any_dtype(df["time"]), df["time"].dtype
    assert str(df["time"].dt.tz) == "UTC"
    assert not frame.over_time(df).empty


def test_absurd_stamps_do_not_stretch_the_timeline() -> None:
    """Year 1 and 9999 beside real stamps: the timeline keeps a bounded span around the real ones."""
    good = [rec("sent", "example.com", minute=n) for n in range(5)]
    bad = [rec("sent", "example.com", time=datetime(1, 1, 1)), rec("sent", "example.com", time=datetime(9999, 12, 31))]
    df = frame.to_frame(good + bad)
    table = frame.over_time(df)
    assert len(table) <= 402 and table["total"].sum() == 5
    assert frame.outside_timeline(df) == 2
    assert frame.outside_timeline(frame.to_frame(good)) == 0
