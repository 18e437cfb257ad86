"""What decoders share: the :class:`Hit` they return and small helpers for codes and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ...smtp import ENHANCED, find_reply, is_enhanced

_SPACE = re.compile(r"\s+")
_QMAIL_CODE = re.compile(r"\(#([245])\.(\d{1,3})\.(\d{1,3})\)")
_FAILURE_REPLY = re.compile(r"(?<![\w.])[45]\d\d(?=[ -])")


@dataclass(slots=True)
class Hit:
    """One recipient a bounce reports on, as the decoder found it."""

    recipient: str
    status: str = "bounced"
    diagnostic: str = ""
    smtp_code: str | None = None
    enhanced_code: str | None = None
    remote_mta: str | None = None
    time: datetime | None = None
    command: str | None = None
    category: str | None = None
    queue_id: str | None = None
    #: the MTA that wrote the bounce (a DSN's Reporting-MTA), when the decoder knows it
    reporting_mta: str | None = None


def squash(text: str) -> str:
    """Whitespace runs as one space, ends stripped."""
    return _SPACE.sub(" ", text).strip()


def codes(text: str) -> tuple[str | None, str | None]:
    """The SMTP reply code and enhanced status code quoted in ``text`` (qmail's ``(#5.1.1)`` too)."""
    head = text[:4000]
    reply, enhanced = find_reply(head)
    if reply is not None and reply[0] == "2":
        # a session transcript ("Out: 250 2.1.5 Ok ... Out: 451 4.3.0 Error"): the failure counts
        failure = _FAILURE_REPLY.search(head)
        if failure is not None:
            reply, enhanced = find_reply(head[failure.start():])
    if enhanced is None and reply is not None:
        # "5.3.0 - Other mail system problem 550-'Unknown user'": the code may precede the reply
        before = ENHANCED.search(head)
        if before is not None and before.group(0)[0] == reply[0]:
            enhanced = before.group(0)
    if enhanced is None:
        qmail = _QMAIL_CODE.search(text)
        if qmail:
            enhanced = ".".join(qmail.groups())
    if reply is not None and reply[0] not in "245":
        reply = None
    if enhanced is not None and not is_enhanced(enhanced):
        enhanced = None
    return reply, enhanced


def prefer(status: str | None, diagnostic_code: str | None, reply: str | None = None) -> str | None:
    """The better of a DSN Status and the code quoted in the diagnostic (the server's own words win).

    Of a different class, the quoted code wins only when the server's reply code agrees with it.

    >>> prefer("5.0.0", "5.1.1")
    '5.1.1'
    >>> prefer("4.5.0", "5.5.0", "550")
    '5.5.0'
    """
    if not status or not is_enhanced(status):
        return diagnostic_code
    if not diagnostic_code or diagnostic_code == status:
        return status
    if status[0] == diagnostic_code[0] or (reply and reply[0] == diagnostic_code[0]):
        return diagnostic_code
    return status


_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}\.){1,10}[a-z]{2,63}")


def reporting_host(value: str | None) -> str | None:
    """The host name of a Reporting-MTA value (``dns; mx.example.net [192.0.2.1]`` -> ``mx.example.net``)."""
    if not value:
        return None
    found = _HOST.search(value.rpartition(";")[2].lower())
    return found.group(0) if found else None


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware datetime of an RFC 5322 date, or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when
