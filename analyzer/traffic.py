"""What a Postfix log says beside its records: pflogsumm's counted events, its senders, Postfix's health.

A :class:`Traffic` is filled by the log parser (:mod:`analyzer.formats.postfix_log`) for one input or
one byte range of it; the ranges of one input are merged in order by :func:`merge`, which also joins
what one range left open with what a later one says: the messages received with their ``qmgr`` line,
smtpd's ``connect from`` with its ``disconnect from``, an smtp process's TLS connection with its
deliveries.  What is still open at the end of an input is the ``carry`` of the next input (and, with
``--state``, of the next run: :meth:`analyzer.store.Store.carried`).  Nothing here imports pandas: the
parse workers fill and pickle these (see :mod:`analyzer.traffic_report` for the tables).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

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


#: What :meth:`Traffic.disconnected` finds for a process that has no open connection.
_NOT_OPEN = object()


@dataclass(slots=True)
class TlsSession:
    """The last TLS connection an SMTP client process (host, process) logged: to which ``relay``
    (``host[ip]:port``, as the delivery lines' ``relay=`` write it), with which ``trust``, and the queue
    id of the last delivery paired with it (None until the first)."""

    relay: str
    trust: str
    qid: str | None = None


class TlsPending(NamedTuple):
    """A delivery of a byte range whose process had logged no TLS line yet in that range: whether it
    used TLS depends on the connection the process had open at the start (the range before)."""

    relay: str
    qid: str
    reused: bool
    domain: str | None  # the recipient domain of a delivered (``sent``) one, else None


def tls_continues(session: TlsSession | None, relay: str, qid: str, reused: bool) -> bool:
    """The pairing rule: a delivery of an SMTP client process went over the TLS connection that process
    logged last (``<trust> TLS connection established to host[ip]:port``) when it went to the same relay
    and it is either the first delivery after that line, another recipient of the same message (same
    queue id: one SMTP transaction), or a delivery on a reused connection (``conn_use=N``).  Any other
    delivery of that process (another relay, or a new message on a fresh connection that logged no TLS
    line) went without TLS, and ends the session.  Deliveries that made no connection (``relay=none``)
    are not paired.  A process serves many connections one after another (and, with connection
    caching, many messages per connection); the TLS line always comes before the deliveries it
    carries, in the same process.  Not seen: a connection that a process takes from another one's cache
    (``scache``) without logging a TLS line of its own (``TLS connection reused`` is read like
    ``established``)."""
    return (session is not None and session.relay == relay
            and (reused or session.qid is None or session.qid == qid))


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
    #: smtpd connections (pflogsumm's --smtpd-stats): (host, process) -> time of its ``connect from``,
    #: until its ``disconnect from`` (carried to the next part)
    connects: dict[tuple[str, str], datetime | None] = field(default_factory=dict)
    #: the first ``disconnect from`` of each process that had no ``connect from`` in this part, with
    #: its time and client (kept by byte ranges only: the connect may lie in an earlier range)
    early_disconnects: dict[tuple[str, str], tuple[datetime | None, str]] | None = None
    #: client as logged (``host[ip]``) -> [connect lines, connections (connect paired with disconnect),
    #: seconds connected, longest connection in seconds, TLS connections from it]; the tables roll
    #: these up by client domain (:func:`client_domain`, once per distinct client)
    smtpd_clients: dict[str, list[Any]] = field(default_factory=dict)
    #: outbound TLS: the last TLS connection of each SMTP client process (carried to the next part)
    tls_sessions: dict[tuple[str, str], TlsSession] = field(default_factory=dict)
    #: byte ranges only: deliveries of processes whose TLS line may lie in an earlier range, and the
    #: processes whose session this range decided (a TLS line, or a delivery that ended the session)
    tls_pending: dict[tuple[str, str], list[TlsPending]] | None = None
    tls_decided: set[tuple[str, str]] | None = None
    #: delivered mail over SMTP/LMTP to a remote host that went over TLS: (recipient domain, trust) ->
    #: deliveries (all of them are counted from the records)
    tls_deliveries: Counter = field(default_factory=Counter)

    @classmethod
    def carried(cls, carry: dict[str, Any], ranged: bool = False) -> Traffic:
        """A Traffic that continues from (and leaves its open state in) ``carry``: the arrivals waiting
        for their qmgr line, the open smtpd connections, the TLS sessions of the SMTP clients."""
        return cls(arrived=carry.setdefault("arrived", {}), connects=carry.setdefault("connects", {}),
                   tls_sessions=carry.setdefault("tls_sessions", {}), unmatched={} if ranged else None,
                   early_disconnects={} if ranged else None, tls_pending={} if ranged else None,
                   tls_decided=set() if ranged else None)

    @property
    def ranged(self) -> bool:
        """True for the Traffic of a byte range: it keeps what an earlier range may settle."""
        return any(kept is not None for kept in (self.unmatched, self.early_disconnects, self.tls_pending))

    # -- smtpd connections ---------------------------------------------------------------------
    def _client(self, client: str) -> list[Any]:
        row = self.smtpd_clients.get(client)
        if row is None:
            row = self.smtpd_clients[client] = [0, 0, 0.0, 0.0, 0]
        return row

    def connected(self, key: tuple[str, str], client: str, time: datetime | None) -> None:
        """smtpd's ``connect from client``: the process ``key`` holds a connection from ``time`` on."""
        self.connects[key] = time
        row = self.smtpd_clients.get(client)
        if row is None:
            row = self.smtpd_clients[client] = [0, 0, 0.0, 0.0, 0]
        row[0] += 1

    def disconnected(self, key: tuple[str, str], client: str, time: datetime | None,
                     connected_here: bool) -> None:
        """smtpd's ``disconnect from client``: a connection (pflogsumm's) when the process's connect was
        seen; ``connected_here`` says whether this part saw a connect of that process."""
        start = self.connects.pop(key, _NOT_OPEN)
        if start is not _NOT_OPEN:
            self._connection(client, start, time)  # type: ignore[arg-type]
        elif self.early_disconnects is not None and not connected_here and key not in self.early_disconnects:
            self.early_disconnects[key] = (time, client)

    def _connection(self, client: str, start: datetime | None, end: datetime | None) -> None:
        row = self._client(client)
        # no duration when a stamp is missing, or one has an offset and the other none (formats mixed)
        timed = start is not None and end is not None and (start.tzinfo is None) == (end.tzinfo is None)
        seconds = (end - start).total_seconds() if timed else 0.0  # type: ignore[operator]
        row[1] += 1
        row[2] += seconds
        row[3] = max(row[3], seconds)

    def inbound_tls(self, client: str, trust: str) -> None:
        """``<trust> TLS connection established from client``."""
        self.tls[("inbound", trust)] += 1
        self._client(client)[4] += 1

    # -- outbound TLS --------------------------------------------------------------------------
    def outbound_tls(self, key: tuple[str, str], relay: str, trust: str) -> None:
        """``<trust> TLS connection established to relay`` by SMTP client process ``key``."""
        self.tls[("outbound", trust)] += 1
        self.tls_sessions[key] = TlsSession(relay, trust)
        if self.tls_decided is not None:
            self.tls_decided.add(key)

    def delivery(self, key: tuple[str, str], relay: str, qid: str, reused: bool, domain: str | None) -> None:
        """A delivery attempt of SMTP client process ``key`` to ``relay``; ``domain`` is the recipient
        domain of a delivered one to a remote host (counted with its trust when it went over TLS), None
        for other attempts (which still tell which connection the process had). See
        :func:`tls_continues` for the rule."""
        pending, decided = self.tls_pending, self.tls_decided
        if pending is not None and decided is not None and key not in decided:
            chain = pending.get(key)
            if chain is None or (relay == chain[0].relay and (reused or qid == chain[-1].qid)):
                # on the connection the process had at the start of this range: settled by :meth:`add`
                pending.setdefault(key, []).append(TlsPending(relay, qid, reused, domain))
                return
            decided.add(key)  # a new connection that logged no TLS line: no session, whatever came before
        session = self.tls_sessions.get(key)
        if tls_continues(session, relay, qid, reused):
            assert session is not None
            session.qid = qid
            trust = session.trust
        else:
            trust = ""
            if session is not None:
                del self.tls_sessions[key]
        if domain is not None and trust:
            self.tls_deliveries[(domain, trust)] += 1

    def _settle(self, key: tuple[str, str], chain: list[TlsPending]) -> None:
        """A later range's pending deliveries of process ``key``, against this (earlier) state."""
        first = chain[0]
        session = self.tls_sessions.get(key)
        tls = tls_continues(session, first.relay, first.qid, first.reused)
        if tls and session is not None:
            for pending in chain:
                if pending.domain is not None:
                    self.tls_deliveries[(pending.domain, session.trust)] += 1
            self.tls_sessions[key] = TlsSession(session.relay, session.trust, chain[-1].qid)
        else:
            self.tls_sessions.pop(key, None)

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
        for key, (time, client) in (other.early_disconnects or {}).items():
            if key in self.connects:
                self._connection(client, self.connects.pop(key), time)
        if other.connects is not self.connects:
            self.connects.update(other.connects)
        for client, (connects, connections, seconds, longest, tls) in other.smtpd_clients.items():
            row = self.smtpd_clients.setdefault(client, [0, 0, 0.0, 0.0, 0])
            row[0] += connects
            row[1] += connections
            row[2] += seconds
            row[3] = max(row[3], longest)
            row[4] += tls
        for key, chain in (other.tls_pending or {}).items():
            self._settle(key, chain)
        if other.tls_sessions is not self.tls_sessions:
            for key in other.tls_decided if other.tls_decided is not None else other.tls_sessions:
                session = other.tls_sessions.get(key)
                if session is None:
                    self.tls_sessions.pop(key, None)
                else:
                    self.tls_sessions[key] = session
        self.tls_deliveries.update(other.tls_deliveries)
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
    """One Traffic from the parts of one input (or of several inputs), in log order; a single part is
    that part itself."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    if len(present) == 1 and not present[0].ranged:
        return present[0]
    merged = Traffic()
    for part in present:
        merged.add(part)
    return merged
