"""Diagnostics no rule understood, clustered so that the most common unknown texts can become rules."""

from __future__ import annotations

import re

import pandas as pd

from .frame import STRING, as_string
from .textnorm import normalize

COLUMNS = ("pattern", "count", "domains", "example_domain", "example", "statuses")
_DIGITS = re.compile(r"\d+")


def unclassified(df: pd.DataFrame) -> pd.Series:
    """Mask of records with a diagnostic that only the fallback classified (or nothing did)."""
    reason = as_string(df["reason"])
    rule = as_string(df["rule"])
    fallback = rule.str.startswith("fallback") | rule.str.startswith("none") | (reason == "undefined")
    return (df["diagnostic"].notna() & fallback.fillna(False)).astype(bool)


def _mode(frame: pd.DataFrame, by: str, column: str) -> pd.Series:
    """The most frequent value of ``column`` per ``by`` group (first seen wins a tie)."""
    counts = frame.groupby([by, column], sort=False).size().rename("n").reset_index()
    top = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates(by)
    return top.set_index(by)[column]


def _statuses(frame: pd.DataFrame) -> pd.Series:
    """Per cluster a text like ``"bounced 3, deferred 1"``, the most frequent first."""
    counts = frame.groupby(["key", "status"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["n", "status"], ascending=[False, True], kind="stable")
    parts = counts["status"] + " " + counts["n"].astype(str)
    return parts.groupby(counts["key"], sort=False).agg(", ".join)


def unknowns(df: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The most frequent unclassified diagnostics, clustered.

    Texts are normalised with :func:`analyzer.textnorm.normalize` (addresses, IPs, ids and numbers
    replaced); clusters whose normalised texts are equal after lower-casing and collapsing digit runs
    are merged.  Columns: ``pattern`` (the cluster's most frequent normalised text), ``count``,
    ``domains`` (distinct recipient domains), ``example_domain``, ``example`` (the most frequent raw
    diagnostic) and ``statuses``.
    """
    failed = df.loc[unclassified(df), ["domain", "status", "diagnostic"]]
    if failed.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("count", "domains") else STRING)
                             for c in COLUMNS})
    patterns = {text: normalize(text) for text in failed["diagnostic"].unique()}
    keys = {p: _DIGITS.sub("#", p.lower()) for p in set(patterns.values())}
    pattern = failed["diagnostic"].map(patterns).astype(STRING)
    failed = failed.assign(pattern=pattern, key=pattern.map(keys).astype(STRING),
                           status=as_string(failed["status"]))
    sizes = failed.groupby("key", sort=False).size()
    representative = _mode(failed, "key", "pattern")
    ranked = (
        pd.DataFrame({"key": sizes.index, "count": sizes.to_numpy(),
                      "pattern": representative.reindex(sizes.index).to_numpy()})
        .sort_values(["count", "pattern"], ascending=[False, True], kind="stable")
        .head(limit)
    )
    top = failed.loc[failed["key"].isin(ranked["key"])]
    details = pd.DataFrame({
        "domains": top.groupby("key", sort=False)["domain"].nunique(),
        "example_domain": _mode(top.dropna(subset=["domain"]), "key", "domain"),
        "example": _mode(top, "key", "diagnostic"),
        "statuses": _statuses(top),
    })
    table = ranked.join(details, on="key").drop(columns="key").reset_index(drop=True)
    return table.astype({"count": "int64", "domains": "int64", "pattern": STRING,
                         "example_domain": STRING, "example": STRING, "statuses": STRING})[list(COLUMNS)]
