"""What a Postfix log says beside its records: pflogsumm's counted events, its senders, Postfix's health.

A :class:`Traffic` is filled by the log parser (:mod:`analyzer.formats.postfix_log`) for one input or
one byte range of it; the ranges of one input are merged in order by :func:`merge`, which also joins
the messages received in one range with their ``qmgr`` line in a later one.  Nothing here imports
pandas: the parse workers fill and pickle these (see :mod:`analyzer.traffic_report` for the tables).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

#: Events counted per hour (pflogsumm's names); delivered, deferred and bounced come from the records.
EVENT_KINDS = ("received", "rejected", "reject_warnings", "held", "discarded")
#: Levels of Postfix's own messages, the worst first.
LEVELS = ("panic", "fatal", "error", "warning")
#: Distinct health groups kept per input: a hostile log cannot make the table grow without end.
MAX_GROUPS = 2000

# pflogsumm's gimme_domain: "host.example.com[192.0.2.1]" -> "example.com"; "unknown[ip]" -> the ip
_CLIENT = re.compile(r"([^\[]{0,300})\[((?:\d{1,3}\.){3}\d{1,3})\]")
_CLIENT_SLASH = re.compile(r"([^/]{0,300})/([0-9a-fA-F.:]{1,100})")
_CLIENT_ANY = re.compile(r"([^\[(/]{0,300})[\[(/]([^\])]{1,100})[\])]:?\d*")


@lru_cache(maxsize=8192)
def client_domain(client: str) -> str:
    """The client's domain as pflogsumm names it: its IP address when it has no name, else the last two
    labels of a name whose last label has three letters (three labels for ``example.co.uk``-like ones),
    lower-cased; any other name as it is."""
    m = _CLIENT.match(client) or _CLIENT_SLASH.match(client) or _CLIENT_ANY.fullmatch(client)
    domain, ip = (m.group(1), m.group(2)) if m else ("", "")
    if domain in ("", "unknown"):
        return ip
    # pflogsumm: s/^(.*)\.([^\.]+)\.([^\.]{3}|[^\.]{2,3}\.[^\.]{2})$/\L$2.$3/, without its backtracking
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] and len(labels[-1]) == 3:
        return f"{labels[-2]}.{labels[-1]}".lower()
    if len(labels) >= 4 and labels[-3] and len(labels[-2]) in (2, 3) and len(labels[-1]) == 2:
        return f"{labels[-3]}.{labels[-2]}.{labels[-1]}".lower()
    return domain


def sender_key(address: str) -> str:
    """pflogsumm's sender: the domain part lower-cased; the null sender as ``from=<>``."""
    if not address:
        return "from=<>"
    local, at, domain = address.partition("@")
    return f"{local}@{domain.lower()}" if at else address


@dataclass
class Health:
    """One group of Postfix's own messages: same level, daemon and normalised text."""

    count: int
    first: datetime | None
    last: datetime | None
    example: str


@dataclass
class Traffic:
    """Counts of one Postfix log (or byte range) that are not records."""

    #: (kind, hour) -> events; kind in :data:`EVENT_KINDS`, hour the stamp cut to the hour (as written;
    #: in UTC when the stamp has an offset)
    events: Counter = field(default_factory=Counter)
    #: sender (:func:`sender_key`) -> [messages, bytes], and the same by sending domain
    senders: dict[str, list[int]] = field(default_factory=dict)
    sending_domains: dict[str, list[int]] = field(default_factory=dict)
    #: (host, queue id) -> where a message came from (client domain or "pickup"), until its qmgr line
    arrived: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the first qmgr ``from=, size=`` line of each queue id no arrival of this part was waiting for
    #: (kept by byte ranges only: the arrival may lie in an earlier range)
    unmatched: dict[tuple[str, str], tuple[str, int]] | None = None
    #: (level, daemon, pattern) -> group
    health: dict[tuple[str, str, str], Health] = field(default_factory=dict)
    #: master daemon messages by normalised text
    master: Counter = field(default_factory=Counter)
    #: SASL authentication failures by client IP and by user name (where the line names one)
    sasl_ips: Counter = field(default_factory=Counter)
    sasl_users: Counter = field(default_factory=Counter)
    #: postscreen results (PASS OLD, PREGREET, DNSBL, HANGUP, ...) and the clients it refused
    postscreen: Counter = field(default_factory=Counter)
    postscreen_clients: Counter = field(default_factory=Counter)
    #: TLS connections by direction and trust ("outbound Verified", "inbound Anonymous", ...)
    tls: Counter = field(default_factory=Counter)

    def queued(self, key: tuple[str, str], sender: str, size: int) -> None:
        """A qmgr ``from=<...>, size=N`` line: counts the sender of a message received in this part."""
        origin = self.arrived.pop(key, None)
        if origin is not None:
            self._sent_by(sender, size, origin)
        elif self.unmatched is not None and key not in self.unmatched:
            self.unmatched[key] = (sender, size)

    def _sent_by(self, sender: str, size: int, origin: str) -> None:
        address = sender_key(sender)
        local, at, domain = address.partition("@")
        if not at or not local:
            domain = address if origin == "pickup" else origin
        for table, key in ((self.senders, address), (self.sending_domains, domain)):
            row = table.get(key)
            if row is None:
                table[key] = [1, size]
            else:
                row[0] += 1
                row[1] += size

    def health_line(self, level: str, daemon: str, pattern: str, text: str, time: datetime | None) -> None:
        """One ``warning:``/``error:``/``fatal:``/``panic:`` line; times are kept as written (wall clock)."""
        if time is not None and time.tzinfo is not None:
            time = time.replace(tzinfo=None)
        key = (level, daemon, pattern)
        group = self.health.get(key)
        if group is None:
            if len(self.health) >= MAX_GROUPS:
                key = (level, daemon, "(other messages)")
                group = self.health.get(key)
            if group is None:
                self.health[key] = Health(1, time, time, text[:300])
                return
        group.count += 1
        if time is not None:
            if group.first is None or time < group.first:
                group.first = time
            if group.last is None or time > group.last:
                group.last = time

    def add(self, other: Traffic) -> None:
        """Add the counts of ``other`` (a later part); arrivals still waiting are joined with its
        unmatched qmgr lines first."""
        for key, (sender, size) in (other.unmatched or {}).items():
            origin = self.arrived.pop(key, None)
            if origin is not None:
                self._sent_by(sender, size, origin)
        self.arrived.update(other.arrived)
        self.events.update(other.events)
        for mine, theirs in ((self.senders, other.senders), (self.sending_domains, other.sending_domains)):
            for name, (messages, size) in theirs.items():
                row = mine.setdefault(name, [0, 0])
                row[0] += messages
                row[1] += size
        for kind, group in other.health.items():
            own = self.health.get(kind)
            if own is None:
                self.health[kind] = Health(group.count, group.first, group.last, group.example)
                continue
            own.count += group.count
            own.first = _earliest(own.first, group.first)
            own.last = _latest(own.last, group.last)
        for name in ("master", "sasl_ips", "sasl_users", "postscreen", "postscreen_clients", "tls"):
            getattr(self, name).update(getattr(other, name))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def merge(parts: list[Traffic | None]) -> Traffic | None:
    """One Traffic from the parts of one input (or of several inputs), in log order."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    merged = Traffic()
    for part in present:
        merged.add(part)
    return merged
