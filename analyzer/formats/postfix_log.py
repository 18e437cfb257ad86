"""Postfix logs: the syslog header is parsed once, then the payload is dispatched by daemon.

One record per delivery attempt (``to=<...>, ... status=...``), per expired message and per
inbound refusal (``NOQUEUE: reject``, postscreen, ``milter-reject``).  Every other line is
counted as noise, or as unparsed when it looks like a delivery or reject line we could not read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..records import Record, Tally
from ..smtp import code_class, find_reply
from ..sources import Input
from ..textnorm import rule_text
from ..traffic import LEVELS, Traffic, client_domain

NAME = "postfix-log"
UNIT = "lines"

_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}

# Syslog headers: classic / maillog_file ("Mar  1 00:00:18 host" or "Mar 01 ..."), RFC 3339,
# and the year-first "2013 Jun 10 06:27:30.123 host".  prog = syslog name + daemon, pid optional.
_PRIORITY = r"(?:<\d{1,3}>(?:1 )?)?"  # a syslog PRI prefix when lines were captured off the wire
_CLASSIC_STAMP = (
    _PRIORITY + r"(?:(?P<year>\d{4}) )?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) "
    r"(?P<hms>\d\d:\d\d:\d\d)(?P<frac>\.\d{1,9})?"
)
_RFC3339_STAMP = (
    _PRIORITY + r"(?P<date>\d{4}-\d\d-\d\d)[T ](?P<hms>\d\d:\d\d:\d\d)(?P<frac>\.\d{1,9})?"
    r"(?P<tz>Z|[+-]\d\d:?\d\d)?"
)
# busybox syslogd (Alpine images) writes facility.level after the host: "mx mail.info postfix/smtp[1]:"
_FACILITY = (r"(?:(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])"
             r"\.(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug) )?")
_PROGRAM = r" (?P<host>\S{1,255}) " + _FACILITY + r"(?P<prog>[^\s\[:]{1,128})(?:\[\d{1,10}\])?: "
_CLASSIC = re.compile(_CLASSIC_STAMP + _PROGRAM + r"(?P<msg>.*)")
_RFC3339 = re.compile(_RFC3339_STAMP + _PROGRAM + r"(?P<msg>.*)")

_QID = r"(?P<qid>[0-9A-Za-z]{5,20})"
# Unbounded runs of one character class that stop at a delimiter outside it ([^>]*>) cannot
# backtrack more than once per character, and Python's re runs them much faster than {0,512}
# (1.6 µs against 4.5 µs per delivery line).  The status text is taken greedily to the end of
# the line; its closing parenthesis is dropped by :func:`_status_text`.
_DELIVERY_BODY = (
    _QID + r": to=(?:<(?P<to>[^>]*)>|(?P<bare_to>[^,\s<>]+)), "
    r"(?:orig_to=(?:<(?P<orig>[^>]*)>|(?P<bare_orig>[^,\s<>]+)), )?"
    r"relay=(?P<relay>[^,\s]+),(?: conn_use=\d{1,10},)?(?: delay=(?P<delay>[\d.]{1,20}),)?"
    r"(?: delays=(?P<delays>[\d./]{1,80}),)?(?: (?!dsn=)[a-z_]{1,20}=[^,\s]*,){0,8} "
    r"(?:dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}), )?status=(?P<status>[A-Za-z-]{1,40})(?: \((?P<text>.*))?\s*$"
)
_DELIVERY = re.compile(_DELIVERY_BODY)
# Fast paths for the two most frequent kinds of line: header and payload in one match.
_DELIVERY_LINES = (re.compile(_CLASSIC_STAMP + _PROGRAM + _DELIVERY_BODY),
                   re.compile(_RFC3339_STAMP + _PROGRAM + _DELIVERY_BODY))
_QMGR_BODY = _QID + r": (?:from=<(?P<from>[^>]{0,512})>, size=(?P<size>\d{1,20})|(?P<removed>removed)\s*$)"
_QMGR_LINES = (re.compile(_CLASSIC_STAMP + _PROGRAM + _QMGR_BODY),
               re.compile(_RFC3339_STAMP + _PROGRAM + _QMGR_BODY))
# smtpd's "QUEUEID: client=host[ip]" (a message arrives: pflogsumm's "received"), header and payload at once
_ARRIVAL_BODY = _QID + r": client=(?P<client>[^,\s]{1,400})"
_ARRIVAL_LINES = (re.compile(_CLASSIC_STAMP + _PROGRAM + _ARRIVAL_BODY),
                  re.compile(_RFC3339_STAMP + _PROGRAM + _ARRIVAL_BODY))
# smtpd's "connect from host[ip]" and "disconnect from host[ip] ehlo=1 ...", header and payload at once
_CONNECTION_BODY = r"(?P<connection>connect|disconnect) from (?P<client>[^\s]{1,400})"
_CONNECTION_LINES = (re.compile(_CLASSIC_STAMP + _PROGRAM + _CONNECTION_BODY),
                     re.compile(_RFC3339_STAMP + _PROGRAM + _CONNECTION_BODY))
# "<trust> TLS connection established to host[ip]:port: TLSv1.3 ..." (SMTP client; "from host[ip]: " smtpd);
# the peer is one unbounded class up to "]" (linear, and faster than a bounded run, as above)
_TLS_BODY = (r"(?P<trust>Anonymous|Untrusted|Trusted|Verified) TLS connection (?:established|reused) "
             r"(?P<direction>to|from) (?P<peer>[^\s\]]*\](?::\d{1,5})?): ")
_TLS_LINES = (re.compile(_CLASSIC_STAMP + _PROGRAM + _TLS_BODY),
              re.compile(_RFC3339_STAMP + _PROGRAM + _TLS_BODY))
# What follows the "[pid]: " of the other lines that give something (one search, from the literal "]: "):
# Postfix's own messages, postscreen's routine lines (counted on the spot), arrivals and
# the actions of cleanup and smtpd after a queue id, postscreen's verdicts, master's messages.
_INTERESTING = re.compile(
    r"\]: (?:(?P<level>warning|error|fatal|panic): "
    r"|(?P<routine>CONNECT from|PASS OLD|PASS NEW|DISCONNECT) \["
    r"|[0-9A-Za-z]{5,20}: (?P<queued>client=|uid=|sender=|hold: |discard: |warning: )"
    r"|(?:PREGREET|DNSBL rank|HANGUP|COMMAND|BARE NEWLINE|NON-SMTP|WHITELIST|ALLOWLIST|BLACKLIST|DENYLIST)"
    r"|(?:daemon started|reload|terminating on signal))"
)
#: Delivery statuses that are outcomes; ``deliverable``/``undeliverable`` are address-verification probes.
DELIVERY_STATUSES = frozenset({"sent", "deferred", "bounced", "expired"})
#: ``soft_bounce = yes`` logs a bounce it turned into a deferral as SOFTBOUNCE: the mail stays queued.
STATUS_ALIASES = {"SOFTBOUNCE": "deferred"}
_QMGR_FROM = re.compile(_QID + r": from=<(?P<from>[^>]{0,512})>(?:, size=(?P<size>\d{1,20}))?")
_REMOVED = re.compile(_QID + r": removed")
_REJECT = re.compile(
    r"(?:(?P<qid>NOQUEUE|[0-9A-Za-z]{5,20}): )?(?P<kind>reject|milter-reject|proxy-reject): "
    r"(?P<cmd>[A-Z-]{2,20})(?: from (?P<client>[^\s\[]{0,300}\[[^\]]{0,100}\](?::\d{1,5})?|[^:\s]{1,300}))?: "
    r"(?P<text>.*)"
)
_ENVELOPE_FROM = re.compile(r"[;,] from=<([^>]{0,512})>")
_ENVELOPE_TO = re.compile(r"(?:[;,]|>) to=<([^>]{0,512})>")
_ENVELOPE_START = re.compile(r"; (?:from|to|proto)=")
# SASL failures: "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: ..., sasl_username=u"
_SASL = re.compile(r"[^\s\[]{0,300}\[([^\]]{1,100})\](?::\d{1,5})?: SASL [^\s]{1,40} authentication failed")
_SASL_USER = re.compile(r"sasl_username=([^\s,]{1,200})")
#: Actions that pflogsumm counts (reject warnings, holds, discards), and the content that cleanup's are for.
_ACTIONS = {"reject_warning": "reject_warnings", "warning": "reject_warnings", "hold": "held",
            "discard": "discarded"}
_CONTENT = ("header ", "body ", "END-OF-MESSAGE ")
# postscreen's verdicts on a client ("PREGREET 11 after 0.1 from [192.0.2.1]:4242: EHLO x")
_POSTSCREEN = re.compile(
    r"(PREGREET|DNSBL rank|HANGUP|COMMAND PIPELINING|PASS OLD|PASS NEW|CONNECT|DISCONNECT|BARE NEWLINE|"
    r"NON-SMTP COMMAND|COMMAND (?:TIME|COUNT|LENGTH) LIMIT|(?:WHITE|ALLOW|BLACK|DENY)LIST(?:ED| VETO))"
    r"\b[^\[]{0,200}\[([^\]]{1,100})\]"
)
_POSTSCREEN_ROUTINE = {"CONNECT from": "CONNECT", "PASS OLD": "PASS OLD", "PASS NEW": "PASS NEW",
                       "DISCONNECT": "DISCONNECT"}
_POSTSCREEN_GOOD = frozenset({"PASS OLD", "PASS NEW", "CONNECT", "DISCONNECT", "WHITELISTED", "ALLOWLISTED"})

# What a delivery agent says when there was no SMTP reply, and the seed's category for it.
_REMOTE_REPLY = re.compile(
    r"(?:host|server) ([^\s\[]{1,300})(?:\[([^\]]{0,100})\])? (?:said|refused to talk to me): "
)
_IN_REPLY_TO = re.compile(r"\s*\(in reply to (.{1,40}?) command\)\s*$")  # matched at the last "(in reply to"
_CONNECT = re.compile(r"connect to (\S{1,300}?)\[([^\]]{0,100})\](?::\d+)?: (.*)")
_LOST = re.compile(r"(?:lost connection with|conversation with) (\S{1,300}?)\[([^\]]{0,100})\]")
_CONNECT_CATEGORIES = (("refused", "111"), ("timed out", "101"), ("no route", "101"), ("unreachable", "101"))

DELIVERY_AGENTS = frozenset(
    {"smtp", "lmtp", "local", "virtual", "pipe", "error", "discard", "retry", "relay"}
)
#: The delivery agents that connect to a remote host, whose TLS connections are paired with deliveries.
SMTP_CLIENTS = frozenset({"smtp", "lmtp", "relay"})
REJECTING_DAEMONS = frozenset({"smtpd", "postscreen", "cleanup"})
POSTFIX_DAEMONS = DELIVERY_AGENTS | REJECTING_DAEMONS | frozenset({
    "qmgr", "nqmgr", "bounce", "defer", "trace", "pickup", "anvil", "scache", "tlsmgr", "tlsproxy",
    "dnsblog", "master", "postfix-script", "postqueue", "postsuper", "sendmail", "showq", "verify",
    "flush", "proxymap", "spawn", "oqmgr", "postdrop", "postlog", "postmap", "postalias", "lmtp",
})


def sniff(head: bytes, path: Path | None) -> bool:
    """True when the first lines look like syslog lines."""
    text = head[:8192].decode("utf-8", "replace")
    return any(_header(line) for line in text.splitlines()[:20])


def _header(line: str) -> re.Match[str] | None:
    return _CLASSIC.match(line) or _RFC3339.match(line)


def _is_postfix_line(line: str) -> bool:
    m = _header(line)
    if m is None:
        return False
    prog = m.group("prog")
    return "/" in prog and prog.rpartition("/")[2] in POSTFIX_DAEMONS


def _split_host_ip(value: str) -> tuple[str | None, str | None]:
    """``host[ip]:port`` -> (host, ip); ``host`` -> (host, None)."""
    opening = value.find("[")
    closing = value.find("]", opening)
    if opening < 0 or closing < 0:
        return value or None, None
    return value[:opening] or None, value[opening + 1 : closing] or None


def remote_ip(ip: str | None) -> bool:
    """True for the IP address of a remote host: not a loopback address (where a content filter
    listens), nor a unix socket (``relay=host[/path]``)."""
    return ip is not None and ip != "" and "/" not in ip and not ip.startswith("127.") and ip != "::1"


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rpartition("@")[2].lower() or None


class _Clock:
    """Turns syslog timestamps into datetimes, inferring the year of year-less ones."""

    def __init__(self, reference: datetime | None) -> None:
        self.reference = reference or datetime.now()
        self.year: int | None = None
        self.last_month = 0

    def classic(self, m: re.Match[str]) -> datetime | None:
        year_text, month_text, day, hms, frac = m.group("year", "mon", "day", "hms", "frac")
        month = _MONTHS.get(month_text)
        if month is None:
            return None
        if year_text:
            year = int(year_text)
        else:
            if self.year is None:
                # the log ends before the file's date: a first month after it means last year
                self.year = self.reference.year - (1 if month > self.reference.month + 1 else 0)
            elif month < self.last_month - 6:
                self.year += 1  # the log ran over New Year
            elif month > self.last_month + 6 and self.last_month:
                self.year -= 1  # out-of-order line from the old year; rare
            year = self.year
            self.last_month = month
        try:
            return datetime(
                year, month, int(day), int(hms[:2]), int(hms[3:5]), int(hms[6:8]),
                int(frac[1:7].ljust(6, "0")) if frac else 0,
            )
        except ValueError:
            return None

    @staticmethod
    def rfc3339(m: re.Match[str]) -> datetime | None:
        text = f"{m.group('date')}T{m.group('hms')}{(m.group('frac') or '')[:7]}"
        tz = m.group("tz")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if tz:
            if tz == "Z":
                return moment.replace(tzinfo=UTC)
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if offset >= timedelta(hours=24):
                return None  # no such offset (RFC 3339 allows less than a day): a damaged stamp
            return moment.replace(tzinfo=timezone(sign * offset))
        return moment


class Reply(NamedTuple):
    """What a delivery status text says about the remote side."""

    remote_mta: str | None = None
    remote_ip: str | None = None
    smtp_code: str | None = None
    enhanced_code: str | None = None
    smtp_command: str | None = None
    category: str | None = None


NO_REPLY = Reply()


def _status_text(text: str | None) -> str | None:
    """The text in the parentheses after ``status=``, without the closing one (which a cut line lacks)."""
    if not text:
        return None
    text = text.rstrip()
    return (text[:-1] if text.endswith(")") else text) or None


def _in_reply_to(reply: str) -> re.Match[str] | None:
    """The trailing ``(in reply to RCPT TO command)`` of a reply, found from its last opening."""
    start = reply.rfind("(in reply to ")
    if start < 0:
        return None
    while start > 0 and reply[start - 1].isspace():
        start -= 1
    return _IN_REPLY_TO.match(reply, start)


def parse_reply(text: str) -> Reply:
    """Remote host/IP, reply code, SMTP command and connection category from a status text."""
    if text[:3].isdigit() and text[3:4] in (" ", "-", ""):  # the usual "250 2.0.0 Ok" first
        return Reply(None, None, *find_reply(text[:64]))
    if text.startswith("delivery temporarily suspended: "):
        text = text[len("delivery temporarily suspended: "):]
    # "host X said: ...", also after a prefix ("SASL authentication failed; server X said: ...")
    remote = _REMOTE_REPLY.search(text, 0, 400) if " said: " in text or " to talk to me: " in text else None
    if remote:
        host, ip, reply = remote.group(1), remote.group(2), text[remote.end():]
        command = _in_reply_to(reply)
        if command:
            reply = reply[: command.start()]
        return Reply(host, ip, *find_reply(reply[:64]), command.group(1) if command else None)
    connect = _CONNECT.match(text)
    if connect:
        problem = connect.group(3).lower()
        category = next((c for word, c in _CONNECT_CATEGORIES if word in problem), "101")
        return Reply(connect.group(1), connect.group(2), category=category)
    if text.startswith(("Host or domain name not found", "Name service error")):
        return Reply(category="512")
    lost = _LOST.match(text)
    if lost:
        return Reply(lost.group(1), lost.group(2), category="447")
    return NO_REPLY


def _hour(time: datetime | None) -> datetime | None:
    """The hour of ``time`` (naive; an instant with an offset as UTC), the key of the event counts."""
    if time is None:
        return None
    if time.tzinfo is not None:
        time = time.astimezone(UTC)
    return datetime(time.year, time.month, time.day, time.hour)


class _Parser:
    """State of one log input: in-flight senders and sizes by queue id, the clock, the tally.

    ``carry`` (shared by the inputs of one run) holds the senders, sizes and arrivals in flight;
    a byte range (``ranged``) starts with none and keeps its unmatched qmgr lines for the caller.
    """

    def __init__(self, source: Input, tally: Tally, carry: dict[str, Any] | None = None,
                 ranged: bool = False) -> None:
        carry = {} if carry is None else carry
        self.name = source.name
        self.tally = tally
        self.clock = _Clock(source.mtime)
        self.senders: dict[tuple[str, str], str] = carry.setdefault("senders", {})
        self.sizes: dict[tuple[str, str], int] = carry.setdefault("sizes", {})
        self.traffic = tally.traffic = Traffic.carried(carry, ranged)
        self.unknown_removed: set[tuple[str, str]] = set()
        self.connected_here: set[tuple[str, str]] = set()  # smtpd processes that logged a connect here
        self._last_stamp = self._hour_text = ""
        self._last_time: datetime | None = None
        self._hour: datetime | None = None
        self.handlers: dict[str, Callable[[re.Match[str], str, str, str], Record | None]] = {
            **{agent: self.delivery for agent in DELIVERY_AGENTS},
            "smtpd": self.reject, "postscreen": self.reject, "cleanup": self.reject,
            "qmgr": self.qmgr, "nqmgr": self.qmgr, "oqmgr": self.qmgr,
        }

    def time(self, m: re.Match[str]) -> datetime | None:
        """The line's timestamp; consecutive lines often share one, so the last is cached."""
        stamp = m.string[: m.start("host")]
        if stamp != self._last_stamp:
            self._last_stamp = stamp
            self._last_time = self.clock.classic(m) if "mon" in m.re.groupindex else self.clock.rfc3339(m)
        return self._last_time

    def run(self, lines: Iterator[str], first_line: int = 1) -> Iterator[Record]:
        """Records of ``lines``, numbered from ``first_line``; every line is counted in the tally."""
        tally = self.tally
        classic, rfc3339, handlers = _CLASSIC.match, _RFC3339.match, self.handlers
        delivery_classic, delivery_rfc3339 = (pattern.match for pattern in _DELIVERY_LINES)
        qmgr_classic, qmgr_rfc3339 = (pattern.match for pattern in _QMGR_LINES)
        arrival_classic, arrival_rfc3339 = (pattern.match for pattern in _ARRIVAL_LINES)
        connection_classic, connection_rfc3339 = (pattern.match for pattern in _CONNECTION_LINES)
        tls_classic, tls_rfc3339 = (pattern.match for pattern in _TLS_LINES)
        interesting, postscreen = _INTERESTING.search, self.traffic.postscreen
        lineno = first_line - 1
        for lineno, line in enumerate(lines, first_line):
            if "status=" in line:
                d = delivery_classic(line) or delivery_rfc3339(line)
                daemon = d.group("prog").rpartition("/")[2] if d is not None else ""
                if d is not None and daemon in DELIVERY_AGENTS:
                    record = self._delivery(d, d, daemon, f"{self.name}:{lineno}")
                    if record is not None:
                        tally.used += 1
                        tally.records += 1
                        yield record
                    continue
            elif "qmgr" in line:
                q = qmgr_classic(line) or qmgr_rfc3339(line)
                if q is not None and q.group("prog").endswith("qmgr"):
                    self._queue_bookkeeping(q)
                    continue
            else:
                if "connect from " in line:  # smtpd's "connect from" / "disconnect from": paired per process
                    c = connection_classic(line) or connection_rfc3339(line)
                    if c is not None and c.group("prog").endswith("smtpd"):
                        self._connection(c)
                        tally.noise += 1
                        continue
                elif "TLS connection " in line:  # "<trust> TLS connection established to|from ...": counted
                    t = tls_classic(line) or tls_rfc3339(line)
                    if t is not None:
                        self._tls(t)
                        tally.noise += 1
                        continue
                elif ": client=" in line:  # smtpd's "QUEUEID: client=host[ip]": a message arrived
                    a = arrival_classic(line) or arrival_rfc3339(line)
                    if a is not None and a.group("prog").endswith("/smtpd"):
                        self._arrival(a)
                        continue
                if "reject" not in line:
                    # cheap prefilter: a line that is no delivery, reject or queue-manager line is noise
                    # unless it holds one of the words of an event (warnings, arrivals, postscreen, ...)
                    e = interesting(line)
                    if e is None:
                        tally.noise += 1
                        continue
                    found = e.lastgroup
                    if found == "routine":  # postscreen's CONNECT, PASS OLD/NEW, DISCONNECT: counted
                        postscreen[_POSTSCREEN_ROUTINE[e.group("routine")]] += 1
                        tally.noise += 1
                        continue
            m = classic(line) or rfc3339(line)
            if m is None:
                if line.strip():
                    tally.noise += 1
                    tally.noise_kinds["not a syslog line"] += 1
                else:
                    tally.noise += 1
                    tally.noise_kinds["empty line"] += 1
                continue
            prog = m.group("prog")
            daemon = prog.rpartition("/")[2]
            handler = (handlers.get(daemon, self.event) if "/" in prog or daemon in POSTFIX_DAEMONS
                       else None)
            if handler is None:
                tally.noise += 1
                if len(tally.noise_kinds) < 200 or prog in tally.noise_kinds:
                    tally.noise_kinds[prog if "/" in prog else f"other program ({prog})"] += 1
                continue
            record = handler(m, m.group("msg"), prog, f"{self.name}:{lineno}")
            if record is None:
                continue
            tally.used += 1
            tally.records += 1
            yield record
        tally.read += lineno - first_line + 1

    def _count(self, kind: str, m: re.Match[str]) -> None:
        """One event of ``kind`` in the hour of line ``m``: a classic stamp's text up to the hour is
        cached, so that a datetime is made once an hour rather than once a line."""
        if "mon" in m.re.groupindex:
            text = m.string[: m.start("hms") + 2]
            if text != self._hour_text:
                self._hour_text, self._hour = text, _hour(self.time(m))
            hour = self._hour
        else:  # RFC 3339: the offset decides the hour (as UTC)
            hour = _hour(self.time(m))
        self.traffic.events[(kind, hour)] += 1

    @staticmethod
    def _process(m: re.Match[str], end: int) -> str:
        """The program and pid of a line (``postfix/smtp[123]: ``), with ``end`` where its payload starts:
        with the syslog host, the key of what one process logs over several lines."""
        return m.string[m.start("prog"):end]

    def _connection(self, c: re.Match[str]) -> None:
        """smtpd's ``connect from`` / ``disconnect from`` (pflogsumm's --smtpd-stats): the two lines of
        one process (same host, program and pid) are one connection."""
        start = c.start("connection")
        key = (c.group("host"), c.string[c.start("prog"):start])
        if c.string.startswith("connect", start):
            self.traffic.connected(key, c.group("client"), self.time(c))
            if self.traffic.early_disconnects is not None:
                self.connected_here.add(key)
        else:
            self.traffic.disconnected(key, c.group("client"), self.time(c), key in self.connected_here)

    def _tls(self, t: re.Match[str]) -> None:
        """``<trust> TLS connection established to relay: ...`` (an SMTP client) or ``... from client:``
        (smtpd)."""
        peer, trust = t.group("peer", "trust")
        if t.group("direction") == "to":
            self.traffic.outbound_tls((t.group("host"), self._process(t, t.start("trust"))), peer, trust)
        else:
            self.traffic.inbound_tls(peer, trust)

    def _noise(self, kind: str) -> None:
        self.tally.noise += 1
        self.tally.noise_kinds[kind] += 1

    def _used(self, kind: str) -> None:
        self.tally.used += 1
        self.tally.events[kind] += 1

    def _arrival(self, a: re.Match[str]) -> None:
        """smtpd's ``client=`` line: a message arrived (pflogsumm's "received"), from the client's domain."""
        self.traffic.arrived[(a.group("host"), a.group("qid"))] = client_domain(a.group("client"))
        self._count("received", a)
        self.tally.noise += 1

    def event(self, m: re.Match[str], msg: str, prog: str, where: str) -> None:
        """A Postfix line that gives no record: Postfix's own warnings and errors, reject warnings,
        holds and discards, arrivals (smtpd ``client=``, pickup), master and postscreen messages."""
        traffic, daemon = self.traffic, prog.rpartition("/")[2]
        first, _, text = msg.partition(": ")
        if first in LEVELS:
            self._used(first)
            traffic.health_line(first, daemon, rule_text(text[:500]), text, self.time(m))
            if "authentication failed" in text:
                sasl = _SASL.match(text)
                if sasl is not None:
                    traffic.sasl_ips[sasl.group(1)] += 1
                    user = _SASL_USER.search(text, sasl.end())
                    if user is not None:
                        traffic.sasl_users[user.group(1)] += 1
            return
        action, _, rest = text.partition(": ")
        counted = _ACTIONS.get(action)
        if counted is not None and (rest.startswith(_CONTENT) if daemon == "cleanup"
                                    else action != "warning"):
            self._used(action)
            self._count(counted, m)
        elif daemon == "smtpd" and text.startswith("client="):
            traffic.arrived[(m.group("host"), first)] = client_domain(text[7:].partition(",")[0])
            self._count("received", m)
            self._noise(prog)
        elif daemon == "pickup" and text.startswith(("uid=", "sender=")):
            traffic.arrived[(m.group("host"), first)] = "pickup"
            self._count("received", m)
            self._noise(prog)
        elif daemon == "master":
            self._used("master")
            traffic.master[msg[:120]] += 1
        else:
            if daemon == "postscreen":
                result = _POSTSCREEN.match(msg)
                if result is not None:
                    name = result.group(1)
                    traffic.postscreen[name] += 1
                    if name not in _POSTSCREEN_GOOD:
                        traffic.postscreen_clients[result.group(2)] += 1
            self._noise(prog)

    def delivery(self, m: re.Match[str], msg: str, prog: str, where: str) -> Record | None:
        if " status=" not in msg:
            self.event(m, msg, prog, where)
            return None
        d = _DELIVERY.match(msg)
        if d is None:
            self.tally.add_unparsed(where, msg)
            return None
        return self._delivery(m, d, prog.rpartition("/")[2], where)

    def _queue_bookkeeping(self, q: re.Match[str]) -> None:
        """A qmgr ``from=`` line (remember the sender and size) or ``removed`` line (forget them)."""
        host, qid, removed, sender, prog = q.group("host", "qid", "removed", "from", "prog")
        key = (host, qid)
        if removed:
            self.sizes.pop(key, None)
            if self.senders.pop(key, None) is None:
                self.unknown_removed.add(key)
        else:
            size = self.sizes[key] = int(q.group("size"))
            self.senders[key] = sender
            traffic = self.traffic
            if traffic.arrived or traffic.unmatched is not None:
                traffic.queued(key, sender, size)
        self.tally.noise += 1
        self.tally.noise_kinds[prog] += 1

    def _delivery(self, m: re.Match[str], d: re.Match[str], transport: str, where: str) -> Record | None:
        """The record of a delivery line: ``m`` holds the header, ``d`` the payload (often the same),
        ``transport`` the daemon that wrote it."""
        qid, recipient, orig_to, relay, enhanced, status, text, delay, delays = d.group(
            "qid", "to", "orig", "relay", "dsn", "status", "text", "delay", "delays"
        )
        text = _status_text(text)
        status = STATUS_ALIASES.get(status, status)
        if status not in DELIVERY_STATUSES:
            self._noise("address verification probe (not a delivery)")
            return None
        if recipient is None:
            recipient, orig_to = d.group("bare_to"), orig_to or d.group("bare_orig")
        host, domain = m.group("host"), _domain(recipient)
        remote_mta, remote_ip, smtp_code, stated, command, category = parse_reply(text) if text else NO_REPLY
        enhanced = enhanced or stated  # logs of Postfix before 2.3 have no dsn=
        if remote_mta is None and relay != "none":
            remote_mta, remote_ip = _split_host_ip(relay)
        if transport in SMTP_CLIENTS and relay != "none":
            self._tls_delivery(m, d, host, relay, remote_ip if status == "sent" else None, domain)
        # Positional, in Record's field order (twice as fast as keywords on the hottest path):
        # time, host, queue_id, sender, recipient, domain, status, smtp_code, enhanced_code, code_class,
        # diagnostic, remote_mta, reason, hard, source, parser, remote_ip, transport, smtp_command,
        # category, rule, message_id, orig_from, orig_to, subject, pattern, reporting_mta, sisimai_reason,
        # size, delay, delays
        key = (host, qid)
        return Record(
            self.time(m), host, qid, self.senders.get(key), recipient, domain,
            status, smtp_code, enhanced, code_class(enhanced, smtp_code),
            text or None, remote_mta, None, None, where, NAME, remote_ip, transport, command,
            category, None, None, None, orig_to, None, None, None, None,
            self.sizes.get(key), float(delay) if delay else None, delays,
        )

    def _tls_delivery(self, m: re.Match[str], d: re.Match[str], host: str, relay: str, sent_to: str | None,
                      domain: str | None) -> None:
        """A delivery attempt of an SMTP client (``sent_to`` the remote IP of a delivered one), paired with
        the process's TLS connection (see :func:`analyzer.traffic.tls_continues`).  A delivered one to a
        remote host (:func:`remote_ip`) that went over TLS is counted by recipient domain and trust; the
        deliveries themselves are counted from the records (:func:`analyzer.traffic_report.tls_outbound`)."""
        traffic = self.traffic
        payload = d.start("qid")
        key = (host, m.string[m.start("prog"):payload if m is d else m.start("msg")])
        decided = traffic.tls_decided
        if key not in traffic.tls_sessions and (decided is None or key in decided):  # the usual: no TLS
            return
        reused = d.string.find(" conn_use=", payload, d.start("status")) > 0
        counted = (domain or "(none)") if remote_ip(sent_to) else None
        traffic.delivery(key, relay, d.group("qid"), reused, counted)

    def qmgr(self, m: re.Match[str], msg: str, prog: str, where: str) -> Record | None:
        sender_m = _QMGR_FROM.match(msg)
        host = m.group("host")
        if sender_m is not None:
            qid, sender, size = sender_m.group("qid", "from", "size")
            if "status=expired" in msg:
                self.senders.pop((host, qid), None)
                self.sizes.pop((host, qid), None)
                return Record(
                    time=self.time(m), host=host, queue_id=qid, sender=sender, recipient=None,
                    domain=None, status="expired", smtp_code=None, enhanced_code=None,
                    code_class=None, diagnostic=msg.partition("status=")[2] or None,
                    remote_mta=None, reason=None, hard=None, source=where, parser=NAME,
                    transport=prog.rpartition("/")[2],
                )
            self.senders[(host, qid)] = sender
            if size is not None:
                self.sizes[(host, qid)] = int(size)
                self.traffic.queued((host, qid), sender, int(size))
            self._noise(prog)
            return None
        removed = _REMOVED.match(msg)
        if removed is not None:
            key = (host, removed.group("qid"))
            self.sizes.pop(key, None)
            if self.senders.pop(key, None) is None:
                self.unknown_removed.add(key)
        elif "status=" in msg:
            self.tally.add_unparsed(where, msg)
            return None
        else:
            self.event(m, msg, prog, where)
            return None
        self._noise(prog)
        return None

    def reject(self, m: re.Match[str], msg: str, prog: str, where: str) -> Record | None:
        if "reject: " not in msg:
            self.event(m, msg, prog, where)
            return None
        r = _REJECT.match(msg)
        if r is None:
            # e.g. cleanup "reject: header ..." or "reject: body ..." (header_checks)
            if ": reject: header " in msg or ": reject: body " in msg:
                return self._content_reject(m, msg, prog, where)
            self.tally.add_unparsed(where, msg)
            return None
        text, kind, command = r.group("text", "kind", "cmd")
        if kind == "reject" or (prog.endswith("cleanup") and command == "END-OF-MESSAGE"):
            self._count("rejected", m)  # what pflogsumm counts as rejected
        sender, recipient = _ENVELOPE_FROM.search(text), _ENVELOPE_TO.search(text)
        start = _ENVELOPE_START.search(text)
        reply = (text[: start.start()] if start else text).strip()
        smtp_code, enhanced = find_reply(reply[:64])
        client_host, client_ip = _split_host_ip(r.group("client") or "")
        to = recipient.group(1) if recipient else None
        qid = r.group("qid")
        return Record(
            time=self.time(m), host=m.group("host"), queue_id=None if qid in (None, "NOQUEUE") else qid,
            sender=sender.group(1) if sender else None, recipient=to or None, domain=_domain(to),
            status="rejected", smtp_code=smtp_code, enhanced_code=enhanced,
            code_class=code_class(enhanced, smtp_code), diagnostic=reply or None,
            remote_mta=client_host, reason=None, hard=None, source=where, parser=NAME,
            remote_ip=client_ip, transport=prog.rpartition("/")[2], smtp_command=r.group("cmd"),
        )

    def _content_reject(self, m: re.Match[str], msg: str, prog: str, where: str) -> Record | None:
        qid, _, rest = msg.partition(": reject: ")
        self._count("rejected", m)
        sender, to = _ENVELOPE_FROM.search(rest), _ENVELOPE_TO.search(rest)
        reply = rest.rpartition(": ")[2] if to else rest
        smtp_code, enhanced = find_reply(reply[:64])
        recipient = to.group(1) if to else None
        return Record(
            time=self.time(m), host=m.group("host"), queue_id=qid, sender=sender.group(1) if sender else None,
            recipient=recipient or None, domain=_domain(recipient), status="rejected", smtp_code=smtp_code,
            enhanced_code=enhanced, code_class=code_class(enhanced, smtp_code), diagnostic=rest[:2000],
            remote_mta=None, reason=None, hard=None, source=where, parser=NAME,
            transport=prog.rpartition("/")[2], smtp_command="DATA",
        )


#: The longest line read whole (bytes): a longer one (a broken or hostile file of one line) is cut into
#: lines of about this size, so that no line is ever held in memory whole.
MAX_LINE_BYTES = 1 << 20


class _LineCapped(io.RawIOBase):
    """A byte stream in which a newline is inserted once a line has run past :data:`MAX_LINE_BYTES`."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.run = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(max(1, len(buffer) - 1))  # room for a newline
        if not data:
            return 0
        newline = data.rfind(b"\n")
        self.run = self.run + len(data) if newline < 0 else len(data) - newline - 1
        if self.run > MAX_LINE_BYTES:
            data, self.run = data + b"\n", 0
        buffer[: len(data)] = data
        return len(data)


def line_capped(raw: BinaryIO) -> BinaryIO:
    """``raw`` with no line longer than about :data:`MAX_LINE_BYTES`."""
    return io.BufferedReader(_LineCapped(raw), 1 << 17)


def parse(source: Input, tally: Tally, carry: dict[str, Any] | None = None) -> Iterator[Record]:
    """Records of one Postfix log input; ``tally`` counts every line.

    ``carry`` is shared by the inputs of one run: the senders in flight at the end of one log
    (``mail.log.1``) give their sender to the deliveries logged in the next (``mail.log``).
    """
    with source.open() as raw:
        text = io.TextIOWrapper(line_capped(raw), encoding="utf-8", errors="replace", newline=None)
        yield from _Parser(source, tally, carry).run(iter(text), source.first_unit)
    check_recognised(source, tally)


class Chunk:
    """A log input, or a byte range of it (an :class:`Input` window), parsed on its own (see
    :mod:`analyzer.engine`).

    Records whose ``qmgr`` line lies in an earlier chunk come out without a sender; ``senders``
    (in flight at the end) and ``unknown_removed`` let the caller join them across chunks.
    """

    def __init__(self, source: Input, tally: Tally) -> None:
        self.parser = _Parser(source, tally, ranged=True)
        self.source = source

    def records(self) -> Iterator[Record]:
        """The records of the input's part, numbered from its ``first_unit``."""
        with self.source.open() as raw:
            text = io.TextIOWrapper(line_capped(raw), encoding="utf-8", errors="replace", newline=None)
            yield from self.parser.run(iter(text), self.source.first_unit)

    @property
    def senders(self) -> dict[tuple[str, str], str]:
        return self.parser.senders

    @property
    def sizes(self) -> dict[tuple[str, str], int]:
        return self.parser.sizes

    @property
    def unknown_removed(self) -> set[tuple[str, str]]:
        return self.parser.unknown_removed


def check_recognised(source: Input, tally: Tally) -> None:
    """Warn when an input gave nothing and none of its first lines is a Postfix log line."""
    if not tally.read:
        tally.warnings.append(f"{source.name}: the input is empty")
    elif not tally.used and not tally.unparsed:
        lines = source.head.decode("utf-8", "replace").splitlines()
        if not any(_is_postfix_line(line) for line in lines):
            tally.warnings.append(
                f"{source.name}: none of its {tally.read} lines was recognised as a Postfix log line"
            )
