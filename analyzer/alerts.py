"""Alert thresholds for cron (``--fail-on EXPR``): parsed once, checked against a run's records and,
for baselines and new reasons, the history of a ``--state`` store.

Grammar (spaces allowed around the operator)::

    EXPR      = [SCOPE] METRIC OP VALUE | "blocklisted" | "new_reason" [":" REASON]
    SCOPE     = ("provider:" | "domain:") NAME "."        provider:google.   domain:example.com.
    METRIC    = bounce_rate | deferral_rate | delivery_rate | sent | deferred | bounced | expired
              | rejected | failures | hard
    OP        = ">" | ">=" | "<" | "<="
    VALUE     = NUMBER ["%"] | NUMBER "x" DAYS "d"        0.05  5%  2x7d (twice the last 7 days)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .outcomes import FAILURE_STATUSES, OUTBOUND_FAILURES, rates

if TYPE_CHECKING:
    import pandas as pd

METRICS = ("bounce_rate", "deferral_rate", "delivery_rate", "sent", "deferred", "bounced", "expired",
           "rejected", "failures", "hard")
_EXPR = re.compile(
    r"(?:(?P<scope>provider|domain):(?P<name>[^\s<>=]{1,253})\.)?(?P<metric>[a-z_]{1,20})\s{0,5}"
    r"(?P<op>>=|<=|>|<)\s{0,5}(?P<value>\d{1,12}(?:\.\d{1,12})?)(?:(?P<percent>%)|x(?P<days>\d{1,3})d)?")
_NEW_REASON = re.compile(r"new_reason(?::(?P<reason>[a-z]{1,30}))?")


def as_string(values: pd.Series) -> pd.Series:
    """:func:`analyzer.frame.as_string` (imported when a run's records are checked)."""
    from .frame import as_string as text

    return text(values)


class AlertError(ValueError):
    """An expression that is not in the grammar; the message names the bad part."""


@dataclass(frozen=True)
class Alert:
    """One ``--fail-on`` expression."""

    text: str
    kind: str  # "threshold", "blocklisted" or "new_reason"
    metric: str = ""
    op: str = ""
    value: float = 0.0
    scope: str = ""  # "", "provider" or "domain"
    name: str = ""
    days: int = 0  # a baseline of this many days before the run: value is a factor
    reason: str = ""

    @property
    def needs_history(self) -> bool:
        return self.days > 0 or self.kind == "new_reason"


def parse(text: str) -> Alert:
    """The alert of ``text``, or :class:`AlertError` naming what is wrong."""
    expr = text.strip()
    if expr == "blocklisted":
        return Alert(text, "blocklisted")
    if (match := _NEW_REASON.fullmatch(expr)) is not None:
        return Alert(text, "new_reason", reason=match.group("reason") or "")
    match = _EXPR.fullmatch(expr)
    if match is None:
        operator = re.search(r">=|<=|>|<", expr)
        if operator is None:
            raise AlertError(f"{text!r}: no comparison (>, >=, <, <=), and not 'blocklisted' or 'new_reason'")
        raise AlertError(f"{text!r}: {expr[operator.end():].strip()!r} is not a number, a percentage "
                         "or a baseline like 2x7d")
    if match.group("metric") not in METRICS:
        raise AlertError(f"{text!r}: unknown metric {match.group('metric')!r} (one of {', '.join(METRICS)})")
    value = float(match.group("value")) / (100 if match.group("percent") else 1)
    return Alert(text, "threshold", match.group("metric"), match.group("op"), value,
                 match.group("scope") or "", (match.group("name") or "").lower(),
                 int(match.group("days") or 0))


def scoped(df: pd.DataFrame, alert: Alert) -> pd.DataFrame:
    """The records an alert's scope covers (``df`` has a ``provider`` column for provider scopes)."""
    if alert.scope == "domain":
        return df.loc[as_string(df["domain"]).str.lower() == alert.name]
    if alert.scope == "provider":
        return df.loc[as_string(df["provider"]).str.lower() == alert.name]
    return df


def measure(counts: dict[str, int], metric: str) -> float:
    """One metric from counts by status (plus ``hard``), as the report defines it."""
    if metric.endswith("_rate"):
        return rates(counts)[metric]
    if metric == "failures":
        return float(sum(counts.get(s, 0) for s in OUTBOUND_FAILURES))
    return float(counts.get(metric, 0))


def status_counts(df: pd.DataFrame) -> dict[str, int]:
    """Records by status, plus ``hard`` (hard failures); each row counts its ``weight``."""
    from .compact import weights

    weight = weights(df)
    counts = {str(k): int(v) for k, v in weight.groupby(as_string(df["status"]).to_numpy()).sum().items()}
    counts["hard"] = int(weight.loc[df["hard"].fillna(False).astype(bool)].sum())
    return counts


def holds(value: float, op: str, limit: float) -> bool:
    return {">": value > limit, ">=": value >= limit, "<": value < limit, "<=": value <= limit}[op]


def check(alerts: list[Alert], df: pd.DataFrame, blocklisted: list[str],
          history: History | None = None) -> list[str]:
    """One line per alert that holds for this run's records ``df``.

    ``blocklisted`` names our listed IPs or domains (outbound); ``history`` gives baselines and the
    reasons seen before (a ``--state`` store).
    """
    fired = []
    if any(alert.scope == "provider" for alert in alerts):
        from .providers import with_provider

        df = with_provider(df)
    for alert in alerts:
        if alert.kind == "blocklisted":
            if blocklisted:
                fired.append(f"{alert.text}: listed on {', '.join(blocklisted[:5])}")
            continue
        if alert.kind == "new_reason":
            assert history is not None
            if not history.daily:  # a first run: nothing to be new against
                continue
            failed = df.loc[as_string(df["status"]).isin(FAILURE_STATUSES)]
            today = set(as_string(failed["reason"]).dropna())
            new = sorted(today - history.reasons_seen)
            if alert.reason:
                new = [r for r in new if r == alert.reason]
            if new:
                fired.append(f"{alert.text}: new today: {', '.join(new)}")
            continue
        value = measure(status_counts(scoped(df, alert)), alert.metric)
        if alert.days:
            assert history is not None
            base = history.baseline(alert)
            if base is not None and holds(value, alert.op, alert.value * base):
                fired.append(f"{alert.text}: {_shown(alert.metric, value)} against "
                             f"{_shown(alert.metric, base)} over the {alert.days} days before")
        elif holds(value, alert.op, alert.value):
            fired.append(f"{alert.text}: {_shown(alert.metric, value)}")
    return fired


def _shown(metric: str, value: float) -> str:
    return f"{100 * value:.2f} %" if metric.endswith("_rate") else f"{value:g}"


class History:
    """What a store knew before this run: daily counts by scope and status, and the reasons seen."""

    def __init__(self, daily: list[tuple], run_day: str) -> None:
        #: the store's daily aggregates before this run (:data:`analyzer.trends.COLUMNS`)
        self.daily = daily
        self.run_day = run_day
        self.reasons_seen = {row[6] for row in daily if row[4] in FAILURE_STATUSES and row[6]}

    def baseline(self, alert: Alert) -> float | None:
        """The metric over the ``alert.days`` days before the run's day (a count per day with mail);
        None without history."""
        from .trends import days_before

        first = days_before(self.run_day, alert.days)
        counts: dict[str, int] = {}
        days_with_mail = {day for day, *_ in self.daily if first <= day < self.run_day}
        seen = False
        for day, _host, provider, domain, status, _code_class, _reason, hard, count in self.daily:
            if not first <= day < self.run_day:
                continue
            if alert.scope == "provider" and provider.lower() != alert.name:
                continue
            if alert.scope == "domain" and domain.lower() != alert.name:
                continue
            seen = True
            counts[status] = counts.get(status, 0) + count
            counts["hard"] = counts.get("hard", 0) + count * bool(hard)
        if not seen:
            return None
        value = measure(counts, alert.metric)
        return value if alert.metric.endswith("_rate") else value / len(days_with_mail)
