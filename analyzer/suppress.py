"""The suppression list (``--suppress FILE``): recipients to stop mailing, from this run's failures and,
with ``--state``, the scores of earlier nights (rules in ``data/suppression.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .frame import as_string
from .hints import Hints
from .outcomes import OUTBOUND_FAILURES

if TYPE_CHECKING:
    import pandas as pd

    from .compact import Side

COLUMNS = ("address", "reason", "first_seen", "last_seen", "count", "hard", "score")


@cache
def settings() -> dict[str, Any]:
    return tomllib.loads(resources.files("analyzer.data").joinpath("suppression.toml").read_text("utf-8"))


@cache
def _recipient_reasons() -> frozenset[str]:
    sides = set(settings()["sides"])
    return frozenset(name for name, hint in Hints().data["reasons"].items() if hint.get("side") in sides)


@dataclass
class Entry:
    """One address: its last reason, first and last failure, failures counted, hard or not, score."""

    address: str
    reason: str
    first_seen: str
    last_seen: str
    count: int
    hard: bool
    score: float
    day: str  # the last day that added to the score

    def row(self) -> tuple:
        return (self.address, self.reason, self.first_seen, self.last_seen, self.count, self.hard,
                round(self.score, 3))

    @property
    def listed(self) -> bool:
        return self.hard or self.score >= settings()["threshold"]


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """The failed records that count towards suppression: the recipient's side, with an address."""
    keep = (as_string(df["status"]).isin(OUTBOUND_FAILURES) & df["recipient"].notna()
            & as_string(df["reason"]).isin(sorted(_recipient_reasons())))
    return df.loc[keep]


def update(known: dict[str, Entry], df: pd.DataFrame, day: str, side: Side | None = None) -> dict[str, Entry]:
    """``known`` (address -> entry, from earlier nights) with this run's records of ``day`` added:
    each address delivered to is dropped, each failed one scored once for the day.  ``side``: the
    recipients of a compacted run's collapsed deliveries."""
    entries = dict(known)
    delivered = set(as_string(df.loc[as_string(df["status"]) == "sent", "recipient"]).dropna().str.lower())
    if side is not None:
        delivered |= set(side.recipient_frame()["recipient"].dropna().str.lower())
    for address in delivered:
        entries.pop(address, None)
    failed = failures(df)
    if failed.empty:
        return entries
    stamps = failed["time"]
    if getattr(stamps.dtype, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    times = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna(day)
    table = failed.assign(address=as_string(failed["recipient"]).str.lower(), seen=times,
                          hard=failed["hard"].fillna(False).astype(bool))
    half_life = settings()["half_life_days"]
    for address, group in table.groupby("address", sort=True):
        if address in delivered:
            continue
        last = group.iloc[-1]
        entry = entries.get(address)
        if entry is None:
            entry = Entry(address, str(last["reason"]), str(group["seen"].min()), str(group["seen"].max()),
                          0, False, 0.0, "")
        elif entry.day != day:
            elapsed = (date.fromisoformat(day) - date.fromisoformat(entry.day)).days if entry.day else 0
            entry.score *= 0.5 ** (max(0, elapsed) / half_life)
        if entry.day != day:
            entry.score += 1.0
            entry.day = day
        entry.reason = str(last["reason"])
        entry.last_seen = max(entry.last_seen, str(group["seen"].max()))
        entry.count += len(group)
        entry.hard = entry.hard or bool(group["hard"].any())
        entries[address] = entry
    return entries


def listed(entries: dict[str, Entry]) -> list[tuple]:
    """The rows of the suppression list: listed addresses, sorted."""
    return [entries[a].row() for a in sorted(entries) if entries[a].listed]
