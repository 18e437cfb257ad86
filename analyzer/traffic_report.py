"""pflogsumm's figures and the rest of the Postfix traffic: records DataFrame + :class:`Traffic` -> tables.

The grand totals follow pflogsumm's definitions (its source is the reference, see README "Traffic");
the pandas parts are pure functions of the DataFrame.
"""

from __future__ import annotations

import heapq
import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .compact import (
    DELAY_PARTS,
    DERIVED,
    SUMMED,
    Side,
    delivered_delays,
    delivered_recipients,
    derive_frame,
    quantile,
)
from .formats.postfix_log import SMTP_CLIENTS
from .frame import STRING, as_string
from .traffic import EVENT_KINDS, LEVELS, Traffic, client_domain

#: The grand totals, in pflogsumm's order and with its names.
TOTALS = ("received", "delivered", "forwarded", "deferred", "deferrals", "bounced", "rejected",
          "reject_warnings", "held", "discarded", "bytes_received", "bytes_delivered", "senders",
          "sending_domains", "recipients", "recipient_domains")
PER_PERIOD = ("received", "delivered", "deferred", "bounced", "rejected", "reject_warnings", "held",
              "discarded")


def log_records(df: pd.DataFrame) -> pd.DataFrame:
    """The records read from Postfix logs, with the columns the traffic tables use, and ``delivered`` and
    ``forwarded`` as pflogsumm tells them apart: ``status=sent`` is forwarded when its text says
    ``forwarded as`` (a local alias that re-queued the message), else delivered."""
    columns = ["time", "host", "queue_id", "sender", "recipient", "domain", "status", "diagnostic", "reason",
               "size", "delay", "delays", "remote_mta", "remote_ip", "transport", *DERIVED]
    present = [c for c in columns if c in df.columns]
    from_logs = (as_string(df["parser"]) == "postfix-log").fillna(False).astype(bool)
    # not a copy when every row is of a log (then the columns are shared), else these columns only
    logs = derive_frame(df[present] if from_logs.all() else df.loc[from_logs, present])[columns]
    status = as_string(logs["status"])
    sent = (status == "sent").fillna(False).astype(bool)
    forwarded = logs["forwarded"].astype(bool)
    return logs.assign(status=status, delivered=sent & ~forwarded, forwarded=forwarded)


def content_filter_hops(logs: pd.DataFrame) -> int:
    """Deliveries to a content filter on this host (a loopback relay that answered ``queued as``): the
    message comes back through smtpd, so pflogsumm (and its figures here) count it twice."""
    delivered = logs.loc[logs["delivered"], ["remote_ip", "queued_as", "weight"]]
    loopback = as_string(delivered["remote_ip"]).str.match(r"127\.|::1$").fillna(False).astype(bool)
    return int(delivered.loc[loopback & delivered["queued_as"].astype(bool), "weight"].sum())


def _split_at(text: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(has an ``@``, the part before the first ``@``, the part after it) of each string."""
    padded = pc.binary_join_element_wise(text, "@", "")  # every string then has a first "@"
    parts = pc.split_pattern(padded, "@", max_splits=1)
    after = pc.utf8_slice_codeunits(pc.list_element(parts, 1), 0, -1)  # without the added "@"
    return pc.match_substring(text, "@"), pc.list_element(parts, 0), after


def _address_keys(addresses: pd.Series) -> pa.Array:
    """pflogsumm's addresses: everything after the first ``@`` lower-cased (through Arrow, once per
    distinct address)."""
    text = pc.cast(pc.drop_null(pa.array(addresses.astype(STRING).array)), pa.string())
    if isinstance(text, pa.ChunkedArray):  # of a concatenated frame
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary
    has_at, local, domain = _split_at(distinct)
    keys = pc.if_else(has_at, pc.binary_join_element_wise(local, pc.utf8_lower(domain), "@"), distinct)
    return pc.take(keys, encoded.indices)


def _domain_keys(keys: pa.Array) -> pa.Array:
    """pflogsumm's domain of each address key: after the first ``@`` when the local part is not empty,
    else the whole key."""
    has_at, local, domain = _split_at(keys)
    return pc.if_else(pc.and_(has_at, pc.not_equal(local, "")), domain, keys)


def _distinct(values: pa.Array) -> int:
    return pc.count_distinct(values).as_py() if len(values) else 0


def totals(logs: pd.DataFrame, traffic: Traffic | None, side: Side | None = None) -> dict[str, Any]:
    """pflogsumm's "Grand Totals", same names, same definitions (``side``: of a compacted run)."""
    delivered = logs["delivered"]
    deferred = logs.loc[logs["status"] == "deferred", ["host", "queue_id"]]
    events = event_totals(traffic)
    to = delivered_recipients(logs, side)
    recipients = pc.unique(_address_keys(to.loc[~to["forwarded"], "recipient"]))  # without nulls
    figures: dict[str, int | float] = {
        "received": events["received"],
        "delivered": int(logs.loc[delivered, "weight"].sum()),
        "forwarded": int(logs.loc[logs["forwarded"], "weight"].sum()),
        "deferred": len(deferred.drop_duplicates()),
        "deferrals": len(deferred),
        "bounced": int((logs["status"] == "bounced").sum()),
        "rejected": events["rejected"],
        "reject_warnings": events["reject_warnings"],
        "held": events["held"],
        "discarded": events["discarded"],
        "bytes_received": sum(size for _, size in (traffic.senders.values() if traffic else ())),
        "bytes_delivered": int(logs.loc[delivered, "size"].fillna(0).sum()),
        "senders": len(traffic.senders) if traffic else 0,
        "sending_domains": len(traffic.sending_domains) if traffic else 0,
        "recipients": len(recipients),
        "recipient_domains": _distinct(_domain_keys(recipients)),
    }
    base = figures["delivered"] + figures["rejected"] + figures["discarded"]
    figures["rejected_share"] = figures["rejected"] / base if base else 0.0
    figures["discarded_share"] = figures["discarded"] / base if base else 0.0
    figures["content_filter_hops"] = content_filter_hops(logs)
    return figures


def event_totals(traffic: Traffic | None) -> dict[str, int]:
    """Events of ``traffic`` by kind, over all hours."""
    counts = dict.fromkeys(EVENT_KINDS, 0)
    for (kind, _hour), n in (traffic.events.items() if traffic else ()):
        counts[kind] += n
    return counts


def _wall_hours(times: pd.Series) -> pd.Series:
    """Times cut to the hour, as naive UTC when they carry a zone (as :meth:`Traffic.count` keys them)."""
    if getattr(times.dtype, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.dt.floor("h")


def per_hour(logs: pd.DataFrame, traffic: Traffic | None) -> pd.DataFrame:
    """One row per hour that saw traffic (a real per-day breakdown, not an average over days):
    ``hour`` and the counts of :data:`PER_PERIOD` (pflogsumm's "rejected" column of its per-day and
    per-hour tables is the sum of the last four)."""
    kinds = pd.Series("", index=logs.index, dtype=object)
    kinds = kinds.mask(logs["delivered"], "delivered").mask(logs["status"] == "deferred", "deferred")
    kinds = kinds.mask(logs["status"] == "bounced", "bounced")
    hours = _wall_hours(logs["time"])
    counted = pd.DataFrame({"kind": kinds, "hour": hours, "n": logs["weight"].astype("int64")}
                           ).loc[(kinds != "") & hours.notna()]
    from_records = counted.groupby(["hour", "kind"])["n"].sum()
    events = [(hour, kind, n) for (kind, hour), n in (traffic.events.items() if traffic else ())
              if hour is not None and kind in PER_PERIOD]
    from_events = pd.DataFrame(events, columns=["hour", "kind", "n"]).astype({"hour": "datetime64[us]"})
    records = from_records.rename("n").reset_index().astype({"hour": "datetime64[us]"})
    table = pd.concat([records, from_events])
    if table.empty:
        return pd.DataFrame(columns=["hour", *PER_PERIOD])
    wide = table.pivot_table(index="hour", columns="kind", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(PER_PERIOD), fill_value=0).astype("int64")
    return wide.sort_index().reset_index()


def per_day(hours: pd.DataFrame) -> pd.DataFrame:
    """:func:`per_hour` summed per calendar day."""
    if hours.empty:
        return pd.DataFrame(columns=["day", *PER_PERIOD])
    days = hours.assign(day=hours["hour"].dt.strftime("%Y-%m-%d")).groupby("day")[list(PER_PERIOD)].sum()
    return days.reset_index()


def hours_by_day(hours: pd.DataFrame, days: int) -> list[dict[str, Any]]:
    """The last ``days`` days, each with its 24 hours (zeros filled in), for the report's tables."""
    if hours.empty:
        return []
    out = []
    for day, group in list(hours.groupby(hours["hour"].dt.strftime("%Y-%m-%d")))[-days:]:
        by_hour = group.set_index(group["hour"].dt.hour)[list(PER_PERIOD)].reindex(range(24), fill_value=0)
        out.append({"day": day, **{k: [int(v) for v in by_hour[k]] for k in PER_PERIOD}})
    return out


_AVERAGED = ("sent_delay", *DELAY_PARTS)


def delivery_pairs(logs: pd.DataFrame) -> pd.DataFrame:
    """Delivered and deferred records added up per recipient domain and remote MTA (a small table that
    the per-domain and per-provider tables roll up): ``sent``, ``bytes`` (of delivered mail), ``deferral``,
    sums (whole microseconds) and counts of the delays of delivered mail (``delay`` as ``sent_delay``, the
    four parts of ``delays=``) and the largest ``delay`` of any attempt (pflogsumm's maximum counts
    deferrals too)."""
    attempts = logs.loc[logs["delivered"] | (logs["status"] == "deferred"),
                        ["domain", "remote_mta", "delivered", "weight", "size", "delay_max",
                         *(f"{name}_{end}" for name in SUMMED for end in ("us", "n"))]]
    sent = attempts["delivered"]
    weight = attempts["weight"].astype("int64")

    def of_sent(column: str) -> pd.Series:
        return attempts[column].where(sent, 0).fillna(0).astype("int64")

    frame = pd.DataFrame({
        "domain": as_string(attempts["domain"]).fillna("(none)"),
        "remote_mta": as_string(attempts["remote_mta"]).fillna(""),
        "sent": weight.where(sent, 0),
        "deferral": weight.where(~sent, 0),
        "bytes": of_sent("size"),
        **{("sent_delay" if name == "delay" else name): of_sent(f"{name}_us") for name in SUMMED},
        **{("sent_delay_n" if name == "delay" else f"{name}_n"): of_sent(f"{name}_n") for name in SUMMED},
        "delay": attempts["delay_max"].astype("float64"),
    }, index=attempts.index)
    grouped = frame.groupby(["domain", "remote_mta"], sort=False)
    sums = grouped[["sent", "bytes", "deferral", *_AVERAGED, *(f"{a}_n" for a in _AVERAGED)]].sum()
    return pd.concat([sums, grouped["delay"].max().rename("max_delay")], axis=1).reset_index()


def delivery_by(pairs: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """pflogsumm's "Host/Domain Summary: Message Delivery" by ``column`` (``domain`` or ``provider``) of
    :func:`delivery_pairs`: sent, bytes, deferrals, average and maximum delay, and the average of each
    part of ``delays=``."""
    names = [column, "sent", "bytes", "deferrals", "avg_delay", "max_delay", *DELAY_PARTS]
    if pairs.empty:
        return pd.DataFrame(columns=names)
    grouped = pairs.groupby(column, observed=True)
    totals = grouped[["sent", "bytes", "deferral", *_AVERAGED, *(f"{a}_n" for a in _AVERAGED)]].sum()
    counted = {a: totals[f"{a}_n"].where(totals[f"{a}_n"] > 0) for a in _AVERAGED}
    means = {("avg_delay" if a == "sent_delay" else a): totals[a] / 1e6 / counted[a] for a in _AVERAGED}
    table = pd.DataFrame({"sent": totals["sent"], "bytes": totals["bytes"], "deferrals": totals["deferral"],
                          "max_delay": grouped["max_delay"].max(), **means})
    table = table.sort_values(["sent", "deferrals"], ascending=False).head(top).rename_axis(column)
    return table.reset_index()[names].round(3)


def delay_percentiles(logs: pd.DataFrame, side: Side | None = None) -> dict[str, float | None]:
    """``delay=`` of delivered mail: median, 95th percentile and maximum (seconds); ``side``: the
    values of a compacted run's collapsed rows."""
    counts = delivered_delays(logs.loc[logs["delivered"]], side)
    if counts.empty:
        return {"p50": None, "p95": None, "max": None}
    return {"p50": round(quantile(counts, 0.5), 3), "p95": round(quantile(counts, 0.95), 3),
            "max": round(float(counts.index.max()), 3)}


def top_counts(table: dict[str, list[int]], top: int, by: int) -> list[dict[str, Any]]:
    """The ``top`` keys of a {key: [messages, bytes]} table by messages (``by`` 0) or bytes (1)."""
    ranked = heapq.nsmallest(top, table.items(), key=lambda item: (-item[1][by], item[0]))
    return [{"key": key, "messages": messages, "bytes": size} for key, (messages, size) in ranked]


def _top_rows(table: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """The ``top`` rows of ``table`` by ``column`` (the largest first), ties by ``key``; only the rows
    that can make the cut are sorted."""
    if 0 < top < len(table):
        table = table.loc[table[column] >= table[column].nlargest(top).iloc[-1]]
    return table.sort_values([column, "key"], ascending=[False, True]).head(top)


def top_recipients(logs: pd.DataFrame, top: int, side: Side | None = None) -> dict[str, list[dict[str, Any]]]:
    """pflogsumm's "Recipients by message count" and "by message size": delivered mail per recipient
    (pflogsumm's address: the domain lower-cased); ``side``: of a compacted run."""
    to = delivered_recipients(logs, side)
    delivered = to.loc[~to["forwarded"]]
    if delivered.empty:
        return {"by_messages": [], "by_bytes": []}
    keys = pc.dictionary_encode(_address_keys(delivered["recipient"]))
    positions = keys.indices.to_numpy()  # of each key in keys.dictionary
    grouped = delivered[["count", "bytes"]].reset_index(drop=True).groupby(positions).sum()
    table = pd.DataFrame({"key": keys.dictionary.to_pandas(types_mapper=pd.ArrowDtype).astype(STRING),
                          "messages": grouped["count"], "bytes": grouped["bytes"]})
    ranked = {name: _top_rows(table, column, top)
              for name, column in (("by_messages", "messages"), ("by_bytes", "bytes"))}
    return {name: [{"key": k, "messages": int(m), "bytes": int(b)}
                   for k, m, b in zip(t["key"], t["messages"], t["bytes"], strict=True)]
            for name, t in ranked.items()}


def failures_by(logs: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """Who causes the failures: bounced and expired messages, deferrals and blocks (``reason``
    ``blocked``) per sender or recipient, the most bounces first."""
    failed = logs.loc[logs["status"].isin(["bounced", "expired", "deferred"]) & logs[column].notna(),
                      [column, "status", "reason"]]
    if failed.empty:
        return pd.DataFrame(columns=[column, "bounced", "expired", "deferred", "blocked"])
    frame = pd.DataFrame({
        column: as_string(failed[column]),
        "bounced": (failed["status"] == "bounced").astype("int64"),
        "expired": (failed["status"] == "expired").astype("int64"),
        "deferred": (failed["status"] == "deferred").astype("int64"),
        "blocked": (as_string(failed["reason"]) == "blocked").fillna(False).astype("int64"),
    })
    table = frame.groupby(column).sum()
    table = table.assign(failures=table["bounced"] + table["expired"])
    return table.sort_values(["failures", "blocked", "deferred"], ascending=False).head(top).reset_index()


def lifecycle(logs: pd.DataFrame) -> dict[str, Any]:
    """Each (message, recipient) that was deferred: its final outcome (sent later, bounced, expired with
    its message, or still queued at the end of the log) and the time from its first deferral to it."""
    attempts = logs.loc[logs["status"].isin(["sent", "deferred", "bounced"]) & logs["recipient"].notna(),
                        ["time", "host", "queue_id", "recipient", "status"]]
    deferred_ids = attempts.loc[attempts["status"] == "deferred", "queue_id"].unique()
    attempts = attempts.loc[attempts["queue_id"].isin(deferred_ids)]
    outcome = {"sent": 0, "bounced": 0, "expired": 0, "deferred": 0}
    if attempts.empty:
        return {**outcome, "delivered_share": 0.0, "median_seconds": None, "max_seconds": None}
    keyed = attempts.assign(recipient=as_string(attempts["recipient"]).str.lower(),
                            host=as_string(attempts["host"]))
    first_deferral = keyed["time"].where(keyed["status"] == "deferred")
    keyed = keyed.assign(first_deferral=first_deferral)
    pairs = keyed.groupby(["host", "queue_id", "recipient"], sort=False).agg(
        first_deferral=("first_deferral", "min"), status=("status", "last"), end=("time", "last"))
    pairs = pairs.loc[pairs["first_deferral"].notna()]
    expired = logs.loc[logs["status"] == "expired"]
    expired_keys = pd.MultiIndex.from_arrays([as_string(expired["host"]), expired["queue_id"]])
    ends = pd.Series(expired["time"].to_numpy(), index=expired_keys)
    ends = ends[~ends.index.duplicated(keep="last")]
    pair_keys = pd.MultiIndex.from_arrays([pairs.index.get_level_values(0), pairs.index.get_level_values(1)])
    is_expired = (pairs["status"].to_numpy() == "deferred") & pair_keys.isin(expired_keys)
    status = pairs["status"].mask(is_expired, "expired")
    end = pairs["end"].mask(is_expired, pd.Series(ends.reindex(pair_keys).to_numpy(), index=pairs.index))
    done = status != "deferred"
    seconds = (end - pairs["first_deferral"]).dt.total_seconds().where(done).dropna()
    outcome.update({k: int(v) for k, v in status.value_counts().items()})
    finished = outcome["sent"] + outcome["bounced"] + outcome["expired"]
    return {
        **outcome,
        "delivered_share": outcome["sent"] / finished if finished else 0.0,
        "median_seconds": round(float(seconds.median()), 1) if len(seconds) else None,
        "max_seconds": round(float(seconds.max()), 1) if len(seconds) else None,
    }


@lru_cache(maxsize=1)
def _health_hints() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    text = resources.files("analyzer.data").joinpath("postfix_health.toml").read_text("utf-8")
    return [(re.compile(h["match"]), h) for h in tomllib.loads(text)["hint"]]


def health_hint(text: str, lang: str = "en") -> str:
    """The knowledge base's hint for one of Postfix's own messages, or ''."""
    for pattern, hint in _health_hints():
        if pattern.search(text[:2000]):
            return hint.get(lang) or hint["en"]
    return ""


def health(traffic: Traffic | None, top: int, lang: str = "en") -> list[dict[str, Any]]:
    """Postfix's own messages grouped by level, daemon and normalised text: panics and fatal errors
    first, then by count; each with first and last seen, an example and a hint."""
    if traffic is None:
        return []
    order = {level: i for i, level in enumerate(LEVELS)}
    groups = sorted(traffic.health.items(), key=lambda item: (order[item[0][0]], -item[1].count, item[0]))
    severe = [g for g in groups if g[0][0] in ("panic", "fatal")]
    rest = [g for g in groups if g[0][0] not in ("panic", "fatal")][: max(0, top - len(severe))]
    rows, hinted = [], set()
    for (level, daemon, pattern), g in [*severe, *rest]:
        hint = health_hint(g.example, lang)
        rows.append({"level": level, "daemon": daemon, "pattern": pattern, "count": g.count,
                     "first": g.first.isoformat() if g.first else None,
                     "last": g.last.isoformat() if g.last else None,
                     "example": g.example, "hint": hint, "hint_repeated": hint in hinted})
        hinted.add(hint)
    return rows


#: The trust levels of a TLS connection, as Postfix names them, the weakest first.
TRUST_LEVELS = ("Anonymous", "Untrusted", "Trusted", "Verified")


def _smtpd_domains(traffic: Traffic | None) -> dict[str, list[Any]]:
    """:attr:`Traffic.smtpd_clients` rolled up by client domain (pflogsumm's host/domain)."""
    domains: dict[str, list[Any]] = {}
    for client, (connects, connections, seconds, longest, tls) in (traffic.smtpd_clients.items()
                                                                   if traffic else ()):
        row = domains.setdefault(client_domain(client), [0, 0, 0.0, 0.0, 0])
        row[0] += connects
        row[1] += connections
        row[2] += seconds
        row[3] = max(row[3], longest)
        row[4] += tls
    return domains


def smtpd_stats(domains: dict[str, list[Any]]) -> dict[str, Any]:
    """pflogsumm's "smtpd" (--smtpd-stats): connections (a ``connect from`` paired with the same
    process's ``disconnect from``), distinct client hosts/domains among them, total, average and longest
    connect time in seconds; beside them the ``connect from`` lines and the TLS connections from clients
    (``TLS connection established from``) and their share of the connects."""
    connects = connections = tls = 0
    seconds = longest = 0.0
    hosts = 0
    for row in domains.values():
        connects += row[0]
        connections += row[1]
        seconds += row[2]
        longest = max(longest, row[3])
        tls += row[4]
        hosts += row[1] > 0
    return {"connections": connections, "hosts_domains": hosts, "total_seconds": round(seconds, 3),
            "avg_seconds": round(seconds / connections, 3) if connections else 0.0,
            "max_seconds": round(longest, 3), "connects": connects, "tls": tls,
            "tls_share": tls / connects if connects else 0.0}


def smtpd_clients(domains: dict[str, list[Any]], top: int) -> list[dict[str, Any]]:
    """pflogsumm's "Host/Domain Summary: SMTPD Connections" (the most connections first), with the
    client's connect lines, TLS connections and their share."""
    ranked = heapq.nsmallest(top, domains.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    return [{"client": client, "connections": connections, "total_seconds": round(seconds, 3),
             "avg_seconds": round(seconds / connections, 3) if connections else 0.0,
             "max_seconds": round(longest, 3), "connects": connects, "tls": tls,
             "tls_share": tls / connects if connects else 0.0}
            for client, (connects, connections, seconds, longest, tls) in ranked]


def remote_deliveries(logs: pd.DataFrame) -> pd.Series:
    """Delivered mail by SMTP clients (smtp, lmtp, relay) to a remote host, per recipient domain: the
    records the parser checks for TLS (``status=sent``, a remote IP as :func:`remote_ip` has it)."""
    ip = pa.array(as_string(logs["remote_ip"]).astype(STRING).array)
    remote = pc.and_kleene(pc.invert(pc.match_substring(ip, "/")),
                           pc.and_kleene(pc.invert(pc.starts_with(ip, "127.")), pc.not_equal(ip, "::1")))
    remote = pc.and_kleene(pc.and_kleene(pc.is_valid(ip), pc.not_equal(ip, "")), remote)
    mask = (logs["status"] == "sent").to_numpy(dtype=bool, na_value=False)
    mask &= as_string(logs["transport"]).isin(list(SMTP_CLIENTS)).to_numpy(dtype=bool, na_value=False)
    mask &= remote.fill_null(False).to_numpy(zero_copy_only=False)
    domains = as_string(logs.loc[mask, "domain"]).fillna("(none)")
    return logs.loc[mask, "weight"].astype("int64").groupby(domains).sum().sort_values(ascending=False)


def tls_by_domain(logs: pd.DataFrame, traffic: Traffic | None) -> dict[str, dict[str, int]]:
    """Per recipient domain: deliveries to remote hosts, those over TLS, and those by trust level."""
    counts = remote_deliveries(logs)
    by_domain = {str(domain): {"deliveries": int(n), "tls": 0, **dict.fromkeys(TRUST_LEVELS, 0)}
                 for domain, n in counts.items()}
    for (domain, trust), n in (traffic.tls_deliveries.items() if traffic else ()):
        row = by_domain.setdefault(domain, {"deliveries": 0, "tls": 0, **dict.fromkeys(TRUST_LEVELS, 0)})
        row["tls"] += n
        row[trust] = row.get(trust, 0) + n
    return by_domain


def tls_outbound(by_domain: dict[str, dict[str, int]], top: int) -> dict[str, Any]:
    """Delivered mail to remote hosts over SMTP/LMTP (:func:`tls_by_domain`), and the share sent over TLS,
    overall (``share``, by trust in ``by_trust``) and per recipient domain (``domains``, the most
    deliveries first)."""
    by_trust = {trust: sum(row.get(trust, 0) for row in by_domain.values()) for trust in TRUST_LEVELS}
    deliveries = sum(row["deliveries"] for row in by_domain.values())
    tls = sum(row["tls"] for row in by_domain.values())
    ranked = heapq.nsmallest(top, by_domain.items(), key=lambda item: (-item[1]["deliveries"], item[0]))
    return {"deliveries": deliveries, "tls": tls, "share": tls / deliveries if deliveries else 0.0,
            "by_trust": by_trust,
            "domains": [{"domain": domain, **row, "share": row["tls"] / row["deliveries"] if row["deliveries"]
                         else 0.0} for domain, row in ranked]}


def _share(row: dict[str, int] | None) -> float | None:
    """The TLS share of one :func:`tls_by_domain` row (None without deliveries to remote hosts)."""
    return row["tls"] / row["deliveries"] if row and row["deliveries"] else None


def _top(counter: Any, top: int, name: str) -> list[dict[str, Any]]:
    return [{name: key, "count": n} for key, n in counter.most_common(top)]


def summary(df: pd.DataFrame, traffic: Traffic | None, top: int, lang: str = "en", side: Side | None = None
            ) -> dict[str, Any] | None:
    """Everything under ``traffic`` in the summary (``--json``); None when no Postfix log was read.
    ``side``: the side tables of a compacted run (:mod:`analyzer.compact`)."""
    logs = log_records(df)
    if logs.empty and traffic is None:
        return None
    from .providers import labels, with_provider

    hours = per_hour(logs, traffic)
    levels = dict.fromkeys(LEVELS, 0)
    for (level, _daemon, _pattern), group in (traffic.health.items() if traffic else ()):
        levels[level] += group.count
    tls = traffic.tls if traffic else {}
    smtpd_domains = _smtpd_domains(traffic)
    tls_domains = tls_by_domain(logs, traffic)
    pairs = delivery_pairs(logs)
    recipients = top_recipients(logs, top, side)
    if len(pairs):
        pairs = with_provider(pairs)
        pairs = pairs.assign(provider=as_string(pairs["provider"]).map(labels()))
    return {
        **totals(logs, traffic, side),
        "per_day": _rows(per_day(hours)),
        "per_hour": _rows(hours.assign(hour=hours["hour"].dt.strftime("%Y-%m-%dT%H:00"))) if len(hours)
        else [],
        "hours_by_day": hours_by_day(hours, min(top, 3)),
        "delays": delay_percentiles(logs, side),
        "domains": [{**row, "tls_share": _share(tls_domains.get(row["domain"]))}
                    for row in _rows(delivery_by(pairs, "domain", top))],
        "providers": _rows(delivery_by(pairs, "provider", top)),
        "top_senders": top_counts(traffic.senders, top, 0) if traffic else [],
        "top_senders_by_bytes": top_counts(traffic.senders, top, 1) if traffic else [],
        "top_sending_domains": top_counts(traffic.sending_domains, top, 0) if traffic else [],
        "top_recipients": recipients["by_messages"],
        "top_recipients_by_bytes": recipients["by_bytes"],
        "sender_failures": _rows(failures_by(logs, "sender", top)),
        "recipient_failures": _rows(failures_by(logs, "recipient", top)),
        "health_levels": levels,
        "health": health(traffic, top, lang),
        "master": _top(traffic.master, top, "message") if traffic else [],
        "sasl_ips": _top(traffic.sasl_ips, top, "ip") if traffic else [],
        "sasl_users": _top(traffic.sasl_users, top, "user") if traffic else [],
        "sasl_failures": sum(traffic.sasl_ips.values()) if traffic else 0,
        "sasl_clients": len(traffic.sasl_ips) if traffic else 0,
        "postscreen": _top(traffic.postscreen, 20, "result") if traffic else [],
        "postscreen_clients": _top(traffic.postscreen_clients, top, "ip") if traffic else [],
        "tls": [{"direction": d, "trust": t, "count": n} for (d, t), n in sorted(tls.items())],
        "tls_outbound": tls_outbound(tls_domains, top),
        "smtpd": smtpd_stats(smtpd_domains),
        "smtpd_clients": smtpd_clients(smtpd_domains, top),
        "lifecycle": lifecycle(logs),
    }


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    from .report import rows

    return rows(table)
