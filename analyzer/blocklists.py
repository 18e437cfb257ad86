"""Which block list refused the mail, recognised offline in reply texts (``data/blocklists.toml``).

>>> find_listing("554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org").name
'Spamhaus ZEN'
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for the report's table (listings): the classifier imports this module
    import pandas as pd

#: Statuses whose diagnostics are searched; ``rejected`` is our server refusing a client (inbound).
STATUSES = ("bounced", "deferred", "expired", "rejected")
INBOUND = ("rejected",)
COLUMNS = ("direction", "list", "item", "count", "first_seen", "last_seen", "domains", "example", "url",
           "how_en", "how_de")

_PLACEHOLDERS = {
    "<ip>": r"(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f]{0,4}:[0-9a-f:.]{2,45})",
    "<host>": r"[a-z0-9][a-z0-9-]{0,62}\.[a-z0-9.-]{1,190}",
    "<name>": r"[a-z0-9][a-z0-9.-]{0,252}",
}
_PLACEHOLDER = re.compile("|".join(map(re.escape, _PLACEHOLDERS)))
# "host mx.example.net[192.0.2.1] said: " / "... refused to talk to me: " names the receiving server
_WRAPPER = re.compile(
    r"^\s{0,8}host [^\s\[]{1,255}\[[^\]\s]{1,64}\](?::\d{1,5})? (?:said|refused to talk to me): ")
# the receiving server's own name and address, anywhere ("... host mx.example.org [192.0.2.22]: 550 ...");
# (?<!\whost) is a leading \b checked after the literal, which lets the engine jump to "host"
_REMOTE = re.compile(r"host(?<!\whost) [a-z0-9_.-]{1,255} ?\[[0-9a-f:.]{1,45}\]")
_ANY_IP = re.compile(r"(?<![\w.:])(" + _PLACEHOLDERS["<ip>"] + r")(?![\w:])")


@dataclass(frozen=True, slots=True)
class Listing:
    """One recognised listing: the list, the IP or domain it lists (when quoted) and how to get off it."""

    name: str
    item: str | None
    url: str
    how_en: str
    how_de: str


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    items: tuple[re.Pattern[str], ...]
    url: str
    how_en: str
    how_de: str


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_PLACEHOLDER.sub(lambda m: _PLACEHOLDERS[m.group(0)], pattern))


def _required_literal(pattern: str) -> str:
    """The longest run of literal characters every match of ``pattern`` contains, read from its top
    level only (groups, classes and escapes like ``\\b`` end a run; a character made optional by
    ``?``, ``*`` or ``{`` does not count), or ``""`` when the top level has alternatives: a text without
    it cannot match, which a substring test finds in a fraction of the time the regex takes."""
    best = run = ""
    depth = i = 0
    while i < len(pattern):
        char, i = pattern[i], i + 1
        literal = None
        if char == "\\" and i < len(pattern):
            char, i = pattern[i], i + 1
            literal = None if char.isalnum() else char  # \b \d \w ... are not literals; \. \- are
        elif char == "[":  # a class: skip to its closing bracket
            i += pattern[i] == "^" if i < len(pattern) else 0
            i += pattern[i] == "]" if i < len(pattern) else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
        elif char == "{":  # a counted repeat: skip its bounds
            i = pattern.find("}", i) + 1 or len(pattern)
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return ""
        elif char not in ".^$*+?}|":
            literal = char
        if literal is not None and depth == 0:
            optional = i < len(pattern) and pattern[i] in "?*{"
            if not optional:
                run += literal
            if not optional and (i >= len(pattern) or pattern[i] != "+"):
                continue
        best, run = max(best, run, key=len), ""
    return max(best, run, key=len)


_Candidate = tuple[_Entry, re.Pattern[str], str]


@lru_cache(maxsize=1)
def _screen() -> tuple[tuple[str, ...], re.Pattern[str] | None, tuple[_Candidate, ...]]:
    """What a lower-cased text must contain to name a list: the literals the list patterns require (a
    literal containing another one dropped) and one regex of the patterns that have none; then every
    (list, pattern, its literal) in file order, so that only the patterns whose literal is there are run."""
    entries, _ = _table()
    candidates = tuple((e, p, _required_literal(p.pattern)) for e in entries for p in e.patterns)
    literals = {lit for _, _, lit in candidates if len(lit) >= 3}
    rest = [p.pattern for _, p, lit in candidates if len(lit) < 3]
    minimal = tuple(sorted(lit for lit in literals if not any(o != lit and o in lit for o in literals)))
    candidates = tuple((e, p, lit if len(lit) >= 3 else "") for e, p, lit in candidates)
    return minimal, re.compile("|".join(f"(?:{p})" for p in rest)) if rest else None, candidates


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[_Entry, ...], tuple[re.Pattern[str], ...]]:
    """The compiled lists in file order and the generic item patterns."""
    text = resources.files("analyzer.data").joinpath("blocklists.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    entries = tuple(
        _Entry(e["name"], tuple(map(_compile, e["patterns"])), tuple(map(_compile, e.get("item", []))),
               e.get("url", ""), e["how"]["en"], e["how"]["de"])
        for e in data["blocklist"]
    )
    return entries, tuple(map(_compile, data["item"]["patterns"]))


_IPV4 = re.compile(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


def _valid(item: str) -> str | None:
    """An IP literal in canonical form, a bare domain, or None for text that is neither."""
    item = item.strip("<>[]").rstrip(".;,)").rpartition("@")[2]
    if _IPV4.fullmatch(item):  # already canonical: no leading zeros, each part at most 255
        return item
    try:
        return str(ipaddress.ip_address(item))
    except ValueError:
        pass
    item = item.rstrip(":")
    return item if "." in item and ":" not in item and not item.replace(".", "").isdigit() else None


def _item(text: str, own: tuple[re.Pattern[str], ...], generic: tuple[re.Pattern[str], ...]) -> str | None:
    for pattern in (*own, *generic):
        for match in pattern.finditer(text):
            if found := _valid(match.group("item")):
                return found
    return next((found for m in _ANY_IP.finditer(text) if (found := _valid(m.group(1)))), None)


@lru_cache(maxsize=16384)
def find_listing(text: str | None) -> Listing | None:
    """The block list named or implied by a reply text, or None; offline, no DNS lookups."""
    found = _list_of(text) if text else None
    if text is None or found is None:
        return None
    entry, name = found
    return Listing(name, listed_item(text, entry), entry.url, entry.how_en, entry.how_de)


def list_name(text: str) -> str | None:
    """The name of the block list a raw reply text names (as :func:`find_listing` gives it), or None;
    cached per distinct text (the classifier asks once per distinct diagnostic it cannot otherwise decide).

    >>> list_name("554 5.7.1 https://www.spamhaus.org/query/ip/192.0.2.1")
    'Spamhaus ZEN'
    """
    found = _list_of(text)
    return found[1] if found is not None else None


@lru_cache(maxsize=65536)
def _list_of(text: str) -> tuple[_Entry, str] | None:
    """The list entry a reply text names and its display name (without the listed item): the first
    list in file order one of whose patterns matches."""
    low = text.lower()
    literals, rest, candidates = _screen()
    if not any(map(low.__contains__, literals)) and (rest is None or rest.search(low) is None):
        return None  # most replies: a few substring tests instead of the patterns of all lists
    low = _WRAPPER.sub("", low, count=1)
    for entry, pattern, literal in candidates:
        if literal in low and (match := pattern.search(low)) is not None:
            zone = (match.groupdict().get("zone") or "").rstrip(".;,:")
            return entry, entry.name.format(zone=zone) if "{zone}" in entry.name else entry.name
    return None


def listed_item(text: str, entry: _Entry | None = None) -> str | None:
    """The IP or domain a reply says is listed (``entry``'s own patterns first, then generic ones)."""
    _, generic = _table()
    low = _WRAPPER.sub("", text.lower(), count=1)
    return _item(_REMOTE.sub("host <remote>", low), entry.items if entry else (), generic)


def listings(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (direction, list, listed item) over failed and rejected records.

    ``direction`` is ``outbound`` (our mail was refused: bounced, deferred, expired) or ``inbound`` (our
    server refused a client: rejected; the listed IPs are other people's).  Each distinct diagnostic is
    evaluated once.
    """
    import pandas as pd

    from .frame import STRING

    mask = df["status"].isin(STATUSES) & df["diagnostic"].notna()
    failed = df.loc[mask, ["time", "domain", "status", "diagnostic"]]
    if "pattern" in df.columns:
        # The list is decided once per normalised pattern (hosts, IPs and ids are placeholders
        # there); only the listed item is read from each text.
        keyed = failed.assign(pattern=df.loc[mask, "pattern"].fillna(failed["diagnostic"]))
        samples = keyed.drop_duplicates("pattern")
        pairs = zip(samples["pattern"], samples["diagnostic"], strict=True)
        by_pattern = {p: listed for p, text in pairs
                      if find_listing(text) is not None and (listed := _list_of(text)) is not None}
        hits = keyed.loc[keyed["pattern"].isin(list(by_pattern))]  # every text of these patterns is a hit
        found = {}
        for pattern, text in hits[["pattern", "diagnostic"]].drop_duplicates("diagnostic").itertuples(
                index=False):
            entry, name = by_pattern[pattern]
            found[text] = Listing(name, listed_item(text, entry), entry.url, entry.how_en, entry.how_de)
    else:
        found = {text: hit for text in failed["diagnostic"].unique()
                 if (hit := find_listing(text)) is not None}
        hits = failed.loc[failed["diagnostic"].isin(list(found))]
    if hits.empty:
        return pd.DataFrame({c: pd.Series(dtype=STRING) for c in COLUMNS})
    diagnostic = hits["diagnostic"]
    table = (
        hits.assign(
            direction=hits["status"].isin(INBOUND).map({True: "inbound", False: "outbound"}).astype(STRING),
            list=diagnostic.map({t: h.name for t, h in found.items()}).astype(STRING),
            item=diagnostic.map({t: h.item for t, h in found.items()}).astype(STRING),
        )
        .groupby(["direction", "list", "item"], dropna=False, sort=False)
        .agg(count=("status", "size"), first_seen=("time", "min"), last_seen=("time", "max"),
             domains=("domain", "nunique"), example=("diagnostic", "first"))
        .reset_index()
    )
    about = {h.name: h for h in found.values()}
    table = table.assign(
        url=table["list"].map(lambda n: about[n].url).astype(STRING),
        how_en=table["list"].map(lambda n: about[n].how_en).astype(STRING),
        how_de=table["list"].map(lambda n: about[n].how_de).astype(STRING),
    )
    order = table["direction"].map({"outbound": 0, "inbound": 1})
    return (
        table.assign(_order=order)
        .sort_values(["_order", "count", "list", "item"], ascending=[True, False, True, True])
        .drop(columns="_order")
        .reset_index(drop=True)[list(COLUMNS)]
    )
