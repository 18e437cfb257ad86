"""Trends over the nights of a ``--state`` store: pure functions from its daily aggregates to the plain
data of the report's trend section and of ``analyze history``.

The aggregates are rows of :data:`COLUMNS`: :func:`daily_rows` makes them from a run's records, the
store adds them up per day (:meth:`analyzer.store.Store.daily_rows`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from .frame import as_string
from .outcomes import ATTEMPT_STATUSES, FAILURE_STATUSES, rates

#: What a daily aggregate is counted by.
DAILY_KEYS = ("day", "host", "provider", "domain", "status", "code_class", "reason", "hard")
COLUMNS = (*DAILY_KEYS, "count")
#: The statuses the per-day chart shows.
CHART_STATUSES = ("sent", "deferred", "bounced", "expired", "rejected")
#: Each grouping of the comparison table: its column and the label of its kind.
KINDS = (("provider", "provider"), ("code_class", "code class"), ("reason", "reason"))


def as_frame(rows: list[tuple]) -> pd.DataFrame:
    """The store's daily rows as a DataFrame."""
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"count": "int64", "hard": "bool"})


def days_before(day: str, days: int) -> str:
    """The ISO day ``days`` days before ``day``."""
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def daily_rows(df: pd.DataFrame, run_day: str) -> list[tuple]:
    """This run's records as daily aggregates: one row per :data:`DAILY_KEYS` with count, first and
    last seen (records without a time count on ``run_day``); each row counts its ``weight``."""
    from .compact import last_times, weights
    from .providers import with_provider

    if df.empty:
        return []
    times, last = df["time"], last_times(df)
    if getattr(times.dtype, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
        last = last.dt.tz_convert("UTC").dt.tz_localize(None)
    keyed = pd.DataFrame({
        "day": times.dt.strftime("%Y-%m-%d").fillna(run_day),
        **{k: as_string(with_provider(df)[k] if k == "provider" else df[k]).fillna("")
           for k in DAILY_KEYS[1:-1]},
        "hard": df["hard"].fillna(False).astype(bool),
        "time": times.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "last": last.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "weight": weights(df),
    })
    grouped = keyed.groupby(list(DAILY_KEYS), observed=True, dropna=False).agg(
        size=("weight", "sum"), min=("time", "min"), max=("last", "max"))
    rows = zip(grouped.index, grouped.itertuples(index=False), strict=True)
    return [(*key, int(size), _text(first), _text(last)) for key, (size, first, last) in rows]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def per_day(daily: pd.DataFrame, last_day: str, days: int = 30) -> list[dict[str, Any]]:
    """Counts by status for each of the ``days`` days up to ``last_day`` (days without mail are 0)."""
    span = [days_before(last_day, n) for n in range(days - 1, -1, -1)]
    table = (daily.loc[daily["day"].isin(span)].pivot_table(index="day", columns="status", values="count",
                                                             aggfunc="sum", fill_value=0)
             .reindex(index=span, columns=list(CHART_STATUSES), fill_value=0))
    rows = []
    for day, counts in table.iterrows():
        row = {"time": f"{day}T00:00:00", "day": day, **{s: int(counts[s]) for s in CHART_STATUSES}}
        row["bounce_rate"] = rates(row)["bounce_rate"]
        row["attempts"] = sum(row[s] for s in ATTEMPT_STATUSES)
        rows.append(row)
    return rows


def comparison(daily: pd.DataFrame, day: str, top: int = 10) -> list[dict[str, Any]]:
    """Failures per provider, code class and reason on ``day`` against the day before and the mean per
    day of the 7 and 30 days before (over the days the store has mail for); the largest of each kind
    first."""
    failed = daily.loc[daily["status"].isin(FAILURE_STATUSES)]
    before = days_before(day, 1)
    windows = {"today": (day, day), "yesterday": (before, before), "avg7": (days_before(day, 7), before),
               "avg30": (days_before(day, 30), before)}
    rows: list[dict[str, Any]] = []
    for column, label in KINDS:
        sums = {}
        for name, (first, last) in windows.items():
            inside = failed.loc[(failed["day"] >= first) & (failed["day"] <= last)]
            total = inside.groupby(column)["count"].sum()
            if name.startswith("avg"):
                days_with_mail = daily.loc[(daily["day"] >= first) & (daily["day"] <= last), "day"].nunique()
                total = total / max(1, days_with_mail)
            sums[name] = total
        table = pd.DataFrame(sums).fillna(0)
        if table.empty:
            continue
        table = table.loc[(table["today"] > 0) | (table["yesterday"] > 0)]
        table = table.sort_values(["today", "avg7"], ascending=False).head(top)
        for key, values in table.iterrows():
            rows.append({"kind": label, "key": str(key) or "(none)", "today": int(values["today"]),
                         "yesterday": int(values["yesterday"]), "avg7": float(values["avg7"]),
                         "avg30": float(values["avg30"]),
                         "change7": _change(float(values["today"]), float(values["avg7"]))})
    return rows


def _change(value: float, base: float) -> float | None:
    """``value`` against ``base`` as a ratio (None when there is no base)."""
    return value / base if base else None


def new_on(daily: pd.DataFrame, day: str, column: str) -> list[str]:
    """Values of ``column`` among the failures of ``day`` that no earlier day had."""
    failed = daily.loc[daily["status"].isin(FAILURE_STATUSES) & (daily[column] != "")]
    today = set(failed.loc[failed["day"] == day, column])
    before = set(failed.loc[failed["day"] < day, column])
    return sorted(today - before)


def trends(rows: list[tuple], day: str, days: int = 30, top: int = 10) -> dict[str, Any]:
    """The trend section: per-day counts, the comparison table, and what is new on ``day``."""
    daily = as_frame(rows)
    if daily.empty:
        return {"day": day, "days": days, "nights": 0, "per_day": [], "comparison": [], "new_reasons": [],
                "new_domains": [], "new_listings": []}
    return {
        "day": day,
        "days": days,
        "nights": int(daily["day"].nunique()),
        "first_day": str(daily["day"].min()),
        "per_day": per_day(daily, day, days),
        "comparison": comparison(daily, day, top),
        "new_reasons": new_on(daily, day, "reason"),
        "new_domains": new_on(daily, day, "domain")[:top],
        "new_listings": [],  # filled from the store's listings (analyzer.store.Store.new_listings)
    }
