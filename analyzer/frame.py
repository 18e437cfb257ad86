"""Records -> pandas DataFrame, and pure groupings from that DataFrame to smaller DataFrames.

Nothing here knows about file formats or templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from .compact import DERIVED, last_times, weights
from .outcomes import ATTEMPT_STATUSES, FAILURE_STATUSES
from .records import Record
from .table import CATEGORIES, NUMBERS, UTC_OFFSET, to_table
from .textnorm import rule_text

STRING = pd.StringDtype("pyarrow")
TIMELINE_STATUSES = ("sent", "deferred", "bounced", "expired", "rejected")
CODE_CLASSES = ("2", "4", "5", "none")
OUTCOMES = ("sent", "deferred", "bounced", "expired", "rejected", "complaint", "autoreply")


def to_frame(records: Iterable[Record]) -> pd.DataFrame:
    """A DataFrame with one row per record: the export columns first, then the extra ones."""
    return from_table(to_table(records))


def from_table(table: pa.Table, release: Callable[[], None] | None = None) -> pd.DataFrame:
    """The records DataFrame of a table of :func:`analyzer.table.to_table`: strings as pyarrow-backed
    strings, categories as categoricals, times as datetime64[us].

    Times are UTC instants when every stamp carried an offset, else the wall clock as written (of
    offset stamps too, rather than dropping them).  Each column of ``table`` is dropped from it once
    converted: of a table the caller lets go, the rows of several chunks are not held twice.
    ``release`` is called after each column (to hand the freed memory back, before the next copy).
    """
    data: dict[str, Any] = {}
    offsets = table.column(UTC_OFFSET)
    for name in table.column_names:
        chunked = table.column(name)
        table = table.drop_columns([name])
        column = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()  # (which copies)
        del chunked
        if release is not None:
            release()
        if name == UTC_OFFSET:
            continue
        if name in ("time", "last_time"):
            data[name] = _times(column, offsets)
        elif name == "hard":
            values = column.fill_null(False).to_numpy(zero_copy_only=False)
            data[name] = pd.arrays.BooleanArray(values, column.is_null().to_numpy(zero_copy_only=False))
        elif name in DERIVED:  # of a compacted run (analyzer.compact)
            data[name] = _derived(column)
        elif name in NUMBERS:
            data[name] = pd.array(column.to_numpy(zero_copy_only=False),
                                  dtype="Int64" if name == "size" else "Float64")
        elif name in CATEGORIES:
            codes = column.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            categories = pd.Index(column.dictionary.to_pylist(), dtype=STRING)
            data[name] = pd.Categorical.from_codes(codes, categories=categories)
        else:
            data[name] = pd.arrays.ArrowStringArray(column)
    return pd.DataFrame(data)


def _derived(column: pa.Array) -> Any:
    """A column of :data:`analyzer.compact.DERIVED` as numpy booleans, floats or nullable integers."""
    if pa.types.is_integer(column.type):
        values = column.fill_null(0).to_numpy(zero_copy_only=False)
        return pd.arrays.IntegerArray(values, column.is_null().to_numpy(zero_copy_only=False))
    return column.to_numpy(zero_copy_only=False)


def _times(wall: pa.Array, offsets: pa.ChunkedArray) -> pd.Series:
    times = pd.Series(wall.to_numpy(zero_copy_only=False).astype("datetime64[us]"))
    stamped = len(wall) - wall.null_count
    if not stamped or offsets.null_count != len(wall) - stamped:  # some stamp without an offset
        return times
    shift = offsets.combine_chunks().to_numpy(zero_copy_only=False).astype("timedelta64[us]")
    return (times - shift).dt.tz_localize("UTC")


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``frames`` (same columns) in order; categorical columns stay categorical.

    ``pd.concat`` turns categoricals with different categories into objects, which cost more to
    convert back than ``union_categoricals`` costs to merge them.
    """
    categorical = [c for c, dtype in frames[0].dtypes.items() if isinstance(dtype, pd.CategoricalDtype)
                   and all(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)]
    rest = pd.concat([f.drop(columns=categorical) for f in frames], ignore_index=True)
    merged = {c: union_categoricals([f[c].array for f in frames]) for c in categorical}
    # one Arrow chunk per string column: selecting rows from many chunks costs several times more
    strings = {c: pd.arrays.ArrowStringArray(rest[c].array.__arrow_array__().combine_chunks())
               for c, dtype in rest.dtypes.items() if dtype == STRING}
    return rest.assign(**merged, **strings)[list(frames[0].columns)]


def as_string(values: pd.Series) -> pd.Series:
    """``values`` as pyarrow-backed strings; categoricals are decoded through Arrow (ten times faster
    than ``astype``, which goes through Python objects)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(STRING)
    codes = values.array.codes
    dictionary = pa.array(values.cat.categories.astype(object).tolist(), type=pa.large_string())
    decoded = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary).dictionary_decode()
    return pd.Series(pd.arrays.ArrowStringArray(decoded), index=values.index, name=values.name)


def attempts(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Outbound delivery attempts and outcomes (no inbound refusals, complaints or auto-replies)."""
    mask = df["status"].isin(ATTEMPT_STATUSES)
    return df.loc[mask] if columns is None else df.loc[mask, columns]


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """Only the failed records: deferred, bounced, expired and rejected (no complaints or auto-replies)."""
    return df.loc[df["status"].isin(FAILURE_STATUSES)]


def by_status(df: pd.DataFrame) -> pd.DataFrame:
    """Count of records per status, in a fixed order."""
    counts = weights(df).groupby(as_string(df["status"]).to_numpy()).sum()
    order = [s for s in OUTCOMES if s in counts.index] + sorted(set(counts.index) - set(OUTCOMES))
    return pd.DataFrame({"status": order, "count": [int(counts[s]) for s in order]})


def by_code_class(df: pd.DataFrame) -> pd.DataFrame:
    """Records per status and code class (2/4/5, or 'none' when there is no code)."""
    klass = as_string(df["code_class"]).fillna("none")
    table = (
        df.assign(code_class=klass, status=as_string(df["status"]), count=weights(df))
        .groupby(["status", "code_class"], observed=True)["count"]
        .sum()
        .reset_index()
    )
    return table.sort_values(["status", "code_class"], ignore_index=True)


def by_enhanced_code(df: pd.DataFrame) -> pd.DataFrame:
    """Records per enhanced status code and status, the most frequent first."""
    failing = df.loc[df["enhanced_code"].notna() & (as_string(df["status"]) != "sent"),
                     ["enhanced_code", "status"]]
    table = (
        failing.assign(status=as_string(failing["status"]))
        .groupby(["enhanced_code", "status"], observed=True)
        .size()
        .rename("count")
        .reset_index()
    )
    return table.sort_values(["count", "enhanced_code"], ascending=[False, True], ignore_index=True)


def by_reply_code(df: pd.DataFrame) -> pd.DataFrame:
    """Records per SMTP reply code, or ``(101)``-style connection category when there was no reply."""
    category = as_string(df["category"])
    connection = category.where(category.str.fullmatch(r"\d{3}").fillna(False))
    code = df["smtp_code"].fillna(connection.map(lambda c: f"({c})", na_action="ignore"))
    table = (df.assign(code=code.fillna("none"), count=weights(df)).groupby("code")["count"].sum()
             .reset_index())
    return table.sort_values(["count", "code"], ascending=[False, True], ignore_index=True)


def by_domain(df: pd.DataFrame) -> pd.DataFrame:
    """Per recipient domain: attempts by outcome, bounce rate and deferral rate.

    ``bounce_rate`` = bounced / (sent + bounced + expired): the share of final outcomes that failed;
    ``deferral_rate`` = deferred / all attempts.
    """
    outbound = attempts(df.assign(weight=weights(df)), ["domain", "status", "weight"])
    table = (
        outbound.assign(status=as_string(outbound["status"]), domain=outbound["domain"].fillna("(none)"))
        .pivot_table(index="domain", columns="status", values="weight", aggfunc="sum", fill_value=0)
        .reindex(columns=list(ATTEMPT_STATUSES), fill_value=0)
    )
    table.columns.name = None
    table = table.astype("int64")
    total = table.sum(axis=1)
    final = table["sent"] + table["bounced"] + table["expired"]
    table = table.assign(
        total=total,
        bounce_rate=(table["bounced"] + table["expired"]).div(final.where(final > 0)).fillna(0.0),
        deferral_rate=table["deferred"].div(total.where(total > 0)).fillna(0.0),
    )
    failures = table["bounced"] + table["deferred"] + table["expired"]
    return (
        table.assign(failures=failures)
        .sort_values(["failures", "total"], ascending=False)
        .reset_index()
    )


def by_reason(df: pd.DataFrame) -> pd.DataFrame:
    """Failed records per reason with the hard-bounce count."""
    failed = df.loc[~df["status"].isin(("sent",)), ["reason", "hard"]]  # (not a copy of every column)
    table = (
        failed.assign(reason=as_string(failed["reason"]).fillna("undefined"),
                      hard=failed["hard"].fillna(False))
        .groupby("reason")
        .agg(count=("reason", "size"), hard=("hard", "sum"))
        .reset_index()
    )
    table = table.assign(hard=table["hard"].astype("int64"))
    return table.sort_values(["count", "reason"], ascending=[False, True], ignore_index=True)


def top_diagnostics(df: pd.DataFrame, per_domain: int = 3, limit: int = 50,
                    statuses: tuple[str, ...] = ("deferred", "bounced", "expired")) -> pd.DataFrame:
    """The most frequent failure texts per domain, after removing addresses, hosts, ids and numbers.

    Outbound failures by default (inbound refusals have their own table).  Uses the ``pattern``
    column the classifier fills; computes it for frames that lack it.
    """
    columns = ["domain", "status", "reason", "diagnostic", "enhanced_code", "smtp_code", "category",
               "rule", "pattern"]
    failed = df.loc[df["diagnostic"].notna() & df["status"].isin(statuses),
                    [c for c in columns if c in df.columns]]
    if failed.empty:
        return pd.DataFrame(columns=["domain", "pattern", "count", *columns[1:-1]])
    pattern = failed["pattern"] if "pattern" in failed.columns else pd.Series(pd.NA, index=failed.index)
    missing = pattern.isna()
    if missing.any():
        uniques = failed.loc[missing, "diagnostic"].unique()
        found = dict(zip(uniques, map(rule_text, uniques), strict=True))
        pattern = pattern.astype(STRING).fillna(failed["diagnostic"].map(found))
    grouped = (
        failed.assign(pattern=pattern, domain=failed["domain"].fillna("(none)"),
                      status=as_string(failed["status"]), reason=as_string(failed["reason"]),
                      category=as_string(failed["category"]), rule=as_string(failed["rule"]))
        .groupby(["domain", "pattern"])
        .agg(count=("status", "size"), status=("status", "first"), reason=("reason", "first"),
             diagnostic=("diagnostic", "first"), enhanced_code=("enhanced_code", "first"),
             smtp_code=("smtp_code", "first"), category=("category", "first"), rule=("rule", "first"))
        .reset_index()
        .sort_values(["count", "domain"], ascending=[False, True])
    )
    top = grouped.groupby("domain", sort=False).head(per_domain)
    return top.head(limit).reset_index(drop=True)


def timeline_window(times: pd.Series, max_buckets: int = 400, counts: pd.Series | None = None,
                    last_times: pd.Series | None = None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The span a timeline covers: every stamp, unless that takes more than ``max_buckets`` weeks
    (a damaged stamp of year 1 beside 2026); then the ``max_buckets`` weeks around the median stamp.
    None without stamps.  A compacted frame's rows give their ``counts`` (weights) and
    ``last_times``."""
    stamped = times.notna()
    timed = times.loc[stamped]
    if timed.empty:
        return None
    first = timed.min()
    last = timed.max() if last_times is None else last_times.loc[stamped].max()
    longest = pd.Timedelta(weeks=max_buckets)
    if last - first > longest:
        order = timed.sort_values(kind="stable")
        if counts is None:
            middle = order.iloc[len(order) // 2]
        else:  # the stamp of the record at position total // 2, counting each row's weight
            ends = counts.loc[order.index].to_numpy().cumsum()
            middle = order.iloc[int(ends.searchsorted(ends[-1] // 2, side="right"))]
        first, last = max(first, middle - longest / 2), min(last, middle + longest / 2)
    return first, last


def _window(df: pd.DataFrame, max_buckets: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """:func:`timeline_window` of the records of ``df`` (weighted when it is compacted)."""
    if "weight" not in df.columns:
        return timeline_window(df["time"], max_buckets)
    return timeline_window(df["time"], max_buckets, weights(df), df["last_time"])


def within(df: pd.DataFrame, since: pd.Timestamp | None = None, until: pd.Timestamp | None = None
           ) -> pd.DataFrame:
    """The records whose time lies in ``[since, until)`` (records without a time are left out).

    A naive bound is this machine's local time; it is compared with time-zone aware stamps as such.
    """
    if since is None and until is None:
        return df
    times = df["time"]
    keep = times.notna()
    for bound, inside in ((since, times.ge), (until, times.lt)):
        if bound is not None:
            keep &= inside(_comparable(bound, times)).fillna(False)
    return df.loc[keep].reset_index(drop=True)


def _comparable(moment: pd.Timestamp, times: pd.Series) -> pd.Timestamp:
    zone = getattr(times.dtype, "tz", None)
    if zone is not None and moment.tzinfo is None:
        return moment.tz_localize(datetime.now().astimezone().tzinfo).tz_convert(zone)
    if zone is None and moment.tzinfo is not None:
        return moment.tz_convert(datetime.now().astimezone().tzinfo).tz_localize(None)
    return moment


def outside_timeline(df: pd.DataFrame, max_buckets: int = 400) -> int:
    """How many records have a stamp the timeline leaves out (:func:`timeline_window`)."""
    window = _window(df, max_buckets)
    if window is None:
        return 0
    times = df["time"]
    outside = ((times < window[0]) | (times > window[1])).fillna(False).astype(bool)
    return int(weights(df).loc[outside & times.notna()].sum())


def over_time(df: pd.DataFrame, freq: str | None = None, max_buckets: int = 400, by: str = "status"
              ) -> pd.DataFrame:
    """Records per time bucket and status (or ``by="code_class"``: 2xx/4xx/5xx/none), every bucket of
    the span present (zeros included).  Hourly for spans up to 3 days, daily up to ``max_buckets``
    days, weekly beyond; the span is :func:`timeline_window`'s, so there are never more than about
    ``max_buckets`` buckets.
    """
    groups = TIMELINE_STATUSES if by == "status" else CODE_CLASSES
    timed = df.assign(weight=weights(df)).loc[df["time"].notna(), ["time", by, "weight"]]
    window = _window(df, max_buckets)
    if window is not None:
        timed = timed.loc[(timed["time"] >= window[0]) & (timed["time"] <= window[1])]
    if by == "code_class":
        timed = timed.assign(code_class=as_string(timed["code_class"]).fillna("none"))
    timed = timed.rename(columns={by: "status"})
    if timed.empty:
        return pd.DataFrame(columns=["time", *groups, "total"])
    first = timed["time"].min()
    last = last_times(df).loc[timed.index].max()
    if freq is None:
        span = last - first
        freq = "h" if span <= pd.Timedelta(days=3) else "D" if span <= pd.Timedelta(days=max_buckets) else "W"
    buckets = timed["time"].dt.floor("D") if freq == "W" else timed["time"].dt.floor(freq)
    if freq == "W":
        buckets = buckets - pd.to_timedelta(buckets.dt.day_of_week, unit="D")
    table = (
        timed.assign(bucket=buckets, status=as_string(timed["status"]))
        .pivot_table(index="bucket", columns="status", values="weight", aggfunc="sum", fill_value=0)
    )
    table.columns.name = None
    step = pd.Timedelta(weeks=1) if freq == "W" else pd.Timedelta(1, unit=freq)
    every = pd.date_range(table.index.min(), table.index.max(), freq=step)
    table = table.reindex(index=every, columns=list(groups), fill_value=0).astype("int64")
    return table.assign(total=table.sum(axis=1)).rename_axis("time").reset_index()


REDACT_COLUMNS = ("sender", "recipient", "diagnostic", "orig_from", "orig_to", "subject", "message_id",
                  "notice_subject")
_ADDRESS_LOCAL_PART = r"[^\s@<>\"'(),;:\[\]=]{1,128}@"
_ADDRESS_LOCAL_PART_RE = re.compile(_ADDRESS_LOCAL_PART)


def redact(df: pd.DataFrame) -> pd.DataFrame:
    """Local parts of addresses masked (``***@example.org``) in every text column; domains kept."""
    changes = {
        column: df[column].str.replace(_ADDRESS_LOCAL_PART, "***@", regex=True)
        for column in REDACT_COLUMNS if column in df.columns
    }
    return df.assign(**changes)


def redact_text(text: str) -> str:
    """The same masking for one string (accounting examples, warnings)."""
    return _ADDRESS_LOCAL_PART_RE.sub("***@", text)
