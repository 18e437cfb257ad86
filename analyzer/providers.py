"""Fold recipient domains and remote MTAs into mailbox providers (``data/mailbox_providers.toml``).

>>> provider_of("example.com", "example-com.mail.protection.outlook.com")
'microsoft'
>>> provider_of("gmail.com", None)
'google'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .compact import weights
from .frame import ATTEMPT_STATUSES, STRING, as_string, attempts

OTHER = "other"
_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,252}")  # leading host name of "mx.example.org[192.0.2.1]" & co
_IP_LIKE = re.compile(r"[0-9.]{1,253}")


@dataclass(frozen=True, slots=True)
class Provider:
    """One mailbox provider or hosted gateway, compiled from the TOML table."""

    id: str
    label: str
    host: re.Pattern[str] | None
    domain: re.Pattern[str] | None


def _suffix_regex(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex of ``patterns``, for :func:`_covers`."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _covers(pattern: re.Pattern[str], name: str) -> bool:
    """True when ``pattern`` matches the whole name or a whole-label suffix of it (``mx.google.com``
    is covered by ``google\\.com``).  Tried at each label start, which is faster than searching
    ``(?:^|\\.)(?:...)$`` through every position."""
    start = 0
    while True:
        if pattern.fullmatch(name, start):
            return True
        start = name.find(".", start) + 1
        if not start:
            return False


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[Provider, ...], dict[str, str]]:
    """The bundled providers, and the plain domain suffixes mapped to provider ids."""
    text = resources.files("analyzer.data").joinpath("mailbox_providers.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    providers = []
    suffixes: dict[str, str] = {}
    for entry in data["provider"]:
        providers.append(Provider(entry["id"], entry["label"], _suffix_regex(entry.get("hosts", [])),
                                  _suffix_regex(entry.get("domain_patterns", []))))
        for suffix in entry.get("domains", []):
            suffixes.setdefault(suffix.lower(), entry["id"])
    return tuple(providers), suffixes


def labels() -> dict[str, str]:
    """Provider id -> display label, in file order, ending with ``other``."""
    return {p.id: p.label for p in _table()[0]} | {OTHER: "Other"}


def _clean(name: str | None) -> str | None:
    """The lower-cased leading host name of a field, or None for empty, IP literals and bare words."""
    if not name:
        return None
    match = _NAME.match(name.strip().lower())
    if match is None:
        return None
    host = match.group(0).rstrip(".")
    if "." not in host or _IP_LIKE.fullmatch(host):
        return None
    return host


@lru_cache(maxsize=1)
def _any_host() -> re.Pattern[str] | None:
    """One regex over every provider's host patterns: most MX hosts are no provider's."""
    hosts = [p.host.pattern for p in _table()[0] if p.host is not None]
    return re.compile("|".join(f"(?:{h})" for h in hosts)) if hosts else None


@lru_cache(maxsize=16384)
def _by_host(host: str) -> str | None:
    anything = _any_host()
    if anything is None or not _covers(anything, host):
        return None
    return next((p.id for p in _table()[0] if p.host is not None and _covers(p.host, host)), None)


@lru_cache(maxsize=16384)
def _by_domain(domain: str) -> str | None:
    providers, suffixes = _table()
    labels_ = domain.split(".")
    found = next((suffixes[s] for i in range(len(labels_))
                  if (s := ".".join(labels_[i:])) in suffixes), None)
    if found is not None:
        return found
    return next((p.id for p in providers if p.domain is not None and _covers(p.domain, domain)), None)


@lru_cache(maxsize=65536)
def provider_of(domain: str | None, remote_mta: str | None) -> str:
    """The provider id for a recipient domain and the host that answered; ``"other"`` when unknown.

    The remote MTA wins: custom domains hosted at Google or Microsoft are recognised by their MX.
    """
    return _of_host(remote_mta) or _of_domain(domain) or OTHER


def _of_host(remote_mta: str | None) -> str | None:
    host = _clean(remote_mta)
    return _by_host(host) if host else None


def _of_domain(domain: str | None) -> str | None:
    name = _clean(domain)
    return _by_domain(name) if name else None


def with_provider(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with a categorical ``provider`` column (:func:`provider_of` of each row),
    looked up once per distinct remote MTA and once per distinct domain."""
    categories = list(labels())
    position = {name: i for i, name in enumerate(categories)}

    def positions(column: str, lookup: Any) -> np.ndarray:
        codes, uniques = pd.factorize(as_string(df[column]).fillna(""))
        found = np.array([position.get(lookup(value or None), -1) for value in uniques.tolist()] + [-1],
                         dtype=np.int16)
        return found[codes]  # code -1 (none) picks the appended -1

    by_host, by_domain = positions("remote_mta", _of_host), positions("domain", _of_domain)
    codes = np.where(by_host >= 0, by_host, np.where(by_domain >= 0, by_domain, position[OTHER]))
    values = pd.Categorical.from_codes(codes.astype(np.int16), categories)
    return df.assign(provider=pd.Series(values, index=df.index))


def by_provider(df: pd.DataFrame) -> pd.DataFrame:
    """Per provider: attempts by outcome, bounce and deferral rates, failures, distinct domains.

    Like :func:`analyzer.frame.by_domain`: ``bounce_rate`` = (bounced + expired) / (sent + bounced +
    expired), ``deferral_rate`` = deferred / total; sorted by failures, the most first.
    """
    if "provider" not in df.columns:
        df = with_provider(df)
    outbound = attempts(df.assign(weight=weights(df)), ["provider", "domain", "status", "weight"])
    provider = as_string(outbound["provider"])
    table = (
        pd.crosstab(provider, as_string(outbound["status"]), values=outbound["weight"], aggfunc="sum")
        .fillna(0)
        .reindex(columns=list(ATTEMPT_STATUSES), fill_value=0)
        .astype("int64")
    )
    table.columns.name = None
    total = table.sum(axis=1)
    final = table["sent"] + table["bounced"] + table["expired"]
    failures = table["bounced"] + table["deferred"] + table["expired"]
    table = table.assign(
        total=total,
        bounce_rate=(table["bounced"] + table["expired"]).div(final.where(final > 0)).fillna(0.0),
        deferral_rate=table["deferred"].div(total.where(total > 0)).fillna(0.0),
        failures=failures,
        domains=outbound["domain"].groupby(provider).nunique().reindex(table.index, fill_value=0)
        .astype("int64"),
    )
    table = table.rename_axis("provider").reset_index()
    table.insert(1, "label", table["provider"].map(labels()).astype(STRING))
    return table.sort_values(["failures", "total", "provider"], ascending=[False, False, True],
                             ignore_index=True)
